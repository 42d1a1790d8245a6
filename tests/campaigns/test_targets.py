"""KPI targets and shares as analysts write them."""

import pytest

from custseg.campaigns.targets import parse_share, parse_target
from custseg.errors import CustsegError


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("+10%", "relative_lift", 0.10), ("+15 %", "relative_lift", 0.15),
    ("+5pt", "lift", 0.05), ("+5pp", "lift", 0.05), ("+20", "lift", 20.0),
    (">=20%", "level", 0.20), ("≥ 8%", "level", 0.08), ("20%", "level", 0.20),
    (">=4.5", "level", 4.5), (0.2, "level", 0.2), (3, "level", 3.0),
])
def test_targets_parse(text, kind, value):
    target = parse_target(text)
    assert (target.kind, target.value) == (kind, pytest.approx(value))


@pytest.mark.parametrize("text", ["ten percent", "+", ">=5pt", "10%%", True])
def test_bad_targets_name_where_they_are(text):
    with pytest.raises(CustsegError, match="playbook.segments.A004.kpis.aov"):
        parse_target(text, where="playbook.segments.A004.kpis.aov")


def test_met_compares_the_right_figure():
    assert parse_target("+10%").met(0.33, 0.30) is True       # +10% relative
    assert parse_target("+10%").met(0.32, 0.30) is False
    assert parse_target("+5pt").met(0.35, 0.30) is True
    assert parse_target(">=20%").met(0.19, 0.01) is False     # level ignores control
    assert parse_target("+10%").met(0.3, 0.0) is None         # no relative lift over 0
    assert parse_target(">=20%").met(None, 0.1) is None


def test_describe_in_both_languages():
    assert parse_target("+10%").describe("en") == "+10% vs control"
    assert parse_target(">=8%").describe("zh") == "≥ 8%"
    assert parse_target("+15%").describe("zh") == "较对照组 +15%"
    assert parse_target("+3pt").describe("en") == "+3 pt vs control"


@pytest.mark.parametrize(("text", "share"), [("10%", 0.1), ("0.1", 0.1), ("25", 0.25),
                                             (0.5, 0.5)])
def test_shares(text, share):
    assert parse_share(text) == pytest.approx(share)


@pytest.mark.parametrize("text", ["0", "100%", "-5%", "abc"])
def test_bad_shares(text):
    with pytest.raises(CustsegError, match="--holdout"):
        parse_share(text)
