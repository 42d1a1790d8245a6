"""Month arithmetic and order kinds."""

from datetime import date, timedelta

import ibis
import numpy as np
import pytest

from custseg.features.orders import add_months, order_kind


@pytest.mark.parametrize("day,months,expected", [
    (date(1998, 6, 30), -6, date(1997, 12, 30)),
    (date(1998, 8, 31), -6, date(1998, 2, 28)),
    (date(2000, 8, 31), -6, date(2000, 2, 29)),
    (date(2024, 3, 31), -1, date(2024, 2, 29)),
    (date(2024, 1, 15), -13, date(2022, 12, 15)),
    (date(2024, 11, 30), 3, date(2025, 2, 28)),
])
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_add_months_agrees_with_the_engine_interval_arithmetic():
    # rules compute "registered within n months" in the engine; features use add_months
    rng = np.random.default_rng(3)
    days = [date(1990, 1, 1) + timedelta(days=int(x)) for x in rng.integers(0, 15000, 300)]
    months = [int(m) for m in rng.integers(1, 40, 300)]
    t = ibis.memtable({"d": days, "n": months})
    shifted = t.select(s=(t.d - t.n.as_interval("M")).cast("date"))
    con = ibis.duckdb.connect()
    got = [x.date() for x in con.execute(shifted).s]
    assert got == [add_months(d, -n) for d, n in zip(days, months, strict=True)]


def test_order_kind():
    t = ibis.memtable({"status": ["已完成", "已取消", "refunded", None, "pending", "CANCELED"],
                       "amount": [1.0, 1.0, 1.0, -5.0, 2.0, -1.0]})
    kinds = ibis.duckdb.connect().execute(t.select(k=order_kind(t.status, t.amount))).k
    assert kinds.tolist() == ["order", "cancelled", "refund", "refund", "order", "cancelled"]
