"""Demographic slices: age bands at every boundary, unknown values, the 'other' segment."""

from datetime import date

import ibis
import pytest

from custseg.config import parse_settings
from custseg.errors import ConfigError
from custseg.features import customer_features
from custseg.segment import build
from custseg.segment.demographic import Demographic
from custseg.segment.inputs import UNKNOWN, add_inputs
from tests.features.tiny import D, tables


def test_age_bands_at_every_boundary_and_unknowns(con):
    ages = [17, 18, 24, 25, 34, 35, 44, 45, 54, 55, None]
    customers = [{"customer_id": f"c{i:02d}", "age": a, "gender": "F", "province": "广东省"}
                 for i, a in enumerate(ages)]
    # birth_date: 18 on D exactly, and one day short of 18; no age column value
    customers += [{"customer_id": "d1", "birth_date": date(1980, 6, 30)},
                  {"customer_id": "d2", "birth_date": date(1980, 7, 1)}]
    tbls = tables(customers, [])
    f = add_inputs(customer_features(tbls, as_of=D), tbls, as_of=D)
    out = con.execute(f.select("customer_id", "age_band", "gender", "province")).sort_values(
        "customer_id")
    assert out.age_band.tolist() == [
        "<18", "18-24", "18-24", "25-34", "25-34", "35-44", "35-44", "45-54", "45-54", "55+",
        UNKNOWN, "18-24", "<18"]
    assert out.gender.tolist()[-3:] == ["F", UNKNOWN, UNKNOWN]
    assert out.province.tolist()[-1] == UNKNOWN


def frame(rows: list[tuple]) -> ibis.Table:
    return ibis.memtable({"customer_id": [str(i) for i in range(len(rows))],
                          "gender": [r[0] for r in rows], "age_band": [r[1] for r in rows],
                          "province": [r[2] for r in rows]})


def test_largest_combinations_are_named_and_the_rest_is_other(con):
    rows = [("F", "25-34", "广东省")] * 3 + [("M", "55+", "北京市")] * 2 + [
        ("M", "18-24", "北京市"), ("F", "18-24", None)]
    model = Demographic(max_segments=2)
    f = frame(rows)
    out = con.execute(model.fit(f).assign(f)).sort_values("customer_id",
                                                          key=lambda s: s.astype(int))
    assert out.segment_id.tolist() == ["D01"] * 3 + ["D02"] * 2 + ["O", "O"]
    assert [(s.id, s.name_zh, s.name_en) for s in model.segments_] == [
        ("D01", "女 · 25-34 · 广东省", "female · 25-34 · 广东省"),
        ("D02", "男 · 55+ · 北京市", "male · 55+ · 北京市"),
        ("O", "其他组合", "other combinations")]
    assert model.texts("en")["D02"][0] == "gender = male, age band = 55+, province = 北京市"
    assert model.dimensions_ == ["gender", "age_band", "province"]


def test_null_attribute_is_unknown_and_ties_order_by_name(con):
    f = frame([("M", None, "X"), ("F", None, "X")])
    model = Demographic().fit(f)
    assert [s.name_en for s in model.segments_] == ["female · unknown · X", "male · unknown · X"]
    assert "O" not in {s.id for s in model.segments_}


def test_settings_and_errors():
    settings = parse_settings({"segmentation": {"demographic": {
        "attributes": ["gender", "city"], "max_segments": 8}}})
    assert build("demographic", settings.segmentation).get_params() == {
        "attributes": ["gender", "city"], "max_segments": 8}
    with pytest.raises(ConfigError, match="attributes"):
        parse_settings({"segmentation": {"demographic": {"attributes": ["sex"]}}})
    with pytest.raises(ConfigError, match="missing: city"):
        Demographic(attributes=["gender", "city"]).fit(frame([("M", "55+", "X")]))
