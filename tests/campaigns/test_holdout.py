"""The holdout draw: reproducible, disjoint, exact in size, blind to row order."""

import ibis
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custseg.campaigns.holdout import draw, objectors


def arms(ids, share=0.1, seed=7) -> pd.DataFrame:
    members = ibis.memtable(pd.DataFrame({"customer_id": list(ids)}))
    return draw(members, share=share, seed=seed).execute().set_index("customer_id").arm


def test_same_seed_same_groups_other_seed_other_groups():
    ids = [f"c{i}" for i in range(500)]
    first, again, other = arms(ids), arms(ids), arms(ids, seed=8)
    assert first.sort_index().equals(again.sort_index())
    assert set(first[first == "holdout"].index) != set(other[other == "holdout"].index)


def test_every_customer_in_exactly_one_arm_and_exact_size():
    ids = [f"c{i}" for i in range(1234)]
    a = arms(ids, share=0.15)
    assert sorted(a.index) == sorted(ids) and a.index.is_unique
    assert (a == "holdout").sum() == round(1234 * 0.15)
    assert set(a.unique()) == {"target", "holdout"}


def test_a_tiny_segment_still_gets_one_control_and_one_target():
    assert (arms(["a", "b", "c"], share=0.1) == "holdout").sum() == 1
    assert (arms(["a", "b"], share=0.9) == "target").sum() == 1


@settings(max_examples=8, deadline=None)
@given(st.permutations([f"id{i}" for i in range(40)]), st.integers(0, 10_000))
def test_the_draw_ignores_row_order(order, seed):
    base = arms(sorted(order), share=0.25, seed=seed).sort_index()
    assert arms(order, share=0.25, seed=seed).sort_index().equals(base)


@pytest.mark.parametrize(("column", "values", "out"), [
    ("objects_marketing", [True, None, False], ["a"]),
    ("objects_profiling", [None, True, False], ["b"]),
])
def test_objectors_to_marketing_or_profiling(column, values, out):
    customers = ibis.memtable({"customer_id": ["a", "b", "c"], column: values})
    assert sorted(objectors(customers).execute().customer_id) == out
