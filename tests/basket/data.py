"""Generated orders and order lines with planted associations, loaded straight into a project."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

A, B = "P01", "P02"          # A → B everywhere: B in 80 % of A's orders
C, D = "P05", "P06"          # C and D together only in segment X; apart elsewhere
X_CUSTOMERS = 50


def planted(n_orders: int = 2000, customers: int = 200, seed: int = 1
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Orders (customer c0… c49 form segment X) and their lines: 1–3 random products among
    P10–P39, plus the planted A → B and the segment-X-only C ↔ D."""
    rng = np.random.default_rng(seed)
    cust = rng.integers(0, customers, n_orders)
    start = date(2024, 1, 1)
    orders = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(n_orders)],
        "customer_id": [f"c{c}" for c in cust],
        "order_date": [start + timedelta(days=int(d)) for d in rng.integers(0, 360, n_orders)],
        "amount": 10.0, "status": None})
    lines = []
    for i in range(n_orders):
        order = f"o{i}"
        products = {f"P{p}" for p in rng.integers(10, 40, rng.integers(1, 4))}
        if rng.random() < 0.05:
            products.add(A)
            if rng.random() < 0.8:
                products.add(B)
        elif rng.random() < 0.03:
            products.add(B)
        if cust[i] < X_CUSTOMERS:
            if rng.random() < 0.3:
                products |= {C, D}
        elif rng.random() < 0.4:
            products.add(C if rng.random() < 0.5 else D)
        lines += [(order, p, f"cat{p[-1]}", f"brand{p[1]}", 1) for p in sorted(products)]
    items = pd.DataFrame(lines, columns=["order_id", "product_id", "category", "brand",
                                         "quantity"])
    return orders, items


def load(project, orders: pd.DataFrame, items: pd.DataFrame) -> None:
    """Insert clean rows into the canonical tables (what ingestion of clean files gives)."""
    db = project.connect().con
    for name, frame in (("orders", orders), ("order_items", items)):
        db.register("_frame", frame)
        db.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _frame")
        db.unregister("_frame")
    db.execute("INSERT INTO customers BY NAME SELECT DISTINCT customer_id FROM orders")


def assign(project, model: str, segment_of: dict[str, str], run_id: str = "manual-1",
           as_of: date = date(2024, 12, 31)) -> None:
    """Store a segmentation run of ``model`` with the given customer → segment map."""
    from custseg.io.results import _insert_run, ensure_result_tables

    con = project.connect()
    ensure_result_tables(con)
    db = con.con
    _insert_run(db, run_id, "segment", as_of, {"model": model})
    frame = pd.DataFrame({"customer_id": list(segment_of), "segment_id": list(
        segment_of.values())})
    db.register("_frame", frame)
    db.execute(f"INSERT INTO segment_assignments SELECT '{run_id}', '{model}', customer_id, "
               "segment_id, 'segment ' || segment_id FROM _frame")
    db.unregister("_frame")


def baskets_of(orders: pd.DataFrame, items: pd.DataFrame, column: str = "product_id",
               customers: set | None = None) -> dict[str, set]:
    """Brute-force baskets: order id → its distinct items."""
    keep = set(orders.order_id if customers is None
               else orders.order_id[orders.customer_id.isin(customers)])
    out: dict[str, set] = {}
    for order, item in zip(items.order_id, items[column], strict=True):
        if order in keep:
            out.setdefault(order, set()).add(item)
    return out
