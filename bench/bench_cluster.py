"""Clustering benchmark: auto-K (2–10) + engine assignment of 1M and 10M customers.

    python bench/bench_cluster.py [--sizes 1000000 10000000] [--models kmeans hierarchical]
                                  [--out bench/out]

1. Generates (once; cached in --out as cluster_features_<n>.parquet, 1M-row chunks so memory
   stays bounded) a customer feature table: ``customer_id, has_ordered, recency_days,
   frequency, monetary, aov, outlier_orders, gender, age_band`` and the planted ``grp``. Four
   behavioural groups (15/35/30/20 %) with log-normal spend and Poisson order counts; 3 % never
   ordered (R NULL), 0.5 % with an outlier order (huge spend; left out of the fit).
2. Runs each (model, size) in its own subprocess: the Parquet file is loaded into an
   in-memory DuckDB table (not timed, like the staged feature table of a pipeline run), then
   timed: ``fit`` (deterministic sample of 50,000 customers for kmeans — MiniBatchKMeans above
   20,000 rows — 5,000 for Ward, 2,000 for kprototypes; preprocessing; K searched over 2–10
   with inertia, silhouette on 5,000 rows and Kneedle; names, surrogate rules, chart data;
   three bootstrap re-fits for stability) and ``assign`` (every customer scored by the engine
   and materialised as a table, segment counts fetched). The parts of ``fit`` are timed by
   wrapping the model's steps. peak MiB is the child's high-water RSS (VmHWM), DuckDB
   included.
3. Checks on 200,000 customers (a hash sample) that the engine's segment equals the model's
   own predict, and reports the adjusted Rand index against the planted groups; prints a table
   and writes --out/cluster.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from _common import peak_mib

CHUNK = 1_000_000
GROUPS = [  # share, R days, F orders, M spend
    (0.15, 8, 12, 3000.0), (0.35, 300, 1, 25.0), (0.30, 40, 4, 400.0), (0.20, 150, 1, 2500.0)]
NEVER_SHARE = 0.03
OUTLIER_SHARE = 0.005
CHECK_ROWS = 200_000


def generate(n: int, out: Path) -> Path:
    """Write cluster_features_<n>.parquet (skipped when it exists)."""
    path = out / f"cluster_features_{n}.parquet"
    if path.exists():
        return path
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(20250305)
    shares = np.array([g[0] for g in GROUPS])
    params = np.array([g[1:] for g in GROUPS])
    genders, bands = np.array(["F", "M"]), np.array(["18-24", "25-34", "35-44", "55+"])
    out.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    writer = None
    for lo in range(0, n, CHUNK):
        m = min(CHUNK, n - lo)
        grp = rng.choice(len(GROUPS), m, p=shares)
        r, f, mon = params[grp, 0], params[grp, 1], params[grp, 2]
        never = rng.random(m) < NEVER_SHARE
        outlier = ~never & (rng.random(m) < OUTLIER_SHARE)
        recency = np.clip(rng.normal(r, r * 0.15), 0, None).round()
        freq = rng.poisson(f) + (f > 1)
        spend = rng.lognormal(np.log(mon), 0.15).round(2) * np.where(outlier, 200, 1)
        own = rng.random(m) < 0.9
        table = pa.table({
            "customer_id": pa.array(np.char.add("c", np.arange(lo, lo + m).astype(str))),
            "has_ordered": ~never,
            "recency_days": pa.array(recency, mask=never),
            "frequency": np.where(never, 0, freq).astype("int64"),
            "monetary": np.where(never, 0.0, spend),
            "aov": pa.array(spend / np.maximum(freq, 1), mask=never | (freq == 0)),
            "outlier_orders": outlier.astype("int64"),
            "gender": np.where(own, genders[grp % 2], rng.choice(genders, m)),
            "age_band": np.where(own, bands[grp], rng.choice(bands, m)),
            "grp": np.where(never, -1, grp).astype("int64")})
        writer = writer or pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table)
    writer.close()
    tmp.rename(path)
    return path


def _timed(model, parts: dict, *names: str) -> None:
    """Wrap the model's steps so their seconds add up in ``parts`` (instance attributes only:
    the library is untouched)."""
    for name in names:
        method = getattr(model, name)

        def wrapper(*args, _method=method, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                parts[_name] = parts.get(_name, 0.0) + time.perf_counter() - started

        setattr(model, name, wrapper)


def _check(con, model, assigned) -> dict:
    """Engine segment == the model's predict, and ARI against the planted groups, on a hash
    sample of customers who ordered."""
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    features = con.table("features")
    rows = features.filter(features.has_ordered).order_by(features.customer_id.hash()).limit(
        CHECK_ROWS)
    j = rows.join(assigned, "customer_id")
    df = con.execute(j).sort_values("customer_id")
    X = model.transform_frame(df)
    expected = np.array(model.label_ids_)[model._predict(X)]
    return {"checked": len(df), "mismatches": int((expected != df.segment_id.to_numpy()).sum()),
            "ari_planted": round(float(adjusted_rand_score(df.grp, df.segment_id)), 4)}


def run(model_name: str, parquet: Path) -> dict:
    import ibis

    from custseg.io import results
    from custseg.segment import build

    con = ibis.duckdb.connect()
    con.con.execute(f"CREATE TABLE features AS SELECT * FROM read_parquet('{parquet}')")
    features = con.table("features").drop("grp")
    customers = con.con.execute("SELECT count(*) FROM features").fetchone()[0]
    model = build(model_name)
    model.k_range = (2, 10)
    if model_name == "kprototypes":
        model.features = ("recency_days", "frequency", "monetary")
    parts: dict[str, float] = {}
    _timed(model, parts, "_sample", "_cluster", "_describe", "_charts", "_stability_on")
    started = time.perf_counter()
    model.fit(features)
    fitted = time.perf_counter()
    assigned = results.stage(con, model.assign(features), "assigned")
    counts = con.execute(assigned.group_by("segment_id").aggregate(n=assigned.count()))
    ended = time.perf_counter()
    check = _check(con, model, assigned)
    return {"model": model_name, "customers": customers, "k": model.k_,
            "k_rule": model.k_rule_, "n_sample": model.n_sample_,
            "estimator": type(getattr(model, model.estimator_attr)).__name__,
            "fit_seconds": round(fitted - started, 2), "assign_seconds": round(ended - fitted, 2),
            "seconds": round(ended - started, 2),
            "fit_parts": {k.lstrip("_"): round(v, 2) for k, v in parts.items()},
            "stability_mean_ari": round(model.stability_["mean_ari"], 4),
            "counts": dict(sorted(zip(counts.segment_id, counts.n.astype(int).tolist(),
                                      strict=True))),
            **check}


def child(model_name: str, parquet: Path) -> dict:
    import custseg.segment  # noqa: F401  (imports are not timed)

    imported = peak_mib()
    result = run(model_name, parquet)
    return {**result, "peak_mib": peak_mib(), "import_mib": imported}


def measure(model_name: str, parquet: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", model_name, str(parquet)],
                          capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"{model_name} failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  {model_name:<13} {result['customers']:>11,} {result['seconds']:8.1f} s",
          file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--models", nargs="+", default=["kmeans", "hierarchical"],
                        help="kmeans, hierarchical, kprototypes")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1])), default=str))
        return
    out = args.out.resolve()
    results = []
    for n in args.sizes:
        t0 = time.perf_counter()
        parquet = generate(n, out)
        print(f"data: {parquet.name} {parquet.stat().st_size / 2**20:.0f} MiB "
              f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
        results += [measure(m, parquet) for m in args.models]
    print(f"\n{'model':<13} {'customers':>11} {'K':>3} {'fit s':>7} {'assign s':>9} "
          f"{'total s':>8} {'peak MiB':>9} {'ARI':>6} {'mismatch':>9}")
    for r in results:
        print(f"{r['model']:<13} {r['customers']:>11,} {r['k']:>3} {r['fit_seconds']:>7.1f} "
              f"{r['assign_seconds']:>9.1f} {r['seconds']:>8.1f} {r['peak_mib']:>9.0f} "
              f"{r['ari_planted']:>6.3f} {r['mismatches']:>9}")
    for r in results:
        print(f"{r['model']} {r['customers']:,}: {r['estimator']}, fit parts "
              f"{r['fit_parts']}; {r['k_rule']}")
    (out / "cluster.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nwrote {out / 'cluster.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
