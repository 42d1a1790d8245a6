"""RFM rules: every bound of the seed template, presets, config rules and their errors."""

from datetime import date

import ibis
import pytest

from custseg.config import parse_settings
from custseg.errors import ConfigError
from custseg.features import customer_features
from custseg.model import NotFittedError
from custseg.segment import build
from custseg.segment.rfm_rules import PRESETS, RFMRules
from tests.features.tiny import D, days_before, order, tables

OLD = date(1990, 1, 1)


def feature_rows(rows: list[dict]) -> ibis.Table:
    """Feature rows by hand: R, F, M and registration date; ids are the row numbers."""
    full = [{"customer_id": str(i), "as_of": D, "registration_date": OLD,
             "repurchased": True, **r} for i, r in enumerate(rows)]
    return ibis.memtable(full, schema={"customer_id": "string", "as_of": "date",
                                       "recency_days": "int64", "frequency": "int64",
                                       "monetary": "float64", "registration_date": "date",
                                       "repurchased": "boolean"})


def labels(con, model, rows: list[dict]) -> list[str]:
    f = feature_rows(rows)
    out = con.execute(model.fit(f).assign(f))
    return out.sort_values("customer_id", key=lambda s: s.astype(int)).segment_id.tolist()


def rfm(r, f, m, **extra) -> dict:
    return {"recency_days": r, "frequency": f, "monetary": m, **extra}


@pytest.mark.parametrize("row,expected", [
    (rfm(30, 5, 2000), "A001"),
    (rfm(31, 5, 2000), "U"),
    (rfm(30, 4, 2000), "U"),
    (rfm(30, 5, 1999), "U"),
    (rfm(0, 20, 1e6), "A001"),
    # A002: registered ≤ 6 months = registration date > D − 6 months = 1997-12-30
    (rfm(100, 1, 1000, registration_date=date(1997, 12, 31)), "A002"),
    (rfm(100, 2, 1000, registration_date=date(1997, 12, 31)), "A002"),
    (rfm(100, 1, 1000, registration_date=date(1997, 12, 30)), "A004"),
    (rfm(50, 3, 1000, registration_date=date(1998, 6, 1)), "U"),
    (rfm(50, 1, 999.5, registration_date=date(1998, 6, 1)), "U"),
    (rfm(50, 0, 1000, registration_date=date(1998, 6, 1)), "U"),
    # A003
    (rfm(60, 2, 300), "A003"),
    (rfm(60, 4, 999), "A003"),
    (rfm(61, 2, 300), "U"),
    (rfm(60, 1, 300), "U"),
    (rfm(60, 5, 300), "U"),
    (rfm(60, 3, 299.99), "U"),
    (rfm(60, 3, 999.5), "U"),
    (rfm(60, 3, 1000), "U"),
    (rfm(30, 5, 999), "U"),
    # A004; R NULL is "never ordered", R = infinity
    (rfm(90, 1, 0), "A004"),
    (rfm(89, 1, 0), "U"),
    (rfm(90, 2, 0), "U"),
    (rfm(None, 0, 0), "A004"),
    (rfm(400, 0, -20), "A004"),
])
def test_seed_template_bounds_are_inclusive_as_written(con, row, expected):
    assert labels(con, RFMRules(), [row]) == [expected]


def test_first_match_wins(con):
    rules = [PRESETS["churn_risk"], PRESETS["dormant"]]  # the same conditions
    assert labels(con, RFMRules(rules=rules), [rfm(100, 0, 0)]) == ["P002"]


def test_lost_preset_needs_no_repurchase(con):
    model = RFMRules(rules=[PRESETS["lost"]])
    rows = [rfm(180, 1, 5, repurchased=False), rfm(180, 1, 5, repurchased=True),
            rfm(179, 1, 5, repurchased=False), rfm(200, 2, 5, repurchased=False)]
    assert labels(con, model, rows) == ["P003", "U", "U", "U"]


def test_potential_preset(con):
    model = RFMRules(rules=[{"preset": "potential", "id": "X", "keywords": "kw"}])
    rows = [rfm(30, 2, 500), rfm(30, 4, 1999), rfm(30, 4, 1999.5), rfm(31, 3, 800)]
    assert labels(con, model, rows) == ["X", "X", "U", "U"]
    assert model.rules_[0].name_zh == "潜力客户" and model.texts("en")["X"][1] == "kw"


def test_rule_text_and_segments():
    model = RFMRules().fit(feature_rows([rfm(1, 1, 1)]))
    texts = model.texts("zh")
    assert texts["A001"][0] == "R ≤ 30 天, F ≥ 5, M ≥ 2000"
    assert texts["A002"][0] == "注册 ≤ 6 个月, F 1–2, M ≥ 1000"
    assert model.texts("en")["A003"][0] == "R ≤ 60 d, F 2–4, M 300–999"
    assert [s.id for s in model.segments_] == ["A001", "A002", "A003", "A004", "U"]
    assert model.dimensions_ == ["recency_days", "frequency", "monetary",
                                 "registered_within_months"]


def test_assign_before_fit_and_fit_assign_agree(con):
    f = feature_rows([rfm(30, 5, 2000), rfm(100, 0, 0)])
    with pytest.raises(NotFittedError):
        RFMRules().assign(f)
    a = con.execute(RFMRules().fit(f).assign(f)).sort_values("customer_id")
    b = con.execute(RFMRules().fit_assign(f)).sort_values("customer_id")
    assert a.equals(b)


def test_rules_from_config_drive_the_assignment(con):
    settings = parse_settings({"segmentation": {"rules": [
        {"id": "VIP", "name_zh": "贵宾", "conditions": {"monetary": {"min": 1000}}},
        {"preset": "churn_risk"},
    ]}})
    model = build("rfm-rules", settings.segmentation)
    assert labels(con, model, [rfm(10, 1, 5000), rfm(100, 1, 5), rfm(10, 3, 5)]) == [
        "VIP", "P002", "U"]
    assert model.rules_[0].name_en == "贵宾"


@pytest.mark.parametrize("rules,needle", [
    ([{"id": "X", "name_en": "x", "conditions": {"recency": {"max": 3}}}],
     "unknown feature 'recency' (did you mean 'recency_days'?)"),
    ([{"preset": "churn_risks"}], "did you mean 'churn_risk'?"),
    ([{"id": "X", "name_en": "x", "conditions": {"frequency": {"min": 5, "max": 2}}}],
     "min 5 > max 2"),
    ([{"id": "X", "name_en": "x", "conditions": {"frequency": True}}], "cannot compare"),
    ([{"id": "U", "name_en": "x", "conditions": {"frequency": 1}}], "reserved"),
    ([{"id": "X", "name_en": "x", "conditions": {"registered_within_months": 0}}],
     "whole number of months"),
])
def test_bad_rules_are_one_clear_error(rules, needle):
    with pytest.raises(ConfigError, match=None) as exc:
        RFMRules(rules=rules).fit(feature_rows([rfm(1, 1, 1)]))
    assert needle in str(exc.value)


def test_unknown_template():
    with pytest.raises(ConfigError, match="unknown rules template 'sed'"):
        RFMRules(template="sed").fit(feature_rows([rfm(1, 1, 1)]))


def test_end_to_end_no_orders_refunds_cancelled_and_orders_after_d(con):
    t = tables(
        ["loyal", "refunded", "cancelled", "future", "none"],
        [*[order("loyal", days_before(d), 400.0) for d in (1, 10, 20, 30, 40)],
         *[order("refunded", days_before(d), 500.0) for d in (1, 10, 20, 30, 40)],
         order("refunded", days_before(2), 1.0, status="已退款"),  # M 2500 − 1 ... still ≥ 2000
         order("refunded", days_before(3), -600.0),  # M now 1899: not A001
         *[order("cancelled", days_before(d), 400.0) for d in (1, 10, 20, 30)],
         order("cancelled", days_before(5), 4000.0, status="cancelled"),
         *[order("future", date(1998, 7, d), 900.0) for d in (1, 2, 3, 4, 5)],
         order("future", days_before(120), 10.0)],
    )
    f = customer_features(t, as_of=D)
    out = con.execute(RFMRules().fit(f).assign(f)).set_index("customer_id").segment_id
    assert out.to_dict() == {"loyal": "A001", "refunded": "U", "cancelled": "U",
                             "future": "A004", "none": "A004"}
