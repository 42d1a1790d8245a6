"""Value × activity matrix: every boundary of the cut points, medians, NULLs and config."""

import ibis
import pytest

from custseg.config import parse_settings
from custseg.errors import ConfigError
from custseg.segment import build
from custseg.segment.value_matrix import ValueMatrix


def table(rows: list[tuple]) -> ibis.Table:
    """Rows of (value, frequency, recency_days); ids are the row numbers."""
    return ibis.memtable(
        {"customer_id": [str(i) for i in range(len(rows))],
         "ltv_historic": [r[0] for r in rows], "frequency": [r[1] for r in rows],
         "recency_days": [r[2] for r in rows]},
        schema={"customer_id": "string", "ltv_historic": "float64", "frequency": "int64",
                "recency_days": "int64"})


def labels(con, model, rows) -> list[str]:
    f = table(rows)
    out = con.execute(model.fit(f).assign(f))
    return out.sort_values("customer_id", key=lambda s: s.astype(int)).segment_id.tolist()


def test_the_cut_point_belongs_to_the_low_side(con):
    rows = [(100.0, 2, 1), (100.01, 2, 1), (100.01, 3, 1), (100.0, 3, 1), (None, None, None)]
    model = ValueMatrix(value_cut=100, activity_cut=2)
    assert labels(con, model, rows) == ["V4", "V2", "V1", "V3", "V4"]


def test_recency_activity_is_high_at_or_below_the_cut_and_never_ordered_is_low(con):
    rows = [(500.0, 0, 90), (500.0, 0, 91), (10.0, 0, 90), (10.0, 0, None)]
    model = ValueMatrix(activity="recency_days", value_cut=100, activity_cut=90)
    assert labels(con, model, rows) == ["V1", "V2", "V3", "V4"]
    assert model.texts("en")["V1"][0] == "historic LTV > 100, R ≤ 90 d"
    assert model.texts("zh")["V2"][0] == "历史价值 > 100, R > 90 天"


def test_default_cuts_are_medians_learned_in_fit(con):
    # values 1, 2, 3, 4 → median 2.5; F 0, 0, 0, 5 → median 0 (so F ≥ 1 is high)
    rows = [(1.0, 0, 5), (2.0, 0, 5), (3.0, 0, 5), (4.0, 5, 5)]
    model = ValueMatrix()
    assert labels(con, model, rows) == ["V4", "V4", "V2", "V1"]
    assert (model.value_cut_, model.activity_cut_) == (2.5, 0.0)
    f = table(rows)
    assert (con.execute(ValueMatrix().fit_assign(f)).sort_values("customer_id").values.tolist()
            == con.execute(model.assign(f)).sort_values("customer_id").values.tolist())


def test_segments_have_both_names_in_quadrant_order(con):
    model = ValueMatrix(value_cut=1, activity_cut=1).fit(table([(1.0, 1, 1)]))
    assert [(s.id, s.name_zh, s.name_en) for s in model.segments_] == [
        ("V1", "高价值高活跃", "high value, high activity"),
        ("V2", "高价值低活跃", "high value, low activity"),
        ("V3", "低价值高活跃", "low value, high activity"),
        ("V4", "低价值低活跃", "low value, low activity")]
    assert model.dimensions_ == ["ltv_historic", "frequency"]


def test_from_settings_and_errors():
    settings = parse_settings({"segmentation": {"value_matrix": {
        "value": "monetary", "activity": "recency_days", "value_cut": 300}}})
    model = build("value-matrix", settings.segmentation)
    assert model.get_params() == {"value": "monetary", "activity": "recency_days",
                                  "value_cut": 300.0, "activity_cut": None}
    with pytest.raises(ConfigError, match="unknown key segmentation.value_matrix.valu"):
        parse_settings({"segmentation": {"value_matrix": {"valu": "x"}}})
    with pytest.raises(ConfigError, match="needs the feature.*monetary"):
        ValueMatrix(value="monetary").fit(table([(1.0, 1, 1)]))
