"""End-to-end benchmark suite: the whole pipeline at 1M, 10M and 100M orders, DuckDB and Spark.

    python bench/suite.py [--sizes 1M,10M,100M] [--engines duckdb,spark] [--out bench/out]
                          [--load ingest|direct] [--no-clean] [--memory-limit 5GB]
                          [--spark-memory 5g] [--pandas-max 10M] [--markdown FILE]

Per size (orders generated once by `bench_segment.generate` in 1M-row chunks, so memory stays
bounded at any size, and cached in --out as segment_orders_<rows>.parquet):

1. **duckdb** — one subprocess runs the stages in order on a new project: ingest (the Parquet
   file through `Project.ingest`: staging, typing, quarantine and the cleaning rules), clean
   (every cleaning rule over all data again), features (all of them, materialised), rfm (rules
   and scores assigned and materialised), kmeans fit (K = 4 on a 50,000-customer sample) and
   kmeans assign (in the engine), report (template 1 of the three models, feature statistics,
   Pareto, Gini and Lorenz of lifetime value) and store (one run: assignments, template 1 and
   the feature snapshot). ``--no-clean`` leaves out the second cleaning pass; ``--load direct``
   replaces ingest and clean by inserting the Parquet rows straight into the canonical tables
   (the generated data is clean, so that is what ingestion produces), for sizes where
   ingestion alone would take hours on two cores.
2. **spark** — one subprocess on the project the DuckDB run built (loading and cleaning stay
   in DuckDB): Spark start, hand-over of the canonical tables as Parquet, then the same stages
   through the same Ibis expressions on a local Spark session (`local[2]`), results written
   back to the project database.
3. **baselines**, each in a fresh subprocess, over the same Parquet file: custseg features +
   rfm-rules + rfm-scores alone on the built project ("custseg rfm"), the same in idiomatic
   pandas (up to --pandas-max orders: above that it needs more memory than the machine has)
   and as one hand-written DuckDB GROUP BY query (`bench_segment`); all must find identical
   segment counts.

Peak memory is the high-water resident memory of the subprocess and all its children (the
Spark JVM included), sampled every 0.1 s with psutil, per stage and for the whole run.
Rows/s is orders per second of the stage. Prints the tables, writes --out/suite_<sizes>.json
and, with --markdown FILE, the tables as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_segment  # noqa: E402  (the generator and the two baselines)

AS_OF = bench_segment.AS_OF
KMEANS_K, KMEANS_SAMPLE = 4, 50_000


def rows_of(text: str) -> int:
    """``1M`` → 1,000,000; ``200k`` → 200,000; plain numbers as they are."""
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KMB")) * scale)


def label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows:,}"


class Stages:
    """Prints one JSON line per stage end (wall-clock start and end, seconds, extra)."""

    def __init__(self):
        self.current: tuple[str, float, float] | None = None

    def __call__(self, name: str):
        self.name = name
        return self

    def __enter__(self):
        self.current = (self.name, time.time(), time.perf_counter())
        return self

    def __exit__(self, *exc):
        name, wall, started = self.current
        if exc[0] is None:
            print(json.dumps({"stage": name, "start": wall, "end": time.time(),
                              "seconds": round(time.perf_counter() - started, 3)}), flush=True)


def _tables(con):
    from custseg.io import results

    return results.input_tables(con)


def _models(features):
    from custseg.segment import KMeansSegmenter, RFMRules, RFMScores

    rules, scores = RFMRules().fit(features), RFMScores().fit(features)
    return rules, scores, KMeansSegmenter(k=KMEANS_K, sample_size=KMEANS_SAMPLE)


def pipeline(stage: Stages, compute, con, counts: dict) -> None:
    """features → rfm → kmeans → report → store on ``compute`` (DuckDB or Spark)."""
    from custseg.features import customer_features
    from custseg.features.structure import concentration, feature_stats
    from custseg.io import results
    from custseg.segment import describe, segment_stats

    with stage("features"):
        features = compute.stage(customer_features(compute.tables(), as_of=AS_OF),
                                 "_features")
    with stage("rfm"):
        rules, scores, kmeans = _models(features)
        assigned = {"rules": compute.stage(rules.assign(features), "_rules"),
                    "scores": compute.stage(scores.assign(features), "_scores")}
    with stage("kmeans fit"):
        kmeans.fit(features)
    with stage("kmeans assign"):
        assigned["kmeans"] = compute.stage(kmeans.assign(features), "_kmeans")
    with stage("report"):
        tables = {}
        for name, model in (("rules", rules), ("scores", scores), ("kmeans", kmeans)):
            stats = compute.execute(segment_stats(features, assigned[name]))
            table = tables[name] = describe(stats, model.segments_, {}, model=name,
                                            dimensions=model.dimensions_, as_of=AS_OF).table
            counts |= {f"{name}:{k}": int(v) for k, v in zip(table.segment_id,
                                                              table.customers, strict=True) if v}
        compute.execute(feature_stats(features, ["recency_days", "frequency", "monetary"]))
        summary, lorenz = concentration(features, "ltv_historic")
        compute.execute(summary), compute.execute(lorenz)
    with stage("store"):
        labelled = assigned["rules"].mutate(segment_name=assigned["rules"].segment_id)
        results.save_segmentation(
            con, run_id=results.new_run_id(), as_of=AS_OF, config={"bench": True},
            model="rfm-rules", assignments=compute.to_store(labelled, "_labelled"),
            summary=tables["rules"], features=compute.to_store(features, "_features_out"))
    compute.drop("_features", "_rules", "_scores", "_kmeans", "_labelled", "_features_out")


def child_duckdb(parquet: Path, folder: Path, options: dict) -> dict:
    from custseg.io.compute import DuckDBCompute
    from custseg.pipeline import Project

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "custseg.toml").write_text(
        f'[engine]\nmemory_limit = "{options["memory_limit"]}"\n', encoding="utf-8")
    stage, counts = Stages(), {}
    with Project.init(folder, exist_ok=True) as project:
        con = project.connect()
        if options["load"] == "direct":
            with stage("load (direct)"):
                con.con.execute(f"INSERT INTO orders BY NAME SELECT order_id, customer_id, "
                                f"order_date, amount, status, channel FROM "
                                f"read_parquet('{parquet}')")
                con.con.execute("INSERT INTO customers BY NAME SELECT DISTINCT customer_id "
                                "FROM orders")
        else:
            with stage("ingest"):
                project.ingest([parquet], table="orders")
            if options["clean"]:
                with stage("clean"):
                    project.clean()
        pipeline(stage, DuckDBCompute(con), con, counts)
        con.con.execute("CHECKPOINT")
    return {"counts": counts}


def child_spark(parquet: Path, folder: Path, options: dict) -> dict:
    from custseg.io.spark import SparkCompute, session
    from custseg.pipeline import Project

    stage, counts = Stages(), {}
    with Project.open(folder) as project:
        con = project.connect()
        with stage("spark start"):
            session("local[2]", {"spark.driver.memory": options["spark_memory"],
                                 "spark.local.dir": str(folder / "spark-tmp")})
            compute = SparkCompute(con, folder / "spark")
        with stage("handoff"):
            compute.tables()
        pipeline(stage, compute, con, counts)
    shutil.rmtree(folder / "spark", ignore_errors=True)
    return {"counts": counts}


def child_rfm(parquet: Path, folder: Path, options: dict) -> dict:
    """custseg features + rfm-rules + rfm-scores alone, like the baselines (fresh process)."""
    from custseg.features import customer_features
    from custseg.io import results
    from custseg.pipeline import Project
    from custseg.segment import RFMRules, RFMScores

    with Project.open(folder) as project, Stages()("custseg rfm"):
        con = project.connect()
        models = (("rules", RFMRules()), ("scores", RFMScores()))
        needed = dict.fromkeys(c for _, m in models for c in m.required_features())
        features = results.stage(con, customer_features(_tables(con), as_of=AS_OF).select(
            "customer_id", *needed), "_features")
        counts = {}
        for prefix, model in models:
            assigned = model.fit(features).assign(features)
            frame = con.execute(assigned.group_by("segment_id").aggregate(n=assigned.count()))
            counts |= {f"{prefix}:{k}": int(v) for k, v in zip(frame.segment_id, frame.n,
                                                               strict=True)}
    return {"counts": counts}


def child_baseline(kind: str):
    def run(parquet: Path, folder: Path, options: dict) -> dict:
        started = time.time()
        out = (bench_segment.run_pandas if kind == "pandas" else bench_segment.run_duckdb)(
            folder, parquet)
        print(json.dumps({"stage": kind, "start": started, "end": time.time(),
                          "seconds": round(out["seconds"], 3)}), flush=True)
        return {"counts": out["counts"]}
    return run


CHILDREN = {"duckdb": child_duckdb, "spark": child_spark, "custseg rfm": child_rfm,
            "pandas": child_baseline("pandas"), "duckdb SQL": child_baseline("duckdb SQL")}


def _tree_rss(proc) -> int:
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(kind: str, parquet: Path, folder: Path, options: dict) -> dict:
    """Run one child, sample its process tree's memory, and collect its stage lines."""
    import psutil

    cmd = [sys.executable, __file__, "--child", kind, str(parquet), str(folder),
           json.dumps(options)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    handle, samples, done = psutil.Process(proc.pid), [], threading.Event()

    def sample():
        while not done.is_set():
            samples.append((time.time(), _tree_rss(handle)))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    load = os.getloadavg()[0]
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode:
        sys.exit(f"{kind} failed:\n{err[-4000:]}")
    lines = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    stages = [x for x in lines if "stage" in x]
    for s in stages:
        inside = [rss for t, rss in samples if s["start"] - 0.05 <= t <= s["end"] + 0.05]
        s["peak_mib"] = round(max(inside, default=0) / 2**20, 1)
    peak = round(max((rss for _, rss in samples), default=0) / 2**20, 1)
    print(f"  {kind:<12} {sum(s['seconds'] for s in stages):9.1f} s  peak {peak:8.0f} MiB",
          file=sys.stderr)
    return {"kind": kind, "stages": stages, "peak_mib": peak, "counts": lines[-1]["counts"],
            "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2)}


def run_size(rows: int, args, options: dict) -> dict:
    out = Path(args.out)
    started = time.perf_counter()
    parquet = bench_segment.generate(rows, out)
    print(f"{label(rows)} orders: {parquet} ({time.perf_counter() - started:.0f} s)",
          file=sys.stderr)
    folder = out / f"suite_project_{rows}"
    runs = {}
    if "duckdb" in args.engines or not (folder / "custseg.duckdb").exists():
        runs["duckdb"] = measure("duckdb", parquet, folder, options)
    if "spark" in args.engines:
        runs["spark"] = measure("spark", parquet, folder, options)
    runs["custseg rfm"] = measure("custseg rfm", parquet, folder, options)
    runs["duckdb SQL"] = measure("duckdb SQL", parquet, folder, options)
    if rows <= rows_of(args.pandas_max):
        runs["pandas"] = measure("pandas", parquet, folder, options)
    rfm_counts = {k: v for k, v in runs["custseg rfm"]["counts"].items()
                  if k.startswith(("rules:", "scores:"))}
    for name, run in runs.items():  # every engine and baseline: identical rfm counts
        mine = {k: v for k, v in run["counts"].items() if k.startswith(("rules:", "scores:"))}
        if mine != rfm_counts:
            sys.exit(f"{label(rows)}: {name} found other segment counts than custseg rfm")
    # kmeans is left out: each engine draws its fitting sample with its own hash function
    return {"rows": rows, "runs": runs}


def ratios(size: dict) -> dict:
    runs, out = size["runs"], {}
    rfm = runs["custseg rfm"]
    for base in ("pandas", "duckdb SQL"):
        if base in runs:
            out[f"time vs {base}"] = round(rfm["stages"][0]["seconds"]
                                           / runs[base]["stages"][0]["seconds"], 2)
            out[f"memory vs {base}"] = round(rfm["peak_mib"] / runs[base]["peak_mib"], 2)
    if "spark" in runs and "duckdb" in runs:
        duck = {s["stage"]: s["seconds"] for s in runs["duckdb"]["stages"]}
        spark = {s["stage"]: s["seconds"] for s in runs["spark"]["stages"]}
        shared = [s for s in ("features", "rfm", "kmeans assign", "report", "store")]
        out["spark vs duckdb (features … store)"] = round(
            sum(spark[s] for s in shared) / sum(duck[s] for s in shared), 2)
    return out


def markdown(sizes: list[dict]) -> str:
    lines = ["| orders | engine | stage | seconds | rows/s | peak MiB |",
             "| ---: | --- | --- | ---: | ---: | ---: |"]
    for size in sizes:
        for name, run in size["runs"].items():
            for s in run["stages"]:
                rate = size["rows"] / s["seconds"] if s["seconds"] else 0
                lines.append(f"| {label(size['rows'])} | {name} | {s['stage']} | "
                             f"{s['seconds']:,.1f} | {rate:,.0f} | {s['peak_mib']:,.0f} |")
            total = sum(s["seconds"] for s in run["stages"])
            lines.append(f"| {label(size['rows'])} | {name} | **total** | **{total:,.1f}** | "
                         f"{size['rows'] / total:,.0f} | **{run['peak_mib']:,.0f}** |")
    lines += ["", "| orders | ratio | value |", "| ---: | --- | ---: |"]
    for size in sizes:
        lines += [f"| {label(size['rows'])} | {k} | {v} |" for k, v in ratios(size).items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M,100M")
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--out", default="bench/out")
    parser.add_argument("--memory-limit", default="5GB", help="DuckDB memory_limit")
    parser.add_argument("--spark-memory", default="5g", help="spark.driver.memory")
    parser.add_argument("--pandas-max", default="10M")
    parser.add_argument("--load", choices=("ingest", "direct"), default="ingest")
    parser.add_argument("--no-clean", action="store_true", help="skip the second cleaning")
    parser.add_argument("--markdown", help="also write the tables as Markdown to this file")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, parquet, folder, options = args.child
        if kind in ("duckdb", "spark", "custseg rfm"):
            import custseg.pipeline  # noqa: F401  (imports are not timed)
        out = CHILDREN[kind](Path(parquet), Path(folder), json.loads(options))
        print(json.dumps(out), flush=True)
        return
    options = {"memory_limit": args.memory_limit, "spark_memory": args.spark_memory,
               "load": args.load, "clean": not args.no_clean}
    sizes = []
    for text in args.sizes.split(","):
        sizes.append(run_size(rows_of(text), args, options))
        report = markdown(sizes)
        print(report)
        name = f"suite_{args.sizes.replace(',', '_')}.json"
        Path(args.out, name).write_text(json.dumps({"options": options, "sizes": sizes},
                                                   indent=1))
        if args.markdown:
            Path(args.markdown).write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
