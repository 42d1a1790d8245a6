"""Segmentation benchmark: features + rfm-rules + rfm-scores through custseg, pandas and DuckDB.

    python bench/bench_segment.py [--rows 10000000] [--out bench/out] [--skip pandas]
                                  [--memory-limit 6GB]

1. Generates (once; cached in --out as segment_orders_<rows>.parquet) an orders file in 1M-row
   chunks (bounded memory): ~rows/5 customers with skewed order counts, dates over 2023-2025,
   log-normal amounts, statuses completed/cancelled/refunded/pending, five channels.
   A project (segment_project_<rows>/) is built from it once: the Parquet rows are inserted
   straight into the canonical ``orders`` and ``customers`` tables (the data is clean, so this
   is what ingestion would produce; ingestion has its own benchmark), outside any timing.
2. Runs each measurement in its own subprocess, on a fresh copy of the project:
     custseg segment  Project.segment("rfm-rules") + Project.segment("rfm-scores"): features,
                      fit, assignment, template 1, and two stored runs (assignments, summary,
                      features snapshot) — what `custseg segment` does, twice
     custseg engine   the same expressions without storage: the features both models read
                      materialised once (the engine prunes the rest), both models assigned,
                      segment counts fetched
     pandas           read_parquet, then the same order features, rules (np.select) and
                      scores (rank(method="min")) in idiomatic pandas, segment counts
     duckdb SQL       one hand-written GROUP BY + CASE + RANK query over the Parquet file
   seconds: time.perf_counter around that work, after imports. peak MiB: the child's high-water
   RSS (VmHWM; ru_maxrss where there is no /proc), including interpreter and libraries.
3. Checks that every measurement found the same segment counts, prints a table and ratios
   (custseg / baseline, same run) and writes --out/segment_<rows>.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from _common import peak_mib

CHUNK = 1_000_000
AS_OF = date(2025, 12, 31)
WINDOW_START = date(2025, 6, 30)  # AS_OF − 6 calendar months
STATUS = (["completed", "cancelled", "refunded", "pending"], [0.86, 0.06, 0.05, 0.03])
CHANNEL = (["app", "web", "store", "wechat", "phone"], [0.35, 0.25, 0.2, 0.15, 0.05])
ONLINE = ("app", "web", "wechat")
KNOWN_CHANNEL = ("app", "web", "wechat", "store")


def generate(rows: int, out: Path) -> Path:
    """Write segment_orders_<rows>.parquet (skipped when it exists)."""
    path = out / f"segment_orders_{rows}.parquet"
    if path.exists():
        return path
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rng = np.random.default_rng(20250305)
    customers = max(1, rows // 5)
    cdf = np.cumsum(rng.lognormal(0.0, 1.0, customers))
    cdf /= cdf[-1]
    first_day = int(np.datetime64("2023-01-01", "D").astype(np.int64))
    days = 3 * 365 + 1
    width = max(7, len(str(customers)))

    def pick(choices, m):
        return pc.take(pa.array(choices[0]), pa.array(rng.choice(len(choices[0]), m,
                                                                 p=choices[1])))

    schema = pa.schema([("order_id", pa.string()), ("customer_id", pa.string()),
                        ("order_date", pa.date32()), ("amount", pa.float64()),
                        ("status", pa.string()), ("channel", pa.string())])
    out.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema) as writer:
        for lo in range(0, rows, CHUNK):
            m = min(CHUNK, rows - lo)
            cust = np.minimum(np.searchsorted(cdf, rng.random(m)), customers - 1) + 1
            table = pa.table([
                pc.binary_join_element_wise("O", pc.cast(pa.array(np.arange(lo, lo + m)),
                                                         pa.string()), ""),
                pc.binary_join_element_wise("C", pc.utf8_lpad(pc.cast(pa.array(cust),
                                                                      pa.string()), width,
                                                              padding="0"), ""),
                pa.array((rng.integers(0, days, m) + first_day).astype(np.int32)).cast(
                    pa.date32()),
                pa.array(np.maximum(np.round(rng.lognormal(4.5, 0.9, m), 2), 0.01)),
                pick(STATUS, m), pick(CHANNEL, m)], schema=schema)
            writer.write_table(table)
    tmp.rename(path)
    return path


def set_memory_limit(folder: Path, limit: str | None) -> None:
    """Write ``[engine] memory_limit`` into the project's custseg.toml (None: DuckDB's
    default, 80% of RAM), as a user bounding the engine would."""
    config = folder / "custseg.toml"
    text = config.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("memory_limit = ")]
    if limit:
        lines.insert(lines.index("[engine]") + 1, f'memory_limit = "{limit}"')
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_project(parquet: Path, rows: int, out: Path) -> Path:
    """A custseg project whose canonical tables hold the generated orders (cached)."""
    folder = out / f"segment_project_{rows}"
    if (folder / "custseg.duckdb").exists():
        return folder
    from custseg.pipeline import Project

    shutil.rmtree(folder, ignore_errors=True)
    with Project.init(folder, language="en") as project:
        db = project.connect().con
        db.execute(f"""INSERT INTO orders BY NAME SELECT order_id, customer_id, order_date,
            amount, status, channel FROM read_parquet('{parquet}')""")
        db.execute("INSERT INTO customers BY NAME SELECT DISTINCT customer_id FROM orders")
        db.execute("CHECKPOINT")
    return folder


def run_custseg_segment(project_dir: Path, parquet: Path) -> dict:
    from custseg.pipeline import Project

    with Project.open(project_dir) as project:
        started = time.perf_counter()
        rules = project.segment("rfm-rules", as_of=AS_OF, lang="en")
        middle = time.perf_counter()
        scores = project.segment("rfm-scores", as_of=AS_OF, lang="en")
        ended = time.perf_counter()
    counts = {f"rules:{k}": int(v) for k, v in zip(rules.table.segment_id,
                                                   rules.table.customers, strict=True) if v}
    counts |= {f"scores:{k}": int(v) for k, v in zip(scores.table.segment_id,
                                                     scores.table.customers, strict=True) if v}
    return {"seconds": ended - started, "rules_seconds": round(middle - started, 3),
            "scores_seconds": round(ended - middle, 3), "counts": counts}


def run_custseg_engine(project_dir: Path, parquet: Path) -> dict:
    from custseg import schema
    from custseg.features import customer_features
    from custseg.io import results
    from custseg.pipeline import Project
    from custseg.segment import RFMRules, RFMScores

    with Project.open(project_dir) as project:
        con = project.connect()
        started = time.perf_counter()
        optional = results.tables_with_rows(con, list(schema.TABLES)[2:])  # as Project.segment
        tables = {t: con.table(t) for t in ("customers", "orders", *optional)}
        models = (("rules", RFMRules()), ("scores", RFMScores()))
        needed = dict.fromkeys(c for _, model in models for c in model.required_features())
        features = results.stage(con, customer_features(tables, as_of=AS_OF).select(
            "customer_id", *needed), "_features")
        counts = {}
        for prefix, model in models:
            assigned = model.fit(features).assign(features)
            frame = con.execute(assigned.group_by("segment_id").aggregate(n=assigned.count()))
            counts |= {f"{prefix}:{k}": int(v) for k, v in zip(frame.segment_id, frame.n,
                                                               strict=True)}
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "counts": counts}


def pandas_features(o):
    """The order features of custseg, in idiomatic pandas (one row per customer)."""
    import numpy as np
    import pandas as pd

    o["order_date"] = pd.to_datetime(o["order_date"])
    as_of, start = pd.Timestamp(AS_OF), pd.Timestamp(WINDOW_START)
    status = o.status.str.strip().str.lower()
    kept = ~status.isin(["cancelled", "canceled"])  # customers with only cancelled orders stay
    refund = kept & (status.eq("refunded") | (o.amount < 0))
    micros = (o.amount * 1_000_000).round().astype("int64")  # exact sums, as custseg
    o = o.assign(is_order=kept & ~refund, net=np.where(refund, -micros.abs(), micros),
                 upto=kept & (o.order_date <= as_of))
    o["window"] = o.upto & (o.order_date > start)
    o["done"] = o.is_order & o.upto
    channel = o.channel.str.strip().str.lower()
    o["online"] = o.done & channel.isin(ONLINE)
    o["known"] = o.done & channel.isin(KNOWN_CHANNEL)
    o["f"] = o.is_order & o.window
    o["m"] = o.net.where(o.window, 0)
    o["ltv"] = o.net.where(o.upto, 0)
    o["done_date"] = o.order_date.where(o.done)
    c = o.groupby("customer_id", sort=False).agg(
        first=("done_date", "min"), last=("done_date", "max"), frequency=("f", "sum"),
        monetary=("m", "sum"), orders_total=("done", "sum"), ltv=("ltv", "sum"),
        online=("online", "sum"), known=("known", "sum"))
    c["monetary"], c["ltv"] = c.monetary / 1_000_000, c.ltv / 1_000_000
    c["order_days"] = o[o.done].groupby("customer_id").order_date.nunique()
    c["order_days"] = c.order_days.fillna(0)
    c["recency_days"] = (as_of - c["last"]).dt.days
    c["aov"] = c.monetary / c.frequency.where(c.frequency > 0)
    c["tenure_days"] = (as_of - c["first"]).dt.days
    c["interpurchase"] = (c["last"] - c["first"]).dt.days / (c.order_days - 1).where(
        c.order_days > 1)
    c["repurchased"] = c.order_days >= 2
    c["online_share"] = c.online / c.known.where(c.known > 0)
    c["new"] = c["first"] > start
    c["has_ordered"] = c["last"].notna()
    return c


def pandas_segments(c) -> dict:
    """Seed rules (np.select, first match wins) and rank scores with the default map."""
    import numpy as np
    import pandas as pd

    r, f, m = c.recency_days, c.frequency, c.monetary
    rules = np.select(
        [(r <= 30) & (f >= 5) & (m >= 2000), c.new & f.between(1, 2) & (m >= 1000),
         (r <= 60) & f.between(2, 4) & (m >= 300) & (m <= 999), (r.isna() | (r >= 90)) & (f <= 1)],
        ["A001", "A002", "A003", "A004"], "U")
    ordered = c[c.has_ordered]
    scores = {}
    for name, values in (("r", -ordered.recency_days), ("f", ordered.frequency),
                         ("m", ordered.monetary)):
        rank = values.rank(method="min").astype("int64") - 1
        scores[name] = ((5 * rank) // len(ordered) + 1).reindex(c.index, fill_value=1)
    rs, fs, ms = scores["r"], scores["f"], scores["m"]
    segments = np.select(
        [rs.ge(4) & fs.ge(4) & ms.ge(4), rs.ge(3) & fs.ge(3) & ms.ge(3),
         rs.eq(1) & fs.ge(4) & ms.ge(4), rs.le(2) & fs.ge(3) & ms.ge(3), rs.ge(4) & fs.eq(1),
         rs.eq(3) & fs.eq(1), rs.ge(3) & fs.ge(2), rs.eq(2) & fs.ge(2), rs.eq(2) & fs.eq(1),
         rs.eq(1) & fs.ge(2), rs.eq(1) & fs.eq(1)],
        [f"S{i:02d}" for i in range(1, 12)], "U")
    counts = {f"rules:{k}": int(v) for k, v in pd.Series(rules).value_counts().items()}
    return counts | {f"scores:{k}": int(v) for k, v in pd.Series(segments).value_counts().items()}


def run_pandas(project_dir: Path, parquet: Path) -> dict:
    import pandas as pd

    started = time.perf_counter()
    counts = pandas_segments(pandas_features(pd.read_parquet(parquet)))
    return {"seconds": time.perf_counter() - started, "counts": counts}


DUCKDB_SQL = """
WITH o AS (
    SELECT customer_id, order_date, amount,
           lower(trim(status)) IN ('cancelled', 'canceled') AS cancelled,
           NOT cancelled AND (lower(trim(status)) = 'refunded' OR amount < 0) AS refund,
           NOT cancelled AND NOT refund AND order_date <= '{as_of}' AS done,
           NOT cancelled AND order_date > '{start}' AND order_date <= '{as_of}' AS in_window
    FROM read_parquet('{parquet}')
), c AS (
    SELECT customer_id,
           DATE '{as_of}' - max(order_date) FILTER (WHERE done) AS r,
           min(order_date) FILTER (WHERE done) AS first,
           count(*) FILTER (WHERE in_window AND NOT refund) AS f,
           coalesce(sum(CASE WHEN refund THEN -abs(amount::DECIMAL(38, 6))
                             ELSE amount::DECIMAL(38, 6) END)
                    FILTER (WHERE in_window), 0)::DOUBLE AS m
    FROM o GROUP BY customer_id
), s AS (
    SELECT *, CASE WHEN r IS NULL THEN 1 ELSE
        (5 * (rank() OVER (PARTITION BY r IS NULL ORDER BY r DESC) - 1))
        // count(*) OVER (PARTITION BY r IS NULL) + 1 END AS rs,
        CASE WHEN r IS NULL THEN 1 ELSE
        (5 * (rank() OVER (PARTITION BY r IS NULL ORDER BY f) - 1))
        // count(*) OVER (PARTITION BY r IS NULL) + 1 END AS fs,
        CASE WHEN r IS NULL THEN 1 ELSE
        (5 * (rank() OVER (PARTITION BY r IS NULL ORDER BY m) - 1))
        // count(*) OVER (PARTITION BY r IS NULL) + 1 END AS ms
    FROM c
), seg AS (
    SELECT CASE
        WHEN r <= 30 AND f >= 5 AND m >= 2000 THEN 'A001'
        WHEN first > '{start}' AND f BETWEEN 1 AND 2 AND m >= 1000 THEN 'A002'
        WHEN r <= 60 AND f BETWEEN 2 AND 4 AND m BETWEEN 300 AND 999 THEN 'A003'
        WHEN (r IS NULL OR r >= 90) AND f <= 1 THEN 'A004' ELSE 'U' END AS rules,
        CASE WHEN rs >= 4 AND fs >= 4 AND ms >= 4 THEN 'S01'
        WHEN rs >= 3 AND fs >= 3 AND ms >= 3 THEN 'S02'
        WHEN rs = 1 AND fs >= 4 AND ms >= 4 THEN 'S03'
        WHEN rs <= 2 AND fs >= 3 AND ms >= 3 THEN 'S04'
        WHEN rs >= 4 AND fs = 1 THEN 'S05' WHEN rs = 3 AND fs = 1 THEN 'S06'
        WHEN rs >= 3 AND fs >= 2 THEN 'S07' WHEN rs = 2 AND fs >= 2 THEN 'S08'
        WHEN rs = 2 AND fs = 1 THEN 'S09' WHEN rs = 1 AND fs >= 2 THEN 'S10'
        WHEN rs = 1 AND fs = 1 THEN 'S11' ELSE 'U' END AS scores
    FROM s
)
SELECT 'rules:' || rules, count(*) FROM seg GROUP BY 1
UNION ALL SELECT 'scores:' || scores, count(*) FROM seg GROUP BY 1
"""


def run_duckdb(project_dir: Path, parquet: Path) -> dict:
    import duckdb

    started = time.perf_counter()
    with duckdb.connect() as db:
        sql = DUCKDB_SQL.format(parquet=parquet, as_of=AS_OF, start=WINDOW_START)
        counts = {k: int(v) for k, v in db.execute(sql).fetchall()}
    return {"seconds": time.perf_counter() - started, "counts": counts}


KINDS = {"custseg segment": run_custseg_segment, "custseg engine": run_custseg_engine,
         "pandas": run_pandas, "duckdb SQL": run_duckdb}


def child(kind: str, project_dir: Path, parquet: Path) -> dict:
    if kind.startswith("custseg"):
        import custseg.pipeline  # noqa: F401  (imports are not timed)
    elif kind == "pandas":
        import pandas  # noqa: F401
    imported = peak_mib()
    result = KINDS[kind](project_dir, parquet)
    return {**result, "seconds": round(result["seconds"], 3), "peak_mib": peak_mib(),
            "import_mib": imported}


def measure(kind: str, project: Path, parquet: Path, out: Path) -> dict:
    work = out / "work_segment"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(project, work)
    proc = subprocess.run([sys.executable, __file__, "--child", kind, str(work), str(parquet)],
                          capture_output=True, text=True)
    shutil.rmtree(work, ignore_errors=True)
    if proc.returncode:
        sys.exit(f"{kind} failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["measurement"] = kind
    print(f"  {kind:<16} {result['seconds']:8.2f} s", file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="orders in the data set")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out",
                        help="cache for the generated data and where segment_<rows>.json goes")
    parser.add_argument("--skip", default="", help="comma-separated measurements to leave "
                        "out, e.g. pandas at 100M rows, where it needs more memory than the "
                        "machine has")
    parser.add_argument("--memory-limit", help="the project's [engine] memory_limit, e.g. "
                        "6GB (default: DuckDB's, 80%% of RAM)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, project, parquet = args.child
        print(json.dumps(child(kind, Path(project), Path(parquet))))
        return
    out = args.out.resolve()
    t0 = time.perf_counter()
    parquet = generate(args.rows, out)
    project = build_project(parquet, args.rows, out)
    set_memory_limit(project, args.memory_limit)
    print(f"data: {parquet.name} {parquet.stat().st_size / 2**20:.0f} MiB, project ready in "
          f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
    skip = {k.strip() for k in args.skip.split(",") if k.strip()}
    results = [measure(kind, project, parquet, out) for kind in KINDS if kind not in skip]
    by = {r["measurement"]: r for r in results}
    reference = by["duckdb SQL"]["counts"]  # never skipped: it is the reference
    agree = {r["measurement"]: r["counts"] == reference for r in results}
    customers = sum(v for k, v in reference.items() if k.startswith("rules:"))
    print(f"\n{args.rows:,} orders, {customers:,} customers, as of {AS_OF}")
    print(f"{'measurement':<16} {'seconds':>9} {'peak MiB':>9} {'same counts':>12}")
    for r in results:
        print(f"{r['measurement']:<16} {r['seconds']:>9.2f} {r['peak_mib']:>9.0f} "
              f"{'yes' if agree[r['measurement']] else 'NO':>12}")
    ratios = {f"{c} / {b}": {"time": round(by[c]["seconds"] / by[b]["seconds"], 2),
                             "memory": round(by[c]["peak_mib"] / by[b]["peak_mib"], 2)}
              for c in ("custseg segment", "custseg engine") for b in ("pandas", "duckdb SQL")
              if c in by and b in by}
    print(f"\n{'ratio':<34} {'time':>6} {'memory':>7}")
    for name, ratio in ratios.items():
        print(f"{name:<34} {ratio['time']:>6.2f} {ratio['memory']:>7.2f}")
    rules = {k: v for k, v in sorted(reference.items()) if k.startswith("rules:")}
    print("\nrfm-rules counts: " + ", ".join(f"{k[6:]} {v:,}" for k, v in rules.items()))
    if not all(agree.values()):
        print("WARNING: segment counts differ between measurements", file=sys.stderr)
    import duckdb
    import pandas

    (out / f"segment_{args.rows}.json").write_text(json.dumps({
        "rows": args.rows, "customers": customers, "as_of": AS_OF.isoformat(),
        "versions": {"python": sys.version.split()[0], "duckdb": duckdb.__version__,
                     "pandas": pandas.__version__},
        "results": results, "counts_agree": agree, "ratios": ratios}, indent=2) + "\n")
    print(f"\nwrote {out / f'segment_{args.rows}.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
