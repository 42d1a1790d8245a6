"""`Project.basket`: planted rules found and ranked, per-segment rules, storage, errors."""

from __future__ import annotations

import math
from datetime import date

import pytest

from custseg.errors import CustsegError
from custseg.io.basket_store import latest_basket_run, load_basket_rules
from tests.basket import brute
from tests.basket.data import X_CUSTOMERS, A, B, C, D, assign, baskets_of, load, planted
from tests.conftest import rows


@pytest.fixture(scope="module")
def data():
    return planted()


@pytest.fixture
def loaded(project, data):
    load(project, *data)
    return project


def test_planted_rule_is_found_and_ranked_first_by_lift(loaded, data):
    result = loaded.basket(min_support=0.01, min_confidence=0.0, min_lift=0.0, max_len=2)
    top = result.overall().iloc[0]
    assert (top.antecedent, top.consequent) == (A, B)
    assert top.lift >= 3
    assert (top.support >= 0.01) and (result.overall().support >= 0.01 - 1e-12).all()
    expected = brute.rules(baskets_of(*data), min_support=0.01, floor=5, max_len=2)
    assert top.lift == pytest.approx(expected[A, B]["lift"], rel=1e-12)
    assert len(result.overall()) == len(expected)


def test_overall_rules_equal_brute_force_with_triples(loaded, data):
    result = loaded.basket(min_support=0.005, min_confidence=0.2, min_lift=1.0, max_len=3)
    assert result.algorithm == "engine" and result.max_len == 3
    expected = brute.rules(baskets_of(*data), min_support=0.005, floor=5, min_confidence=0.2,
                           min_lift=1.0)
    got = {(r.antecedent, r.consequent): r for r in result.overall().itertuples()}
    assert set(got) == set(expected)
    assert any(len(k[0].split("|")) == 2 for k in expected)
    for key, figures in expected.items():
        for name, value in figures.items():
            assert getattr(got[key], name) == pytest.approx(value, rel=1e-12)


def test_rules_per_segment_and_their_lift_against_the_overall_lift(loaded, data):
    orders, items = data
    x = {f"c{i}" for i in range(X_CUSTOMERS)}
    segment_of = {c: "X" if c in x else "Y" for c in set(orders.customer_id)}
    assign(loaded, "manual", segment_of)
    result = loaded.basket(segment_model="manual", min_support=0.02, min_confidence=0.0,
                           min_lift=0.0, max_len=2)
    assert result.segment_run_id == "manual-1" and set(result.segments) == {"X", "Y"}
    everyone = baskets_of(orders, items)
    own = baskets_of(orders, items, customers=x)
    assert result.segment_baskets["X"] == len(own)
    expected = brute.rules(own, min_support=0.02, floor=5, max_len=2)
    seg = result.distinctive("X")
    got = {(r.antecedent, r.consequent): r for r in seg.itertuples()}
    assert set(got) == set(expected)
    n = len(everyone)
    for (ante, cons), figures in expected.items():
        overall = brute.count(everyone, [ante, cons]) * n / (
            brute.count(everyone, [ante]) * brute.count(everyone, [cons]))
        assert got[ante, cons].lift == pytest.approx(figures["lift"], rel=1e-12)
        assert got[ante, cons].lift_vs_overall == pytest.approx(figures["lift"] / overall,
                                                                rel=1e-12)
    assert {(seg.iloc[0].antecedent, seg.iloc[0].consequent)} <= {(C, D), (D, C)}
    assert seg.iloc[0].lift_vs_overall > 1.2
    assert result.overall().lift_vs_overall.isna().all()


def test_segment_model_without_a_stored_run_is_run_first(loaded):
    result = loaded.basket(segment_model="rfm-rules", level="category", min_support=0.05)
    assert result.notes and "rfm-rules" in result.notes[0]
    assert rows(loaded, "SELECT kind FROM runs ORDER BY created_at") == [("segment",),
                                                                        ("basket",)]
    assert set(result.rules.segment_id.dropna()) <= set(result.segments)


def test_run_is_stored_as_a_basket_run_with_its_rules(loaded, data):
    result = loaded.basket(level="brand", min_support=0.05)
    con = loaded.connect()
    assert latest_basket_run(con) == result.run_id
    [(kind, as_of)] = rows(loaded, f"SELECT kind, as_of FROM runs WHERE run_id = "
                                   f"'{result.run_id}'")
    assert (kind, as_of) == ("basket", max(data[0].order_date))
    stored = load_basket_rules(con)
    assert len(stored) == len(result.rules) > 0
    assert stored.segment_id.isna().all() and (stored.level == "brand").all()
    items = {i for rule in stored.antecedent + "|" + stored.consequent for i in rule.split("|")}
    assert items <= {f"brand{d}" for d in "0123"}


def test_cancelled_refunded_and_later_orders_are_not_baskets(project):
    orders, items = planted(n_orders=300, seed=2)
    orders.loc[orders.index[:100], "status"] = "已取消"
    orders.loc[orders.index[100:120], "amount"] = -10.0
    load(project, orders, items)
    result = project.basket(min_support=0.01, as_of=date(2024, 6, 30))
    kept = orders[(orders.index >= 120) & (orders.order_date <= date(2024, 6, 30))]
    assert result.baskets == len(set(kept.order_id) & set(items.order_id))


def test_customer_period_baskets_join_a_customers_orders_of_a_month(project):
    orders, items = planted(n_orders=400, customers=20, seed=3)
    load(project, orders, items)
    result = project.basket(basket="customer-period", min_support=0.05)
    months = {(c, d.strftime("%Y-%m")) for c, d in zip(orders.customer_id, orders.order_date,
                                                         strict=True)}
    assert result.baskets == len(months) and result.basket == "customer-period"


def test_deeper_itemsets_use_fpgrowth_on_small_data_and_equal_brute_force(loaded, data):
    result = loaded.basket(level="category", max_len=4, min_support=0.002,
                           min_confidence=0.0, min_lift=0.0)
    assert result.algorithm == "fpgrowth"
    expected = brute.rules(baskets_of(*data, column="category"), min_support=0.002, floor=5,
                           max_len=4)
    assert any(len(a.split("|")) + len(c.split("|")) == 4 for a, c in expected)
    got = {(r.antecedent, r.consequent): r.lift for r in result.overall().itertuples()}
    assert got == pytest.approx({k: v["lift"] for k, v in expected.items()}, rel=1e-12)
    conv = result.overall().conviction
    assert ((conv > 0) | conv.isna()).all() and not math.isnan(conv.max())


def test_fpgrowth_is_not_used_above_its_basket_limit(loaded):
    loaded.settings.basket.fpgrowth_max_baskets = 100
    result = loaded.basket(max_len=4, min_support=0.01)
    assert (result.algorithm, result.max_len) == ("engine", 3)
    assert "fpgrowth_max_baskets" in result.notes[0]


def test_empty_order_items_is_a_clear_error(project):
    orders, _ = planted(n_orders=20)
    load(project, orders, _.iloc[:0])
    with pytest.raises(CustsegError, match="order_items is empty"):
        project.basket()


def test_options_out_of_range_name_the_option(loaded):
    with pytest.raises(CustsegError, match="--min-support"):
        loaded.basket(min_support=1.5)
    with pytest.raises(CustsegError, match="--level"):
        loaded.basket(level="sku")


def test_window_months_keeps_the_last_months_of_orders(loaded, data):
    orders, items = data
    result = loaded.basket(window_months=3, as_of=date(2024, 9, 30))
    kept = orders[(orders.order_date > date(2024, 6, 30))
                  & (orders.order_date <= date(2024, 9, 30))]
    assert result.baskets == len(set(kept.order_id) & set(items.order_id)) > 0
