"""Tiny hand-made canonical tables as Ibis memtables, for hand-computed answers."""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import pandas as pd

from custseg import schema

TYPES = {"str": "string", "int": "int64", "float": "float64", "date": "date",
         "timestamp": "timestamp", "bool": "boolean"}
D = date(1998, 6, 30)


def table(name: str, rows: list[dict]) -> ibis.Table:
    """A memtable with every canonical column of ``name``; missing values are NULL."""
    cols = schema.column_names(name)
    frame = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols,
                         dtype=object)
    return ibis.memtable(frame, schema={c.name: TYPES[c.type] for c in schema.columns(name)})


def tables(customers: list, orders: list, **others: list) -> dict[str, ibis.Table]:
    """``customers`` may be plain ids; ``orders`` rows may leave out order_id."""
    cust = [c if isinstance(c, dict) else {"customer_id": c} for c in customers]
    ords = [{"order_id": f"o{i}", **o} for i, o in enumerate(orders)]
    return {"customers": table("customers", cust), "orders": table("orders", ords),
            **{k: table(k, v) for k, v in others.items()}}


def days_before(n: int, day: date = D) -> date:
    return day - timedelta(days=n)


def order(customer: str, day: date, amount: float = 10.0, **extra) -> dict:
    return {"customer_id": customer, "order_date": day, "amount": amount, **extra}
