"""REST API latency: ``GET /api/customers/{id}/segments`` at a fixed rate on loopback.

    python bench/bench_api.py [--rate 200] [--seconds 30] [--out bench/out]

1. Builds (once; cached in --out as api_project/) a project from the packaged CDNOW master
   file (23,570 customers, 69,659 orders) with three stored segmentations (rfm-rules as of
   1997-12-31 and 1998-06-30, rfm-scores), so ``segment_assignments`` holds ~70,700 rows,
   and a viewer account ``bench``.
2. Starts ``custseg serve`` on 127.0.0.1 (a free port) in its own process, signs in once
   and sends requests with a bearer token.
3. Load: an open-loop, bounded generator (httpx async). Request i is due at start + i/rate
   whatever happened before (no coordinated omission); at most --max-in-flight requests are
   outstanding — a request due while the bound is reached waits and is counted as ``late``.
   Customer ids are drawn at random (seeded) from all customers. The first --warmup seconds
   are sent but not measured.
4. Reports latency from the due time (what a client at that rate sees) and from the actual
   send, as p50/p90/p99/max in ms, errors, late starts, the achieved rate, and the CPU time
   the server and the generator spent per request (from /proc: a figure that contention on
   a shared machine inflates far less than latency); writes --out/api.json. Target: p99 ≤
   20 ms at 200 requests/s.

Only loopback is used; the loop is bounded in count (rate × seconds) and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

SECRET = "bQ7-vX3kLw9Pn2Rt6Yb4Hm7Jd5Fs1Gc0-Tz8uE2aN"
USER, PASSWORD = "bench", "bench-password"


def build(out: Path) -> Path:
    """The benchmark project (skipped when it exists)."""
    folder = out / "api_project"
    if (folder / "custseg.toml").exists():
        return folder
    from custseg.demo import create_demo
    from custseg.io import accounts

    out.mkdir(parents=True, exist_ok=True)
    project = create_demo("cdnow", folder, language="en")
    with project:
        project.ingest_sources()
        project.segment("rfm-rules", as_of=date(1997, 12, 31))
        project.segment("rfm-rules", as_of=date(1998, 6, 30))
        project.segment("rfm-scores", as_of=date(1998, 6, 30))
        accounts.add_user(project.connect().con, USER, "viewer", PASSWORD)
    return folder


def customer_ids(folder: Path) -> list[str]:
    import duckdb

    with duckdb.connect(str(folder / "custseg.duckdb"), read_only=True) as db:
        return [r[0] for r in db.execute("SELECT customer_id FROM customers").fetchall()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "CUSTSEG_SECRET": SECRET}
    with open(log, "wb") as fh:
        server = subprocess.Popen([sys.executable, "-m", "custseg", "serve", "-p", str(folder),
                                   "--port", str(port)], env=env, stdout=fh,
                                  stderr=subprocess.STDOUT)
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server stopped: {log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("server did not start within 120 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)

    def q(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)

    return {"p50": q(0.50), "p90": q(0.90), "p99": q(0.99),
            "max": round(ordered[-1] * 1000, 2), "n": len(ordered)}


async def load(base: str, token: str, ids: list[str], *, rate: float, seconds: float,
               warmup: float, max_in_flight: int, seed: int) -> dict:
    import httpx

    rng = random.Random(seed)
    total = int(rate * (seconds + warmup))
    gate = asyncio.Semaphore(max_in_flight)
    due_lat, send_lat, errors, late = [], [], [], 0
    seconds_in: dict[int, list[float]] = {}
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        start = time.perf_counter() + 0.5

        async def one(i: int, cid: str) -> None:
            nonlocal late
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if gate.locked():
                late += 1
            async with gate:
                sent = time.perf_counter()
                try:
                    response = await client.get(f"/api/customers/{cid}/segments")
                    ok = response.status_code == 200
                except httpx.HTTPError as exc:
                    ok, response = False, exc
                done = time.perf_counter()
            if due - start < warmup:
                return
            if not ok:
                errors.append(str(getattr(response, "status_code", response)))
            due_lat.append(done - due)
            send_lat.append(done - sent)
            seconds_in.setdefault(int(due - start - warmup), []).append(done - due)

        began = time.perf_counter()
        await asyncio.gather(*(one(i, rng.choice(ids)) for i in range(total)))
        elapsed = time.perf_counter() - began
    return {"from_due_ms": percentiles(due_lat), "from_send_ms": percentiles(send_lat),
            "errors": len(errors), "error_examples": errors[:5], "late_starts": late,
            "requests": total, "achieved_rate": round(total / elapsed, 1),
            "p99_ms_by_second": [percentiles(seconds_in[k]).get("p99")
                                 for k in sorted(seconds_in)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--max-in-flight", type=int, default=64)
    parser.add_argument("--seed", type=int, default=20250305)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    import httpx

    folder = build(args.out)
    ids = customer_ids(folder)
    port = free_port()
    server = start_server(folder, port, args.out / "api_server.log")
    try:
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(f"{base}/api/auth/login", json={"username": USER,
                                                          "password": PASSWORD}
                           ).json()["access_token"]
        load_before = os.getloadavg()
        cpu = cpu_seconds(server.pid), cpu_seconds(os.getpid())
        try:  # the generator's own CPU competes with the server's on a small machine
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:
            pass
        result = asyncio.run(load(base, token, ids, rate=args.rate, seconds=args.seconds,
                                  warmup=args.warmup, max_in_flight=args.max_in_flight,
                                  seed=args.seed))
        per = 1000 / result["requests"]
        result["server_cpu_ms_per_request"] = round((cpu_seconds(server.pid) - cpu[0]) * per, 3)
        result["generator_cpu_ms_per_request"] = round(
            (cpu_seconds(os.getpid()) - cpu[1]) * per, 3)
        result.update(rate=args.rate, seconds=args.seconds, customers=len(ids),
                      loadavg_before=load_before, loadavg_after=os.getloadavg(),
                      cores=os.cpu_count(), target_p99_ms=20.0)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result["target_met"] = bool(result["from_due_ms"]) and result["from_due_ms"]["p99"] <= 20
    (args.out / "api.json").write_text(json.dumps(result, indent=2))
    due, send = result["from_due_ms"], result["from_send_ms"]
    print(f"GET /api/customers/{{id}}/segments  {args.rate:g}/s × {args.seconds:g} s on "
          f"loopback, {len(ids):,} customers")
    print(f"  from due time : p50 {due['p50']} ms  p90 {due['p90']} ms  p99 {due['p99']} ms  "
          f"max {due['max']} ms  (n={due['n']})")
    print(f"  from send     : p50 {send['p50']} ms  p90 {send['p90']} ms  p99 {send['p99']} ms")
    print(f"  CPU per request: server {result['server_cpu_ms_per_request']} ms, load "
          f"generator {result['generator_cpu_ms_per_request']} ms")
    print(f"  errors {result['errors']}  late starts {result['late_starts']}  achieved "
          f"{result['achieved_rate']}/s  load avg {load_before[0]:.1f} → "
          f"{result['loadavg_after'][0]:.1f}  target p99 ≤ 20 ms: "
          f"{'met' if result['target_met'] else 'NOT met'}")


if __name__ == "__main__":
    main()
