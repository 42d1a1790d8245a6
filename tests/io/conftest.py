"""Fixtures for engine and store tests: one local Spark session and one PostgreSQL server per
test session, and a generated orders data set with planted refunds and cancellations."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pytest

from custseg.pipeline import Project


@pytest.fixture(scope="session")
def spark():
    """The local Spark session every Spark test shares (two threads, as on CI)."""
    from custseg.io.spark import session

    spark = session("local[2]", {"spark.driver.memory": "2g"})
    yield spark
    spark.stop()


def _pg_bin() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not versions:
        pytest.fail("PostgreSQL is not installed: apt-get install -y postgresql")
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server on loopback for this test session; its URL (database ``custseg``).

    The server runs as the ``postgres`` user when the tests run as root (initdb refuses
    root), in a temporary folder removed afterwards. If it cannot start, the tests fail.
    """
    bin_dir, port = _pg_bin(), _free_port()
    folder = Path(tempfile.mkdtemp(prefix="custseg-pg-"))
    data = folder / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]

    def run(*args: str) -> None:
        proc = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)
        if proc.returncode:
            pytest.fail(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "custseg", "-A", "trust",
        "-E", "UTF8", "--no-locale")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "custseg",
            "custseg")
        yield f"postgresql://custseg:unused@127.0.0.1:{port}/custseg"
    finally:
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast",
                        "-w", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def generate_orders(path: Path, rows: int, *, seed: int = 12) -> Path:
    """``rows`` orders of ~rows/4 customers over 1997-01-01 … 1998-06-30 as Parquet, with
    cancellations, refunds (by status and by negative amount), channels, costs and
    discounts; amounts have cents, so sums are exact only in decimal arithmetic."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    customers = max(2, rows // 4)
    cust = np.minimum(rng.zipf(1.6, rows), customers) - 1
    cust = (cust + rng.integers(0, customers, rows) * (rng.random(rows) < 0.7)) % customers
    day = np.datetime64("1997-01-01") + rng.integers(0, 546, rows).astype("timedelta64[D]")
    amount = np.round(rng.lognormal(4.0, 1.0, rows), 2)
    status = rng.choice(np.array(["completed", "cancelled", "refunded", "", "已退款"]), rows,
                        p=[0.85, 0.05, 0.04, 0.04, 0.02])
    amount = np.where(rng.random(rows) < 0.01, -amount, amount)
    table = pa.table({
        "order_id": [f"o{i}" for i in range(rows)],
        "customer_id": np.char.add("c", cust.astype(str)),
        "order_date": day, "amount": amount,
        "cost": np.where(rng.random(rows) < 0.5, np.round(amount * 0.6, 2), np.nan),
        "status": status,
        "channel": rng.choice(np.array(["app", "store", "web", "电话"]), rows),
        "discount": np.where(rng.random(rows) < 0.3, 5.0, 0.0),
    })
    table = table.set_column(4, "cost", pa.array(table["cost"].to_numpy(zero_copy_only=False),
                                                 from_pandas=True))
    pq.write_table(table, path)
    return path


def project_from_parquet(folder: Path, orders: Path) -> Path:
    """A project whose canonical tables hold the generated orders (clean data, so this is
    what ingestion would produce); customers registered on their first order's month."""
    with Project.init(folder, language="en") as project:
        db = project.connect().con
        db.execute(f"INSERT INTO orders BY NAME SELECT * FROM read_parquet('{orders}')")
        db.execute("INSERT INTO customers BY NAME SELECT customer_id, "
                   "date_trunc('month', min(order_date))::DATE AS register_date "
                   "FROM orders GROUP BY customer_id")
        db.execute("INSERT INTO customers (customer_id, register_date) "
                   f"VALUES ('never', DATE '{date(1997, 3, 1)}')")
    return folder
