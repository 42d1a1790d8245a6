"""Tiers and classes: every boundary of every variant, learned and fixed cut points, config."""

import ibis
import pytest

from custseg.config import parse_settings
from custseg.errors import ConfigError
from custseg.segment import build
from custseg.segment.tiers import VARIANTS, Tiers

COLUMNS = {"customer_id": "string", "has_ordered": "boolean", "ltv_historic": "float64",
           "frequency": "int64", "monetary": "float64", "aov": "float64", "profit": "float64",
           "recency_days": "int64", "top_brand_share": "float64", "discount_share": "float64",
           "industry": "string", "company_size": "int64"}


def table(rows: list[dict]) -> ibis.Table:
    full = [{"has_ordered": True} | r | {"customer_id": str(i)} for i, r in enumerate(rows)]
    return ibis.memtable({c: [r.get(c) for r in full] for c in COLUMNS}, schema=COLUMNS)


def labels(con, model, rows) -> list[str]:
    f = table(rows)
    out = con.execute(model.fit(f).assign(f))
    return out.sort_values("customer_id", key=lambda s: s.astype(int)).segment_id.tolist()


def test_vip_is_the_top_tenth_and_potential_the_bottom_fifth_or_never_ordered(con):
    # LTV 1..10 of customers who ordered: q90 = 9.1, q20 = 2.8 (interpolated); the prospect
    # with LTV 0 does not move the cut points
    rows = [{"ltv_historic": float(v)} for v in range(1, 11)] + [
        {"has_ordered": False, "ltv_historic": 0.0}]
    model = Tiers()
    assert labels(con, model, rows) == ["T3", "T3"] + ["T2"] * 7 + ["T1", "T3"]
    assert model.cuts_ == pytest.approx([2.8, 9.1])
    assert [s.name_en for s in model.segments_] == ["VIP", "regular", "potential"]
    assert [s.name_zh for s in model.segments_] == ["贵宾客户", "普通客户", "潜力客户"]


def test_vip_fixed_cuts_are_inclusive_on_the_low_side(con):
    rows = [{"ltv_historic": v} for v in (1000.0, 1000.5, 100.0, 100.5)]
    assert labels(con, Tiers(cuts=[100, 1000]), rows) == ["T2", "T1", "T3", "T2"]


@pytest.mark.parametrize("variant,column", [("frequency", "frequency"), ("amount", "monetary"),
                                            ("aov", "aov"), ("profit", "profit")])
def test_three_classes_with_fixed_cuts_and_unknown(con, variant, column):
    rows = [{column: v} for v in (1, 2, 3, 4, None)]
    model = Tiers(variant=variant, cuts=[1, 3])
    # a cut point is the top of the class below it; a NULL (AOV when F = 0) is unknown
    assert labels(con, model, rows) == ["C3", "C2", "C2", "C1", "U"]
    assert [s.id for s in model.segments_] == ["C1", "C2", "C3", "U"]


def test_value_classes_learn_quantiles_of_customers_who_ordered(con):
    rows = [{"ltv_historic": float(v)} for v in range(1, 11)]  # q50 = 5.5, q80 = 8.2
    model = Tiers(variant="value")
    assert labels(con, model, rows) == ["C3"] * 5 + ["C2"] * 3 + ["C1"] * 2
    assert model.segments_[0].name_zh == "高价值客户"


def test_bank_style_activity_boundaries(con):
    rows = [{"recency_days": r} for r in (90, 91, 180, 181)] + [
        {"has_ordered": False, "recency_days": None}]
    model = Tiers(variant="activity")
    assert labels(con, model, rows) == ["A1", "A2", "A2", "A3", "A2"]
    assert [s.name_en for s in model.segments_] == ["active", "potential", "dormant"]
    assert model.texts("en")["A2"][0] == "never ordered or R > 90 d, R ≤ 180 d"


def test_preference_brand_first_then_discount_then_other(con):
    rows = [{"top_brand_share": 0.6, "discount_share": 0.9},
            {"top_brand_share": 0.59, "discount_share": 0.5},
            {"top_brand_share": 0.59, "discount_share": 0.49},
            {"discount_share": 0.1}, {}]
    assert labels(con, Tiers(variant="preference"), rows) == ["P1", "P2", "P3", "P3", "U"]
    with pytest.raises(ConfigError, match="brand or orders.discount"):
        Tiers(variant="preference").fit(table([{}]))


def test_b2b_industry_by_company_size(con):
    rows = [{"industry": "制造业", "company_size": 199},
            {"industry": "制造业", "company_size": 200}, {"industry": "制造业", "company_size": 50},
            {"industry": "零售", "company_size": 10},
            {"industry": "零售", "company_size": None}, {"industry": None, "company_size": 5}]
    model = Tiers(variant="b2b", max_industries=1)
    assert labels(con, model, rows) == ["B01", "B02", "B01", "B03", "U", "U"]
    assert [(s.id, s.name_zh, s.name_en) for s in model.segments_][:3] == [
        ("B01", "制造业·中小企业", "制造业 · SME"), ("B02", "制造业·大型企业", "制造业 · large"),
        ("B03", "其他行业·中小企业", "other industries · SME")]
    with pytest.raises(ConfigError, match="industry and company_size"):
        Tiers(variant="b2b").fit(table([{}]))


def test_config_variants_match_the_model_and_typos_fail():
    settings = parse_settings({"segmentation": {"tiers": {"variant": "aov",
                                                          "cuts": [50, 150]}}})
    assert build("tiers", settings.segmentation).get_params()["cuts"] == (50.0, 150.0)
    field = type(settings.segmentation.tiers).model_fields["variant"]
    assert set(field.annotation.__args__) == set(VARIANTS)
    with pytest.raises(ConfigError, match="variant"):
        parse_settings({"segmentation": {"tiers": {"variant": "vipp"}}})
    with pytest.raises(ConfigError, match="two ascending cut points"):
        Tiers(cuts=[5, 1]).fit(table([{"ltv_historic": 1.0}]))
