"""Engine counting and rule figures equal a brute-force count on small generated baskets."""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custseg.basket import (
    SEP,
    basket_sizes,
    count_itemsets,
    item_counts,
    pair_counts,
    rule_candidates,
    rule_metrics,
    triple_counts,
)
from custseg.basket.fpgrowth import fpgrowth_itemsets
from tests.basket import brute

ITEMS = list("abcdef")
baskets_st = st.dictionaries(st.integers(0, 60), st.sets(st.sampled_from(ITEMS), min_size=1,
                                                         max_size=5), min_size=1, max_size=40)


def lines_of(baskets: dict, segments: dict | None = None) -> pd.DataFrame:
    rows = [(str(b), item, (segments or {}).get(b, "s0")) for b, items in baskets.items()
            for item in sorted(items)]
    return pd.DataFrame(rows, columns=["basket_id", "item", "segment_id"])


def engine_rules(con, lines: ibis.Table, *, by=(), min_support, floor=1, max_len=3,
                 min_confidence=0.0, min_lift=0.0) -> pd.DataFrame:
    sizes = basket_sizes(lines, by=by, min_support=min_support, min_count=floor)
    items = item_counts(lines, sizes, by=by)
    pairs = pair_counts(lines, items, sizes, by=by)
    sets = [items, pairs] + ([triple_counts(lines, pairs, sizes, by=by)] if max_len > 2 else [])
    sets = sets[0].union(*sets[1:], distinct=False)
    rules = rule_metrics(rule_candidates(sets, by=by), sets, sizes, by=by,
                         min_confidence=min_confidence, min_lift=min_lift)
    return con.to_pandas(rules)


def assert_same(found: pd.DataFrame, expected: dict) -> None:
    got = {(r.antecedent, r.consequent): r for r in found.itertuples(index=False)}
    assert set(got) == set(expected)
    for key, figures in expected.items():
        for name, value in figures.items():
            assert getattr(got[key], name) == pytest.approx(value, rel=1e-12), (key, name)


def test_engine_rules_equal_brute_force_on_random_baskets(con):
    rng = np.random.default_rng(5)
    baskets = {b: set(rng.choice(ITEMS, rng.integers(1, 6), replace=False)) for b in range(80)}
    found = engine_rules(con, ibis.memtable(lines_of(baskets)), min_support=0.05, floor=2)
    expected = brute.rules(baskets, min_support=0.05, floor=2)
    assert sum(len(k[0].split("|")) + len(k[1].split("|")) == 3 for k in expected) > 10
    assert_same(found, expected)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(baskets=baskets_st, min_support=st.sampled_from([0.05, 0.1, 0.2, 0.3]),
       floor=st.integers(1, 3), min_confidence=st.sampled_from([0.0, 0.5]),
       min_lift=st.sampled_from([0.0, 1.0]))
def test_engine_rules_equal_brute_force(con, baskets, min_support, floor, min_confidence,
                                        min_lift):
    found = engine_rules(con, ibis.memtable(lines_of(baskets)), min_support=min_support,
                         floor=floor, min_confidence=min_confidence, min_lift=min_lift)
    assert_same(found, brute.rules(baskets, min_support=min_support, floor=floor,
                                   min_confidence=min_confidence, min_lift=min_lift))


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(baskets=baskets_st, segment_of=st.lists(st.sampled_from(["x", "y", "z"]),
                                               min_size=61, max_size=61))
def test_rules_per_group_are_the_rules_of_each_group_alone(con, baskets, segment_of):
    segments = {b: segment_of[b] for b in baskets}
    found = engine_rules(con, ibis.memtable(lines_of(baskets, segments)), by=("segment_id",),
                         min_support=0.1, max_len=3)
    for seg in set(segments.values()):
        own = {b: items for b, items in baskets.items() if segments[b] == seg}
        assert_same(found[found.segment_id == seg], brute.rules(own, min_support=0.1))
    assert set(found.segment_id) <= set(segments.values())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(baskets=baskets_st, floor=st.integers(1, 4), max_len=st.integers(2, 5))
def test_fpgrowth_itemsets_equal_brute_force(baskets, floor, max_len):
    lines = lines_of(baskets)
    found = fpgrowth_itemsets(lines, len(baskets), min_count=floor, max_len=max_len)
    expected = brute.itemsets(baskets, min_support=1e-9, floor=floor, max_len=max_len)
    assert dict(zip(found.key, found["count"], strict=True)) == {
        SEP.join(s): n for s, n in expected.items()}
    assert (found.k == found.key.str.count(SEP) + 1).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(baskets=baskets_st, wanted=st.lists(st.sets(st.sampled_from(ITEMS), min_size=1,
                                                   max_size=4), min_size=1, max_size=6))
def test_count_itemsets_counts_any_itemset_exactly(con, baskets, wanted):
    keys = {SEP.join(sorted(s)): s for s in wanted}
    out = con.to_pandas(count_itemsets(ibis.memtable(lines_of(baskets)),
                                       ibis.memtable({"key": list(keys)})))
    expected = {k: brute.count(baskets, s) for k, s in keys.items()}
    assert dict(zip(out.key, out["count"], strict=True)) == {
        k: n for k, n in expected.items() if n}


def test_min_count_is_exact_at_a_floating_point_boundary(con):
    # 0.1 × 30 is 3.0000000000000004 in floating point: 3 baskets of 30 still reach 10 %
    baskets = {i: {"a", "b"} if i < 3 else {"c"} for i in range(30)}
    found = engine_rules(con, ibis.memtable(lines_of(baskets)), min_support=0.1)
    assert set(zip(found.antecedent, found.consequent, strict=True)) == {("a", "b"), ("b", "a")}


def test_conviction_is_infinite_when_the_confidence_is_one(con):
    baskets = {0: {"a", "b"}, 1: {"a", "b"}, 2: {"b"}, 3: {"c"}}
    found = engine_rules(con, ibis.memtable(lines_of(baskets)), min_support=0.5)
    rule = found.set_index(["antecedent", "consequent"]).loc[("a", "b")]
    assert math.isinf(rule.conviction)
    assert rule.confidence == 1.0 and rule.lift == pytest.approx(4 / 3)
