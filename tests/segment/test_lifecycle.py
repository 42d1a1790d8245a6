"""Lifecycle stages: every boundary of the rules, P(alive) when known, and F of the window
before D − 6 months computed from orders."""

from datetime import date

import ibis
import pytest

from custseg.features import customer_features
from custseg.segment import build
from custseg.segment.inputs import add_inputs
from custseg.segment.lifecycle import Lifecycle
from tests.features.tiny import D, days_before, order, tables

SCHEMA = {"customer_id": "string", "as_of": "date", "has_ordered": "boolean",
          "recency_days": "int64", "first_order_date": "date", "frequency": "int64",
          "prev_frequency": "int64"}
OLD = date(1990, 1, 1)


def row(r=10, f=1, prev=1, first=OLD, ordered=True, **extra) -> dict:
    return {"has_ordered": ordered, "recency_days": r, "first_order_date": first,
            "frequency": f, "prev_frequency": prev, **extra}


def labels(con, model, rows, schema=SCHEMA) -> list[str]:
    full = [r | {"customer_id": str(i), "as_of": D} for i, r in enumerate(rows)]
    f = ibis.memtable({c: [r.get(c) for r in full] for c in schema}, schema=schema)
    out = con.execute(model.fit(f).assign(f))
    return out.sort_values("customer_id", key=lambda s: s.astype(int)).segment_id.tolist()


@pytest.mark.parametrize("r,expected", [
    (row(r=365, f=0, prev=0), "L4"), (row(r=366, f=0, prev=0), "L5"),
    (row(first=days_before(90)), "L1"), (row(first=days_before(91)), "L3"),
    (row(r=400, first=days_before(10)), "L5"),  # lost is tried before new
    (row(f=1, prev=2), "L4"), (row(f=0, prev=0, r=200), "L4"), (row(f=3, prev=2), "L2"),
    (row(f=2, prev=2), "L3"), (row(f=1, prev=0), "L2"),
    (row(ordered=False, r=None, f=0, prev=0, first=None), "L0"),
])
def test_each_rule_at_its_boundary(con, r, expected):
    assert labels(con, Lifecycle(), [r]) == [expected]


def test_p_alive_marks_lost_when_the_feature_table_has_it(con):
    schema = SCHEMA | {"p_alive": "float64"}
    rows = [row(p_alive=0.09), row(p_alive=0.1), row(p_alive=None)]
    model = Lifecycle()
    assert labels(con, model, rows, schema) == ["L5", "L3", "L3"]
    assert model.texts("en")["L5"][0] == "R > 365 d or P(alive) < 0.1"
    assert Lifecycle().fit(ibis.memtable({c: [] for c in SCHEMA}, schema=SCHEMA)).texts(
        "zh")["L5"][0] == "R > 365 天"


def test_stages_are_listed_in_life_order_with_both_names():
    model = Lifecycle(new_days=30).fit(ibis.memtable({c: [] for c in SCHEMA}, schema=SCHEMA))
    assert [(s.id, s.name_zh, s.name_en) for s in model.segments_] == [
        ("L1", "新客户", "new"), ("L2", "成长客户", "growing"), ("L3", "成熟客户", "mature"),
        ("L4", "衰退客户", "declining"), ("L5", "流失客户", "lost"), ("L0", "未购买", "no orders")]
    assert model.texts("en")["L1"][0] == "first order ≤ 30 days ago"
    assert model.texts("en")["L4"][0] == "F < previous-window F or F = 0"


def test_previous_window_from_orders(con):
    # D = 1998-06-30; window (1997-12-30, 1998-06-30]; window before (1997-06-30, 1997-12-30]
    orders = [order("a", date(1997, 12, 30)), order("a", date(1997, 7, 1)),
              order("a", date(1997, 6, 30)), order("a", date(1998, 1, 5)),
              order("a", date(1997, 9, 1), status="cancelled"),
              order("b", date(1997, 8, 1)), order("b", date(1997, 9, 1)),
              order("b", date(1998, 6, 1))]
    tbls = tables(["a", "b"], orders)
    f = add_inputs(customer_features(tbls, as_of=D), tbls, as_of=D)
    out = con.execute(f.select("customer_id", "frequency", "prev_frequency")).sort_values(
        "customer_id").values.tolist()
    assert out == [["a", 1, 2], ["b", 1, 2]]
    model = build("lifecycle")
    assert con.execute(model.fit(f).assign(f)).sort_values(
        "customer_id").segment_id.tolist() == ["L4", "L4"]
