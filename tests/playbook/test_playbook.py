"""The playbook: seed defaults, config overrides, validation and records."""

import pytest

from custseg.config import parse_settings
from custseg.errors import ConfigError, CustsegError
from custseg.playbook import DEFAULTS, build_playbook, problems, records


def book_of(model="rfm-rules", playbook=None, segments=None):
    settings = parse_settings({"playbook": playbook or {}}).playbook
    return {s.segment_id: s for s in build_playbook(model, settings, segments)}


def test_seed_defaults_from_the_spec():
    book = book_of()
    loyal, dormant = book["A001"], book["A004"]
    assert {k: (t.kind, t.value) for k, t in loyal.kpis.items()} == {
        "repurchase_rate": ("relative_lift", 0.10), "aov": ("relative_lift", 0.15)}
    assert {k: (t.kind, t.value) for k, t in dormant.kpis.items()} == {
        "activation_rate": ("level", 0.20), "repurchase_30d": ("level", 0.08)}
    assert "回归专享100元券" in [m.name("zh") for m in dormant.measures]
    assert [m.key for m in book["A002"].measures] == ["new_customer_offer", "onboarding",
                                                     "follow_up_call"]
    assert {"dedicated_service", "early_access", "tier_upgrade"} == {m.key for m in
                                                                     loyal.measures}
    assert problems(book.values()) == []


def test_every_default_row_is_complete_and_its_targets_parse():
    for model in DEFAULTS:
        assert problems(build_playbook(model)) == [], model


def test_config_overrides_key_by_key():
    book = book_of(playbook={"segments": {"A004": {
        "owner": "王经理", "kpis": {"activation_rate": ">=25%"}, "measures": ["短信召回"]}}})
    row = book["A004"]
    assert row.owner("zh") == row.owner("en") == "王经理"
    assert row.kpis["activation_rate"].value == 0.25 and "repurchase_30d" not in row.kpis
    assert [m.name("en") for m in row.measures] == ["短信召回"]
    assert row.direction("en") == "win back at low cost"  # default kept


def test_missing_parts_are_named():
    segments = [{"segment_id": "K1", "name_zh": "高频高消费", "name_en": "high frequency",
                 "keywords_zh": "专属服务, 优先体验", "keywords_en": "dedicated service, early "
                 "access"},
                {"segment_id": "K2", "name_zh": "其他", "name_en": "other"}]
    book = book_of("kmeans", {"segments": {"K1": {"owner": "CRM"}}}, segments)
    assert [m.key for m in book["K1"].measures] == ["dedicated service", "early access"]
    assert problems(book.values()) == ["K1 high frequency: no direction",
                                       "K2 other: no direction, no measures, no owner"]
    emptied = book_of(playbook={"segments": {"A001": {"measures": []}}})
    assert emptied["A001"].missing() == ["measures"]


def test_blank_owner_or_direction_counts_as_missing():
    book = book_of(playbook={"segments": {"A001": {"owner": "", "direction": "  "}}})
    row = book["A001"]
    assert row.missing() == ["direction", "owner"]
    assert row.owner("en") is None and row.direction("zh") is None
    assert problems(book.values()) == ["A001 core loyal: no direction, no owner"]


def test_bad_kpis_are_config_errors_naming_the_key():
    with pytest.raises(ConfigError) as exc:
        book_of(playbook={"segments": {"A004": {"kpis": {"activaton_rate": ">=20%",
                                                         "aov": "lots"}}}})
    text = str(exc.value)
    assert "playbook.segments.A004.kpis.activaton_rate" in text and "activation_rate" in text
    assert "playbook.segments.A004.kpis.aov" in text


def test_measures_match_by_key_or_either_name():
    row = book_of()["A004"]
    assert row.measure("winback_coupon") is row.measure("回归专享100元券") is row.measure(
        "Win-back coupon ¥100")
    with pytest.raises(CustsegError, match="winback_coupon, churn_survey"):
        row.measure("lottery")


def test_records_have_the_json_keys_in_the_language():
    out = records(build_playbook("rfm-rules"), "zh")
    first = out[0]
    assert {"segment_id", "segment_name", "direction", "measures", "owner", "kpis"} <= set(first)
    assert first["segment_name"] == "核心忠诚客户" and first["owner"] == "会员运营部"
    assert first["kpis"] == {"repurchase_rate": "+10%", "aov": "+15%"}


def test_project_playbook_uses_the_latest_run(project):
    rows = project.playbook(lang="en")
    assert [r["segment_id"] for r in rows][:4] == ["A001", "A002", "A003", "A004"]
    assert rows[0]["model"] == "rfm-rules" and rows[0]["customers"] is None
    with pytest.raises(CustsegError, match="no kmeans segmentation yet"):
        project.playbook("kmeans")
    with pytest.raises(CustsegError, match="did you mean 'rfm-rules'"):
        project.playbook("rfm-rule")
