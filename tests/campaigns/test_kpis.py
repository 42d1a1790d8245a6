"""KPI definitions on a tiny table whose outcomes are worked out by hand."""

from datetime import date, datetime

import ibis
import pytest

from custseg.campaigns.kpis import KPIS, NAMES, arm_stats, outcomes

START = date(2024, 3, 1)  # pre window 2024-01-31 … 02-29, post window 03-01 … 04-29


@pytest.fixture(scope="module")
def tables():
    members = ibis.memtable({"customer_id": ["a", "b", "c", "d"],
                             "arm": ["target", "target", "holdout", "holdout"]})
    rows = [  # customer, date, amount, status
        ("a", date(2024, 1, 10), 70.0, None), ("a", date(2024, 3, 5), 100.0, None),
        ("a", date(2024, 4, 10), 50.0, "completed"), ("a", date(2024, 4, 12), -30.0, None),
        ("b", date(2024, 2, 15), 80.0, None), ("b", date(2024, 3, 3), 500.0, "cancelled"),
        ("c", date(2024, 4, 20), 200.0, None), ("c", date(2024, 4, 29), 100.0, None),
        ("c", date(2024, 4, 30), 900.0, None),
        ("d", date(2024, 2, 29), 40.0, None), ("d", date(2024, 3, 1), 40.0, "已退款"),
        ("x", date(2024, 3, 2), 999.0, None),
    ]
    orders = ibis.memtable({"customer_id": [r[0] for r in rows],
                            "order_date": [r[1] for r in rows],
                            "amount": [r[2] for r in rows], "status": [r[3] for r in rows]})
    interactions = ibis.memtable({
        "customer_id": ["a", "a", "c", "d"],
        "ts": [datetime(2024, 3, 2, 9), datetime(2024, 3, 10), datetime(2024, 2, 20),
               datetime(2024, 3, 15)],
        "satisfaction": [4, 2, 5, 5]})
    return members, orders, interactions


@pytest.fixture(scope="module")
def out(tables):
    members, orders, interactions = tables
    expr = outcomes(members, orders, start=START, pre_days=30, post_days=60,
                    interactions=interactions)
    return expr.execute().set_index("customer_id").sort_index()


def test_outcomes_follow_the_definitions(out):
    assert out.bought_before.tolist() == [True, True, False, True]
    assert out.inactive_pre.tolist() == [True, False, True, False]
    assert out.bought_post.tolist() == [True, False, True, False]
    assert out.bought_30d.tolist() == [True, False, False, False]
    assert out.orders_post.tolist() == [2, 0, 2, 0]
    # refunds reduce revenue, cancelled orders are ignored, day S + post_days is outside
    assert out.revenue_post.tolist() == [120.0, 0.0, 300.0, -40.0]
    assert out.aov_post.loc["a"] == 75.0 and out.aov_post.loc["c"] == 150.0
    assert out.aov_post.loc[["b", "d"]].isna().all()
    assert out.satisfaction_post.loc["a"] == 3.0 and out.satisfaction_post.loc["d"] == 5.0
    assert out.satisfaction_post.loc[["b", "c"]].isna().all()


def test_arm_stats_count_only_eligible_customers(tables):
    members, orders, interactions = tables
    expr = arm_stats(outcomes(members, orders, start=START, pre_days=30, post_days=60,
                              interactions=interactions))
    s = {r["arm"]: r for r in expr.execute().to_dict("records")}
    t, h = s["target"], s["holdout"]
    assert t["members"] == h["members"] == 2
    assert (t["repurchase_rate__n"], t["repurchase_rate__mean"]) == (2, 0.5)
    assert (h["repurchase_rate__n"], h["repurchase_rate__mean"]) == (1, 0.0)
    assert (t["activation_rate__n"], h["activation_rate__n"]) == (1, 1)
    assert (t["revenue__mean"], h["revenue__mean"]) == (60.0, 130.0)
    assert (t["aov__n"], t["aov__mean"], h["aov__mean"]) == (1, 75.0, 150.0)
    assert (t["satisfaction__mean"], h["satisfaction__mean"]) == (3.0, 5.0)
    assert t["revenue__var"] == pytest.approx(7200.0)


def test_pre_window_figures_follow_the_same_definitions_one_window_back(out, tables):
    # pre window 2024-01-31 … 02-29; "before" now means before 2024-01-31
    assert out.bought_before_pre.tolist() == [True, False, False, False]
    assert out.bought_pre.tolist() == [False, True, False, True]
    assert out.bought_30d_pre.tolist() == out.bought_pre.tolist()  # pre_days = 30
    assert out.revenue_pre.tolist() == [0.0, 80.0, 0.0, 40.0]
    assert out.aov_pre.loc["b"] == 80.0 and out.aov_pre.loc[["a", "c"]].isna().all()
    assert out.satisfaction_pre.loc["c"] == 5.0 and out.satisfaction_pre.loc["a"] != 4.0
    members, orders, interactions = tables
    s = {r["arm"]: r for r in arm_stats(outcomes(
        members, orders, start=START, pre_days=30, post_days=60, interactions=interactions)
    ).execute().to_dict("records")}
    t, h = s["target"], s["holdout"]
    assert (t["repurchase_rate__pre_n"], t["repurchase_rate__pre_mean"]) == (1, 0.0)
    assert h["repurchase_rate__pre_n"] == 0
    assert (t["conversion_rate__pre_mean"], h["conversion_rate__pre_mean"]) == (0.5, 0.5)
    assert (t["revenue__pre_mean"], h["revenue__pre_mean"]) == (40.0, 20.0)
    assert (t["aov__pre_mean"], h["aov__pre_mean"]) == (80.0, 40.0)
    assert h["satisfaction__pre_mean"] == 5.0 and t["satisfaction__pre_n"] == 0
    assert "activation_rate__pre_n" not in t  # no pre figure: dormant means no pre order


def test_without_interactions_satisfaction_is_unknown(tables):
    members, orders, _ = tables
    stats = arm_stats(outcomes(members, orders, start=START, pre_days=30, post_days=60)
                      ).execute()
    assert stats["satisfaction__n"].tolist() == [0, 0]


def test_every_kpi_is_named_and_defined():
    assert set(NAMES) == {*KPIS, "roi"}
    assert all(k.definition and k.zh and k.en for k in KPIS.values())
