"""Ingest benchmark: custseg `Project.ingest` against a plain pandas -> DuckDB load.

    python bench/bench_ingest.py [--rows 10000000] [--out bench/out]

1. Generates (once; cached in --out as orders_<rows>.csv / .parquet, same content) a realistic
   orders file: ~rows/5 customers with skewed (log-normal) order counts, dates over 2023-2025,
   log-normal amounts, status and channel. Written in 1M-row chunks, so memory stays bounded.
2. Runs each measurement in its own subprocess, into a fresh folder / DuckDB file:
     custseg csv / parquet  Project.init + ingest([file], table="orders") + close
                            (staging, raw tables, typed `orders`, rebuilt `customers`, one txn)
     pandas  csv / parquet  pandas.read_csv(dtype=str) / read_parquet, then
                            CREATE TABLE orders AS SELECT * FROM df in a new DuckDB file + close
   seconds: time.perf_counter around that work, after imports (interpreter start not counted).
   peak MiB: the child's high-water RSS (VmHWM; ru_maxrss where there is no /proc), *including*
   the interpreter and imported libraries (import_mib in the JSON says how much that was).
3. Prints a table and writes --out/ingest.json.

Reading the ratios: custseg/pandas, CSV against CSV and Parquet against Parquet, same run.
time 2.0 means custseg takes twice as long as the baseline; memory 0.5 means its peak RSS is
half. The baseline only copies text into an untyped table; custseg also checks, dedups, types
and rebuilds customers, so a time ratio above 1 is the price of that work, not pure overhead.
Files are read from the page cache (they were just written or read), so this is CPU-bound.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import peak_mib

CHUNK = 1_000_000
STATUS = (["completed", "cancelled", "refunded", "pending"], [0.86, 0.06, 0.05, 0.03])
CHANNEL = (["app", "web", "store", "wechat", "phone"], [0.35, 0.25, 0.2, 0.15, 0.05])


def generate(rows: int, out: Path) -> tuple[Path, Path]:
    """Write orders_<rows>.csv and .parquet (skipped when both already exist)."""
    csv_path, pq_path = out / f"orders_{rows}.csv", out / f"orders_{rows}.parquet"
    if csv_path.exists() and pq_path.exists():
        return csv_path, pq_path
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    def ids(prefix: str, values, width: int) -> pa.Array:
        text = pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width, padding="0")
        return pc.binary_join_element_wise(prefix, text, "")

    def pick(choices: tuple[list[str], list[float]], m: int) -> pa.Array:
        return pc.take(pa.array(choices[0]), pa.array(rng.choice(len(choices[0]), m,
                                                                 p=choices[1])))

    rng = np.random.default_rng(20250305)
    customers = max(1, rows // 5)
    cdf = np.cumsum(rng.lognormal(0.0, 1.0, customers))  # skewed share of orders per customer
    cdf /= cdf[-1]
    first_day = int(np.datetime64("2023-01-01", "D").astype(np.int64))
    days = 3 * 365 + 1
    schema = pa.schema([("order_id", pa.string()), ("customer_id", pa.string()),
                        ("order_date", pa.date32()), ("amount", pa.float64()),
                        ("status", pa.string()), ("channel", pa.string())])
    out.mkdir(parents=True, exist_ok=True)
    tmp_csv, tmp_pq = csv_path.with_suffix(".csv.tmp"), pq_path.with_suffix(".parquet.tmp")
    options = pcsv.WriteOptions(include_header=False, quoting_style="none")
    with open(tmp_csv, "wb") as fh, pq.ParquetWriter(tmp_pq, schema) as pw:
        fh.write((",".join(schema.names) + "\n").encode())
        cw = pcsv.CSVWriter(fh, schema, write_options=options)
        for lo in range(0, rows, CHUNK):
            m = min(CHUNK, rows - lo)
            d_lo, d_hi = days * lo // rows, max(days * (lo + m) // rows, days * lo // rows + 1)
            day = np.sort(rng.integers(d_lo, d_hi, m)) + first_day  # export sorted by date
            cust = np.minimum(np.searchsorted(cdf, rng.random(m)), customers - 1)
            amount = np.maximum(np.round(rng.lognormal(4.5, 0.9, m), 2), 0.01)
            table = pa.table([
                ids("O", np.arange(lo + 1, lo + m + 1), max(9, len(str(rows)))),
                ids("C", cust + 1, max(7, len(str(customers)))),
                pa.array(day.astype(np.int32)).cast(pa.date32()), pa.array(amount),
                pick(STATUS, m), pick(CHANNEL, m)], schema=schema)
            cw.write_table(table)
            pw.write_table(table)
        cw.close()
    tmp_csv.rename(csv_path)
    tmp_pq.rename(pq_path)
    return csv_path, pq_path


def child(kind: str, src: Path, work: Path) -> dict:
    """One measurement, run inside its own process; returns what the parent prints."""
    if kind == "custseg":
        from custseg.pipeline import Project
    else:
        import duckdb
        import pandas as pd
    imported = peak_mib()
    started = time.perf_counter()
    if kind == "custseg":
        project = Project.init(work)
        [report] = project.ingest([src], table="orders")
        project.close()
        rows, extra = report.rows_loaded, {"rows_read": report.rows_read,
                                           "custseg_seconds": report.seconds}
    else:
        # used by name in the SQL below (DuckDB's replacement scan)
        df = pd.read_csv(src, dtype=str) if src.suffix == ".csv" else pd.read_parquet(src)  # noqa: F841
        con = duckdb.connect(str(work / "baseline.duckdb"))
        con.execute("CREATE TABLE orders AS SELECT * FROM df")
        rows = con.execute("SELECT count(*) FROM orders").fetchone()[0]
        con.close()
        extra = {}
    seconds = time.perf_counter() - started
    peak = peak_mib()
    if kind == "custseg":  # outside the timing: what the canonical tables hold
        project = Project.open(work)
        db = project.connect().con
        extra |= {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("orders", "customers", "quarantine")}
        project.close()
    db_bytes = sum(p.stat().st_size for p in work.glob("*.duckdb*"))
    return {"rows": rows, "seconds": round(seconds, 3), "peak_mib": peak,
            "import_mib": imported, "db_mib": round(db_bytes / 2**20, 1), **extra}


def measure(kind: str, src: Path, out: Path) -> dict:
    work = out / f"work_{kind}_{src.suffix[1:]}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    proc = subprocess.run([sys.executable, __file__, "--child", kind, str(src), str(work)],
                          capture_output=True, text=True)
    shutil.rmtree(work, ignore_errors=True)
    if proc.returncode:
        sys.exit(f"{kind} {src.name} failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["measurement"] = f"{kind} {src.suffix[1:]}"
    result["rows_per_s"] = round(result["rows"] / result["seconds"]) if result["seconds"] else 0
    print(f"  {result['measurement']:<16} {result['seconds']:8.2f} s", file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="orders in the data set")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out",
                        help="cache for the generated files and where ingest.json goes")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, src, work = args.child
        print(json.dumps(child(kind, Path(src), Path(work))))
        return
    out = args.out.resolve()
    t0 = time.perf_counter()
    csv_path, pq_path = generate(args.rows, out)
    print(f"data: {csv_path.name} {csv_path.stat().st_size / 2**20:.0f} MiB, {pq_path.name} "
          f"{pq_path.stat().st_size / 2**20:.0f} MiB (ready in {time.perf_counter() - t0:.1f} s)",
          file=sys.stderr)
    results = [measure(kind, src, out) for src in (csv_path, pq_path)
               for kind in ("custseg", "pandas")]
    by = {r["measurement"]: r for r in results}
    ratios = {fmt: {name: round(by[f"custseg {fmt}"][key] / by[f"pandas {fmt}"][key], 2)
                    for name, key in (("time", "seconds"), ("memory", "peak_mib"))}
              for fmt in ("csv", "parquet")}
    print(f"\n{'measurement':<16} {'rows':>12} {'seconds':>9} {'rows/s':>12} {'peak MiB':>9}")
    for r in results:
        print(f"{r['measurement']:<16} {r['rows']:>12,} {r['seconds']:>9.2f} "
              f"{r['rows_per_s']:>12,} {r['peak_mib']:>9.0f}")
    print(f"\n{'custseg/pandas':<16} {'time':>6} {'memory':>7}")
    for fmt, ratio in ratios.items():
        print(f"{fmt:<16} {ratio['time']:>6.2f} {ratio['memory']:>7.2f}")
    bad = [r["measurement"] for r in results if r["rows"] != args.rows]
    if bad:
        print(f"WARNING: row count differs from --rows for {', '.join(bad)}", file=sys.stderr)
    import duckdb
    import pandas

    (out / "ingest.json").write_text(json.dumps({
        "rows": args.rows, "files": {p.suffix[1:]: str(p) for p in (csv_path, pq_path)},
        "versions": {"python": sys.version.split()[0], "duckdb": duckdb.__version__,
                     "pandas": pandas.__version__},
        "results": results, "ratios_custseg_over_pandas": ratios}, indent=2) + "\n")
    print(f"\nwrote {out / 'ingest.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
