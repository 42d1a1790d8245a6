"""The retail demo's planted association P0001 → P0002 is the strongest rule it has."""

from __future__ import annotations

import pytest

from custseg.demo import create_demo
from tests.basket import brute


@pytest.mark.slow
def test_retail_demo_planted_rule_ranks_first(tmp_path):
    project = create_demo("retail", tmp_path / "retail", customers=400, seed=11)
    with project:
        project.ingest_sources()
        result = project.basket(min_support=0.01)
        top = result.overall().iloc[0]
        assert (top.antecedent, top.consequent) == ("P0001", "P0002")
        assert top.lift >= 3 and top.support >= 0.01
        db = project.connect().con
        baskets: dict = {}
        for order, product in db.execute(
                "SELECT i.order_id, i.product_id FROM order_items i JOIN orders o USING "
                "(order_id) WHERE coalesce(o.status, '') NOT IN ('cancelled', 'refunded') "
                "AND o.amount >= 0").fetchall():
            baskets.setdefault(order, set()).add(product)
        expected = brute.rules(baskets, min_support=0.01, floor=5, min_confidence=0.1,
                               min_lift=1.0, max_len=2)
        assert result.baskets == len(baskets)
        assert top.lift == pytest.approx(expected["P0001", "P0002"]["lift"], rel=1e-12)
        segmented = project.basket(level="category", segment_model="rfm-rules",
                                   min_support=0.02)
        assert set(segmented.segments) >= {"A004"}
        assert segmented.rules.lift_vs_overall.notna().sum() == (
            segmented.rules.segment_id.notna().sum())
