"""CLV benchmark: BG/NBD + Gamma-Gamma fits on 100k, 1M and 10M generated customers.

    python bench/bench_clv.py [--sizes 100000 1000000 10000000] [--out bench/out]
                              [--lifetimes DIR]

1. Generates (once; cached in --out as clv_summary_<n>.parquet) per-customer summaries
   ``frequency, recency, T, monetary_value`` straight from the generative processes with known
   parameters, in 1M-customer chunks (bounded memory at any size):
     BG/NBD (weeks) r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 (the CDNOW estimates):
       lambda ~ gamma(r, alpha), p ~ beta(a, b); first purchase on a whole day of the first
       12 weeks, calibration ends on day 273 (39 weeks), so T is 190..273 days; purchases
       are Poisson(lambda) after the first; after each repeat purchase the customer drops out
       with probability p (so repeat purchases before dropout K ~ geometric(p));
       x = min(N(T), K), and t_x, the x-th of N(T) uniform arrival times, is
       T * beta(x, N - x + 1); t_x and T are whole days, expressed in weeks.
     Gamma-Gamma p = 6.25, q = 3.74, gamma = 15.44: nu ~ gamma(q, gamma); the mean spend of x
       repeat purchases is gamma(p x, nu x), rounded to cents.
   Distinct (x, t_x, T) and (x, zbar) rows are counted once per file (not timed).
2. Runs each measurement in its own subprocess:
     custseg    ibis.duckdb.connect().read_parquet(file), then BetaGeoModel().fit(summary) and
                GammaGammaModel().fit(summary): the sufficient statistics (customers grouped
                by (x, t_x, T) and by (x, zbar), counted in DuckDB) and the maximum-likelihood
                fits, as `Project.predict` / `custseg predict clv` run them.
     lifetimes  the same grouping in DuckDB, then lifetimes 0.11.3 BetaGeoFitter.fit and
                GammaGammaFitter.fit with weights= the counts (only with --lifetimes DIR, a
                folder holding the unpacked lifetimes, autograd and dill wheels: lifetimes is
                archived and is not installed into the project's virtualenv).
   seconds: time.perf_counter around that work, after imports; peak MiB: the child's VmHWM
   (`bench_ingest.peak_mib`), including the interpreter and libraries. The machine may be
   shared: the JSON records the 1-minute load average before and after each measurement.
3. Prints a table and writes --out/clv.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import peak_mib  # noqa: E402

CHUNK = 1_000_000
BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}
CALIBRATION_DAYS = 273
JOIN_DAYS = 84


def _chunk(rng, n: int):
    import numpy as np
    import pyarrow as pa

    lam = rng.gamma(BGNBD["r"], 1 / BGNBD["alpha"], n)  # purchases per week
    drop = rng.beta(BGNBD["a"], BGNBD["b"], n)
    t_days = CALIBRATION_DAYS - rng.integers(0, JOIN_DAYS, n)
    t_weeks = t_days / 7.0
    arrivals = rng.poisson(lam * t_weeks)
    before_dropout = rng.geometric(np.clip(drop, 1e-300, 1.0))
    x = np.minimum(arrivals, before_dropout)
    repeat = x > 0
    position = np.ones(n)
    position[repeat] = rng.beta(x[repeat], arrivals[repeat] - x[repeat] + 1)
    tx_days = np.where(repeat, np.minimum(np.floor(position * t_days), t_days), 0)
    nu = rng.gamma(GAMMA_GAMMA["q"], 1 / GAMMA_GAMMA["gamma"], n)
    xs = np.maximum(x, 1)
    zbar = rng.gamma(GAMMA_GAMMA["p"] * xs, 1 / (nu * xs))
    zbar = np.where(repeat, np.maximum(np.round(zbar, 2), 0.01), 0.0)
    return pa.table({"frequency": x.astype("int64"), "recency": tx_days / 7.0,
                     "T": t_weeks, "monetary_value": zbar})


def generate(n: int, out: Path) -> tuple[Path, dict]:
    """Write clv_summary_<n>.parquet and its .json of distinct-row counts (cached)."""
    path, meta_path = out / f"clv_summary_{n}.parquet", out / f"clv_summary_{n}.json"
    if path.exists() and meta_path.exists():
        return path, json.loads(meta_path.read_text())
    import duckdb
    import numpy as np
    import pyarrow.parquet as pq

    rng = np.random.default_rng(20250305 + n)
    start = time.perf_counter()
    writer = None
    for done in range(0, n, CHUNK):
        table = _chunk(rng, min(CHUNK, n - done))
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()
    seconds = time.perf_counter() - start
    db = duckdb.connect()
    src = f"read_parquet('{path}')"
    meta = {
        "customers": n, "generate_seconds": round(seconds, 2),
        "distinct_x_tx_T": db.execute(f"SELECT count(*) FROM (SELECT DISTINCT frequency, "
                                      f"recency, T FROM {src})").fetchone()[0],
        "repeat_customers": db.execute(f"SELECT count(*) FROM {src} WHERE frequency > 0"
                                       ).fetchone()[0],
        "distinct_x_zbar": db.execute(f"SELECT count(*) FROM (SELECT DISTINCT frequency, "
                                      f"monetary_value FROM {src} WHERE frequency > 0)"
                                      ).fetchone()[0],
        "max_frequency": db.execute(f"SELECT max(frequency) FROM {src}").fetchone()[0],
    }
    meta_path.write_text(json.dumps(meta, indent=2))
    return path, meta


def child(kind: str, src: Path) -> dict:
    """One measurement inside its own process."""
    import ibis

    if kind == "custseg":
        from custseg.clv import BetaGeoModel, GammaGammaModel
    else:
        import warnings

        warnings.filterwarnings("ignore")
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    import_mib = peak_mib()
    con = ibis.duckdb.connect()
    start = time.perf_counter()
    summary = con.read_parquet(src)
    if kind == "custseg":
        bg = BetaGeoModel().fit(summary)
        gg = GammaGammaModel().fit(summary)
        params, ll = {**bg.params_, **gg.params_}, bg.log_likelihood_
        converged = bg.converged_ and gg.converged_
    else:
        db = con.con
        rel = f"read_parquet('{src}')"
        tx = db.execute(f"SELECT frequency, recency, T, count(*) AS w FROM {rel} "
                        "GROUP BY ALL").df()
        zs = db.execute(f"SELECT frequency, monetary_value, count(*) AS w FROM {rel} "
                        "WHERE frequency > 0 GROUP BY ALL").df()
        bgf = BetaGeoFitter().fit(tx.frequency, tx.recency, tx["T"], weights=tx.w)
        ggf = GammaGammaFitter().fit(zs.frequency, zs.monetary_value, weights=zs.w)
        params = {**bgf.params_.to_dict(), **ggf.params_.rename({"v": "gamma"}).to_dict()}
        ll, converged = None, True  # lifetimes reports a rescaled, penalised likelihood
    seconds = time.perf_counter() - start
    return {"kind": kind, "seconds": round(seconds, 2), "peak_mib": peak_mib(),
            "import_mib": import_mib, "params": {k: float(v) for k, v in params.items()},
            "bgnbd_loglik": ll if ll is None else float(ll), "converged": bool(converged)}


def _load() -> float | None:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return None


def measure(kind: str, src: Path, lifetimes: Path | None) -> dict:
    """Run `child` in a fresh interpreter; records the 1-minute load average around it."""
    env = dict(os.environ)
    load_before = _load()
    if kind == "lifetimes":
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(lifetimes),
                                                           env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, __file__, "--child", kind, str(src)],
                          capture_output=True, text=True, env=env, timeout=3600)
    if proc.returncode != 0:
        return {"kind": kind, "error": proc.stderr.strip().splitlines()[-1]}
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "load_before": load_before,
            "load_after": _load()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+",
                        default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--lifetimes", type=Path, default=None,
                        help="Folder with unpacked lifetimes, autograd and dill wheels.")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    kinds = ["custseg"] + (["lifetimes"] if args.lifetimes else [])
    rows = []
    for n in args.sizes:
        src, meta = generate(n, args.out)
        for kind in kinds:
            rows.append({"customers": n, **meta, **measure(kind, src, args.lifetimes)})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    head = (f"{'customers':>11} {'(x,tx,T)':>9} {'(x,zbar)':>9} {'tool':>9} {'seconds':>8} "
            f"{'peak MiB':>9} {'r':>6} {'alpha':>6} {'a':>6} {'b':>6} {'p':>5} {'q':>5} "
            f"{'gamma':>6}")
    print(head)
    for r in rows:
        if "error" in r:
            print(f"{r['customers']:>11,} {r['kind']:>29}: {r['error']}")
            continue
        p = r["params"]
        print(f"{r['customers']:>11,} {r['distinct_x_tx_T']:>9,} {r['distinct_x_zbar']:>9,} "
              f"{r['kind']:>9} {r['seconds']:>8.2f} {r['peak_mib']:>9.0f} {p['r']:>6.3f} "
              f"{p['alpha']:>6.3f} {p['a']:>6.3f} {p['b']:>6.3f} {p['p']:>5.2f} "
              f"{p['q']:>5.2f} {p['gamma']:>6.2f}")
    print(f"{'true':>11} {'':>9} {'':>9} {'':>9} {'':>8} {'':>9} {BGNBD['r']:>6.3f} "
          f"{BGNBD['alpha']:>6.3f} {BGNBD['a']:>6.3f} {BGNBD['b']:>6.3f} "
          f"{GAMMA_GAMMA['p']:>5.2f} {GAMMA_GAMMA['q']:>5.2f} {GAMMA_GAMMA['gamma']:>6.2f}")
    ratios = {}
    for n in args.sizes:
        by = {r["kind"]: r for r in rows if r["customers"] == n and "error" not in r}
        if {"custseg", "lifetimes"} <= set(by):
            ratios[n] = {"time": round(by["custseg"]["seconds"] / by["lifetimes"]["seconds"], 2),
                         "memory": round(by["custseg"]["peak_mib"]
                                         / by["lifetimes"]["peak_mib"], 2)}
            print(f"custseg / lifetimes at {n:,}: time {ratios[n]['time']}, "
                  f"memory {ratios[n]['memory']}")
    (args.out / "clv.json").write_text(json.dumps(
        {"true_params": {**BGNBD, **GAMMA_GAMMA}, "rows": rows,
         "ratios": {str(k): v for k, v in ratios.items()}}, indent=2))


if __name__ == "__main__":
    main()
