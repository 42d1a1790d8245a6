"""A small project with known segmentations, built once for the report tests."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from custseg.pipeline import Project

CITIES = ("杭州", "北京", "上海", "广州")
AS_OF_1, AS_OF_2 = date(2024, 3, 31), date(2024, 6, 30)
INJECTED = "=1+1"  # a customer id a spreadsheet would run as a formula


def write_sources(folder: Path, customers: int = 24) -> tuple[Path, Path]:
    """Customers with attributes and orders whose recency and frequency grow with the id."""
    ids = [INJECTED] + [f"c{i:02d}" for i in range(1, customers)]
    lines = ["customer_id,name,gender,phone,city,channel,register_date"]
    for i, cid in enumerate(ids):
        lines.append(f"{cid},{'张三' if i % 2 else 'Jane Doe'},{'MF'[i % 2]},"
                     f"1381234{i:04d},{CITIES[i % 4]},{('online', 'offline')[i % 3 == 0]},"
                     "2023-01-05")
    orders = ["order_id,customer_id,order_date,amount"]
    n = 0
    for i, cid in enumerate(ids):
        for k in range(i % 6):  # 0–5 orders; customers with i % 6 == 0 never ordered
            day = AS_OF_2 - timedelta(days=7 * i + 20 * k)
            n += 1
            orders.append(f"o{n},{cid},{day.isoformat()},{50 + 40 * i + 10 * k}")
    customers_csv, orders_csv = folder / "customers.csv", folder / "orders.csv"
    customers_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    orders_csv.write_text("\n".join(orders) + "\n", encoding="utf-8")
    return customers_csv, orders_csv


@pytest.fixture(scope="session")
def report_project_dir(tmp_path_factory) -> Path:
    """Loaded project with rfm-rules as of two dates, rfm-scores and kmeans (read it, do not
    write)."""
    folder = tmp_path_factory.mktemp("report")
    customers, orders = write_sources(folder)
    with Project.init(folder / "p", language="en") as p:
        p.ingest([customers], table="customers")
        p.ingest([orders], table="orders")
        p.segment("rfm-rules", as_of=AS_OF_1)
        p.segment("rfm-rules", as_of=AS_OF_2)
        p.segment("rfm-scores", as_of=AS_OF_2)
        p.segment("kmeans", as_of=AS_OF_2)
    return folder / "p"


@pytest.fixture
def report_project(report_project_dir):
    with Project.open(report_project_dir) as p:
        yield p
