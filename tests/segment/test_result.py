"""Template 1: counts, shares, generated descriptions and the granularity guard."""

import ibis
import pandas as pd
import pytest

from custseg.model import UNCLASSIFIED, Segment
from custseg.segment.result import describe, granularity, segment_stats


def stats(rows: dict[str, tuple]) -> pd.DataFrame:
    cols = ["customers", "never_ordered", "avg_recency_days", "avg_frequency", "avg_monetary"]
    return pd.DataFrame([{"segment_id": k, **dict(zip(cols, v, strict=True))}
                         for k, v in rows.items()])


SEGMENTS = [Segment("A", "核心", "core"), Segment("B", "沉睡", "dormant"), UNCLASSIFIED]
TEXTS = {"zh": {"A": ("R ≤ 30 天", "专属服务")}, "en": {"A": ("R ≤ 30 d", "dedicated")}}


def test_counts_add_up_and_empty_segments_are_listed():
    result = describe(stats({"A": (3, 0, 12.0, 6.1, 3210.0), "U": (1, 1, None, 0.0, 0.0)}),
                      SEGMENTS, TEXTS, model="m", dimensions=["R", "F", "M"])
    t = result.table
    assert t.segment_id.tolist() == ["A", "B", "U"]
    assert t.customers.tolist() == [3, 0, 1] and result.total == 4
    assert t.share_pct.tolist() == [75.0, 0.0, 25.0]
    assert t.owner.tolist() == ["", "", ""]
    assert t.characteristics_en[0] == ("last purchase 12 days ago, 6.1 orders in 6 months, "
                                       "average spend ¥3,210")
    assert t.characteristics_zh[1] == "无客户"
    assert t.characteristics_zh[2] == "近6月平均 0.0 单，平均消费 ¥0，1 人从未下单"
    assert t.dimensions_en[0] == "R ≤ 30 d" and t.keywords_zh[0] == "专属服务"


def test_template_in_each_language():
    result = describe(stats({"A": (2, 0, 1.0, 1.0, 1.0)}), SEGMENTS, TEXTS, model="m",
                      dimensions=["R", "F"], window_months=3, currency="$")
    zh, en = result.template("zh"), result.template("en")
    assert list(zh.columns) == ["细分编号", "细分名称", "维度组合", "核心特征", "客户数", "占比 %",
                                "策略关键词", "负责人"]
    assert list(en.columns) == ["segment id", "segment", "dimension combination",
                                "core characteristics", "customers", "share %",
                                "strategy keywords", "owner"]
    assert en.iloc[0, 3] == "last purchase 1 day ago, 1.0 orders in 3 months, average spend $1"
    assert zh.iloc[1, 1] == "沉睡"


def test_unknown_segment_in_assignments_is_a_bug():
    with pytest.raises(ValueError, match="unknown segment ids"):
        describe(stats({"Z": (1, 0, 1.0, 1.0, 1.0)}), SEGMENTS, TEXTS, model="m",
                 dimensions=["R"])


def seg(n: int) -> list[Segment]:
    return [Segment(f"S{i}", "x", "x") for i in range(n)] + [UNCLASSIFIED]


@pytest.mark.parametrize("n,levels", [(2, ["warning"]), (3, []), (6, []), (7, ["warning"]),
                                      (10, ["warning"]), (11, ["strong"])])
def test_granularity_guard(n, levels):
    assert [w.level for w in granularity(seg(n), ["R", "F"])] == levels


def test_one_dimension_and_mostly_unclassified_warn():
    notes = granularity(seg(4), ["monetary"], unclassified_share=0.6)
    assert [n.en for n in notes] == [
        "only one dimension is used (monetary); combine several",
        "60% of customers match no rule; check the thresholds"]
    assert "60%" in notes[1].text("zh")


def test_segment_stats_in_the_engine():
    features = ibis.memtable({"customer_id": ["1", "2", "3"], "has_ordered": [True, True, False],
                              "recency_days": [10, 20, None], "frequency": [1, 3, 0],
                              "monetary": [10.0, 30.0, 0.0]})
    assigned = ibis.memtable({"customer_id": ["1", "2", "3"], "segment_id": ["A", "A", "B"]})
    out = ibis.duckdb.connect().execute(segment_stats(features, assigned))
    out = out.set_index("segment_id").sort_index()
    assert out.customers.tolist() == [2, 1] and out.never_ordered.tolist() == [0, 1]
    assert out.loc["A"].avg_recency_days == 15.0 and pd.isna(out.loc["B"].avg_recency_days)
    assert out.loc["A"].avg_monetary == 20.0
