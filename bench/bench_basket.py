"""Association-rule benchmark: pair counting through custseg against a plain pandas self-join.

    python bench/bench_basket.py [--lines 10000000] [--products 1000] [--min-support 0.001]
                                 [--pandas-lines 2000000] [--triples] [--out bench/out]

1. Generates (once; cached in --out as basket_{orders,items}_<lines>.parquet) orders and their
   order lines in chunks of about 1M lines (bounded memory): 1 + Poisson(1.5) lines per order
   (~4M orders for 10M lines), products P0001… drawn with Zipf-like popularity (weight
   1/rank^0.7), 5 % of orders cancelled, and a planted association (P0500 in 1 % of orders,
   P0501 with it in 80 % of those). Categories (40) and brands (150) come with each product.
   A project (basket_project_<lines>/) is built from the files once by inserting them straight
   into the canonical orders, order_items and customers tables, outside any timing.
2. Runs each measurement in its own subprocess on a fresh copy of the project:
     custseg pairs     Project.basket(min_support, max_len=2): baskets, frequent items and
                       pairs counted in the engine, rules with all figures, stored as a run
     custseg triples   the same with max_len=3 (only with --triples)
     pandas            read_parquet, merge lines with completed orders, drop duplicate items,
                       frequent items, self-merge on order_id, groupby pair size, rule figures
   at --lines for custseg and at --pandas-lines for custseg and pandas (a self-merge of 10M
   lines needs several GiB in pandas). seconds: time.perf_counter around that work, after
   imports. peak MiB: the child's high-water RSS (VmHWM), interpreter and libraries included.
3. Checks that custseg and pandas found the same frequent pairs with the same counts at
   --pandas-lines, prints a table and writes --out/basket.json.
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
PLANTED = (499, 500)  # P0500 → P0501, products of middling popularity


def generate(lines: int, products: int, out: Path) -> tuple[Path, Path]:
    """Write basket_orders_<lines>.parquet and basket_items_<lines>.parquet (cached)."""
    orders_path = out / f"basket_orders_{lines}_{products}.parquet"
    items_path = out / f"basket_items_{lines}_{products}.parquet"
    if orders_path.exists() and items_path.exists():
        return orders_path, items_path
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(20250306)
    weights = 1 / np.arange(1, products + 1) ** 0.7
    weights /= weights.sum()
    names = np.array([f"P{p + 1:04d}" for p in range(products)], dtype=object)
    category = np.array([f"C{c:02d}" for c in rng.integers(0, 40, products)], dtype=object)
    brand = np.array([f"B{b:03d}" for b in rng.integers(0, 150, products)], dtype=object)
    customers = max(1, lines // 25)
    first_day = int(np.datetime64("2024-01-01", "D").astype(np.int64))
    o_schema = pa.schema([("order_id", pa.string()), ("customer_id", pa.string()),
                          ("order_date", pa.date32()), ("amount", pa.float64()),
                          ("status", pa.string())])
    i_schema = pa.schema([("order_id", pa.string()), ("product_id", pa.string()),
                          ("category", pa.string()), ("brand", pa.string()),
                          ("quantity", pa.int64())])
    out.mkdir(parents=True, exist_ok=True)
    written, next_order = 0, 0
    with pq.ParquetWriter(orders_path.with_suffix(".tmp"), o_schema) as ow, \
            pq.ParquetWriter(items_path.with_suffix(".tmp"), i_schema) as iw:
        while written < lines:
            sizes = 1 + rng.poisson(1.5, int(CHUNK / 2.5) + 1)
            sizes = sizes[: np.searchsorted(np.cumsum(sizes), lines - written, "right") + 1]
            sizes[-1] -= max(0, int(sizes.sum()) - (lines - written))
            sizes = sizes[sizes > 0]
            m = sizes.size
            ids = np.arange(next_order, next_order + m)
            prod = rng.choice(products, int(sizes.sum()), p=weights)
            start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            planted = rng.random(m) < 0.01
            prod[start[planted]] = PLANTED[0]
            both = planted & (sizes >= 2) & (rng.random(m) < 0.8)
            prod[start[both] + 1] = PLANTED[1]
            oid = np.array([f"O{i:09d}" for i in ids], dtype=object)
            ow.write_table(pa.table([
                oid, np.array([f"C{c:08d}" for c in rng.integers(0, customers, m)],
                              dtype=object),
                pa.array((rng.integers(0, 730, m) + first_day).astype(np.int32)).cast(
                    pa.date32()),
                np.round(rng.lognormal(4.5, 0.9, m), 2),
                np.where(rng.random(m) < 0.05, "cancelled", "completed")], schema=o_schema))
            iw.write_table(pa.table([np.repeat(oid, sizes), names[prod], category[prod],
                                     brand[prod], np.ones(prod.size, dtype=np.int64)],
                                    schema=i_schema))
            written += int(sizes.sum())
            next_order += m
    orders_path.with_suffix(".tmp").rename(orders_path)
    items_path.with_suffix(".tmp").rename(items_path)
    return orders_path, items_path


def build_project(orders: Path, items: Path, out: Path) -> Path:
    """A custseg project whose canonical tables hold the generated rows (cached)."""
    folder = out / orders.stem.replace("basket_orders", "basket_project")
    if (folder / "custseg.duckdb").exists():
        return folder
    from custseg.pipeline import Project

    shutil.rmtree(folder, ignore_errors=True)
    with Project.init(folder, language="en") as project:
        db = project.connect().con
        db.execute(f"INSERT INTO orders BY NAME SELECT * FROM read_parquet('{orders}')")
        db.execute(f"INSERT INTO order_items BY NAME SELECT * FROM read_parquet('{items}')")
        db.execute("INSERT INTO customers BY NAME SELECT DISTINCT customer_id FROM orders")
        db.execute("CHECKPOINT")
    return folder


def run_custseg(project_dir: Path, files: list[Path], min_support: float, max_len: int
                ) -> dict:
    from custseg.pipeline import Project

    with Project.open(project_dir) as project:
        started = time.perf_counter()
        result = project.basket(min_support=min_support, min_confidence=0.0, min_lift=0.0,
                                max_len=max_len, as_of=AS_OF)
        seconds = time.perf_counter() - started
    rules = result.overall()
    pairs = rules[~rules.antecedent.str.contains("|", regex=False)
                  & ~rules.consequent.str.contains("|", regex=False)
                  & (rules.antecedent < rules.consequent)]
    top = rules.iloc[0] if len(rules) else None
    return {"seconds": seconds, "baskets": result.baskets, "rules": len(rules),
            "pairs": {f"{a}|{c}": int(n) for a, c, n in zip(
                pairs.antecedent, pairs.consequent, pairs.pair_count, strict=True)},
            "top_rule": None if top is None else f"{top.antecedent} -> {top.consequent} "
            f"(lift {top.lift:.2f})"}


def run_pandas(project_dir: Path, files: list[Path], min_support: float, max_len: int
               ) -> dict:
    import math

    import pandas as pd

    started = time.perf_counter()
    orders = pd.read_parquet(files[0], columns=["order_id", "order_date", "status"])
    items = pd.read_parquet(files[1], columns=["order_id", "product_id"])
    done = orders[(orders.status != "cancelled")
                  & (pd.to_datetime(orders.order_date) <= pd.Timestamp(AS_OF))]
    lines = items.merge(done[["order_id"]], on="order_id").drop_duplicates()
    n = lines.order_id.nunique()
    need = max(math.ceil(n * min_support - 1e-9), 5)
    counts = lines.groupby("product_id").size()
    lines = lines[lines.product_id.isin(counts.index[counts >= need])]
    both = lines.merge(lines, on="order_id", suffixes=("_a", "_c"))
    both = both[both.product_id_a < both.product_id_c]
    pairs = both.groupby(["product_id_a", "product_id_c"]).size().rename("n").reset_index()
    pairs = pairs[pairs.n >= need]
    a, c = counts[pairs.product_id_a].to_numpy(), counts[pairs.product_id_c].to_numpy()
    pairs = pairs.assign(support=pairs.n / n, confidence=pairs.n / a,
                         lift=pairs.n * n / (a * c))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "baskets": int(n), "rules": 2 * len(pairs),
            "pairs": {f"{x}|{y}": int(v) for x, y, v in zip(
                pairs.product_id_a, pairs.product_id_c, pairs.n, strict=True)}}


def child(kind: str, project_dir: Path, files: list[Path], min_support: float) -> dict:
    if kind.startswith("custseg"):
        import custseg.pipeline  # noqa: F401  (imports are not timed)
        run, max_len = run_custseg, 3 if kind == "custseg triples" else 2
    else:
        import pandas  # noqa: F401
        run, max_len = run_pandas, 2
    imported = peak_mib()
    result = run(project_dir, files, min_support, max_len)
    return {**result, "seconds": round(result["seconds"], 3), "peak_mib": peak_mib(),
            "import_mib": imported}


def measure(kind: str, project: Path, files: list[Path], min_support: float, out: Path,
            lines: int) -> dict:
    work = out / "work_basket"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(project, work)
    proc = subprocess.run([sys.executable, __file__, "--child", kind, str(work),
                           str(files[0]), str(files[1]), str(min_support)],
                          capture_output=True, text=True)
    shutil.rmtree(work, ignore_errors=True)
    if proc.returncode:
        sys.exit(f"{kind} failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result |= {"measurement": kind, "lines": lines}
    print(f"  {kind:<16} {lines:>11,} lines {result['seconds']:8.2f} s "
          f"{result['peak_mib']:8.0f} MiB", file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000, help="order lines")
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--min-support", type=float, default=0.001)
    parser.add_argument("--pandas-lines", type=int, default=2_000_000,
                        help="size of the custseg-vs-pandas comparison")
    parser.add_argument("--triples", action="store_true", help="also time max_len=3")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, project, orders, items, support = args.child
        print(json.dumps(child(kind, Path(project), [Path(orders), Path(items)],
                               float(support))))
        return
    out = args.out.resolve()
    results = []
    sizes = sorted({args.lines, min(args.pandas_lines, args.lines)}, reverse=True)
    for lines in sizes:
        t0 = time.perf_counter()
        files = generate(lines, args.products, out)
        project = build_project(*files, out)
        print(f"data: {lines:,} lines ready in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        kinds = ["custseg pairs"] + (["custseg triples"] if args.triples and lines ==
                                     args.lines else [])
        kinds += ["pandas"] if lines == sizes[-1] else []
        results += [measure(k, project, list(files), args.min_support, out, lines)
                    for k in kinds]
    small = [r for r in results if r["lines"] == sizes[-1]]
    agree = small[0]["pairs"] == small[-1]["pairs"] and small[0]["baskets"] == small[-1][
        "baskets"]
    print(f"\n{args.products:,} products, min support {args.min_support:g}, as of {AS_OF}")
    print(f"{'measurement':<16} {'lines':>11} {'baskets':>10} {'pairs':>7} {'rules':>7} "
          f"{'seconds':>8} {'peak MiB':>9}")
    for r in results:
        print(f"{r['measurement']:<16} {r['lines']:>11,} {r['baskets']:>10,} "
              f"{len(r['pairs']):>7,} {r['rules']:>7,} {r['seconds']:>8.2f} "
              f"{r['peak_mib']:>9.0f}")
    ratio = {"time": round(small[0]["seconds"] / small[-1]["seconds"], 2),
             "memory": round(small[0]["peak_mib"] / small[-1]["peak_mib"], 2)}
    print(f"\ncustseg / pandas at {sizes[-1]:,} lines: time {ratio['time']:.2f}, memory "
          f"{ratio['memory']:.2f}; same pairs and counts: {'yes' if agree else 'NO'}")
    top = results[0].get("top_rule")
    print(f"strongest rule at {sizes[0]:,} lines: {top}")
    import duckdb
    import pandas

    for r in results:
        r["pairs"] = len(r["pairs"])
    (out / "basket.json").write_text(json.dumps({
        "lines": args.lines, "products": args.products, "min_support": args.min_support,
        "as_of": AS_OF.isoformat(), "versions": {
            "python": sys.version.split()[0], "duckdb": duckdb.__version__,
            "pandas": pandas.__version__},
        "results": results, "pairs_agree": agree, "ratio": ratio}, indent=2) + "\n")
    print(f"\nwrote {out / 'basket.json'}", file=sys.stderr)
    if not agree:
        sys.exit("custseg and pandas found different pairs")


if __name__ == "__main__":
    main()
