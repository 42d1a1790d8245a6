"""KPI records, targets and the diagnostics of misses, on hand-made arm statistics."""

import pytest

from custseg.campaigns.evaluate import diagnose, evaluate_kpis
from custseg.campaigns.targets import parse_target


def arm(members, **kpis):
    """``kpis``: name → (n, mean, var)."""
    row = {"members": members}
    for name, (n, mean, var) in kpis.items():
        row |= {f"{name}__n": n, f"{name}__mean": mean, f"{name}__var": var}
    return row


STATS = {"target": arm(1000, repurchase_rate=(1000, 0.25, 0.1877), revenue=(1000, 40.0, 900.0),
                       aov=(250, 160.0, 400.0)),
         "holdout": arm(100, repurchase_rate=(100, 0.20, 0.1616), revenue=(100, 32.0, 900.0),
                        aov=(20, 160.0, 400.0))}


def by_name(records):
    return {r["name"]: r for r in records}


def test_records_carry_estimates_targets_and_met():
    targets = {"repurchase_rate": parse_target("+10%"), "aov": parse_target("+15%"),
               "activation_rate": parse_target(">=20%")}
    out = by_name(evaluate_kpis(STATS, targets, cost=1000.0, lang="zh"))
    rate = out["repurchase_rate"]
    assert rate["lift"] == pytest.approx(0.05) and rate["relative_lift"] == pytest.approx(0.25)
    assert rate["met"] is True and rate["label"] == "复购率"
    assert out["aov"]["met"] is False and out["aov"]["lift"] == 0
    # a target without data is still listed, with nothing to judge
    assert out["activation_rate"]["lift"] is None and out["activation_rate"]["met"] is None
    roi = out["roi"]
    assert roi["incremental_revenue"] == pytest.approx(8000.0)
    assert roi["lift"] == pytest.approx(7.0)
    assert "satisfaction" not in out  # no data in either arm


def test_low_redemption_points_at_the_offer():
    kpis = evaluate_kpis(STATS, {"aov": parse_target("+15%")})
    execution = {"actions": 900, "target_members": 1000, "reached": 900, "redeemed": 45,
                 "redeemed_known": 900, "holdout_treated": 0}
    codes = [n["code"] for n in diagnose(kpis, execution)]
    assert "low_redemption" in codes and "low_reach" not in codes


def test_reach_contamination_and_open_window():
    from datetime import date

    execution = {"actions": 100, "target_members": 1000, "reached": 100, "holdout_treated": 3}
    notes = diagnose([], execution, data_end=date(2024, 7, 10), post_end=date(2024, 7, 30))
    assert [n["code"] for n in notes] == ["window_open", "low_reach", "contamination"]
    assert "10.0%" in notes[1]["en"] and "3" in notes[2]["zh"]


def test_redeemed_but_no_increment_and_underpowered():
    stats = {"target": arm(500, repurchase_rate=(500, 0.21, 0.166)),
             "holdout": arm(50, repurchase_rate=(50, 0.20, 0.163))}
    kpis = evaluate_kpis(stats, {"repurchase_rate": parse_target("+10%")})
    execution = {"actions": 500, "target_members": 500, "reached": 480, "redeemed": 200,
                 "redeemed_known": 480}
    codes = [n["code"] for n in diagnose(kpis, execution)]
    assert codes == ["miss", "no_effect", "no_increment", "underpowered"]


def test_a_real_lift_below_target_is_told_apart():
    stats = {"target": arm(5000, repurchase_rate=(5000, 0.25, 0.19)),
             "holdout": arm(5000, repurchase_rate=(5000, 0.20, 0.16))}
    kpis = evaluate_kpis(stats, {"repurchase_rate": parse_target("+10pt")})
    assert kpis[0]["significant"] and kpis[0]["met"] is False
    assert [n["code"] for n in diagnose(kpis, {"actions": 1, "target_members": 5000,
                                               "reached": 5000})] == ["miss", "below_target"]


def test_pre_window_values_ride_along_and_the_contract_keys_stay():
    stats = {"target": STATS["target"] | {"repurchase_rate__pre_n": 900,
                                          "repurchase_rate__pre_mean": 0.30},
             "holdout": STATS["holdout"] | {"repurchase_rate__pre_n": 90,
                                            "repurchase_rate__pre_mean": 0.22}}
    row = evaluate_kpis(stats, {}, cost=100.0)
    rate = by_name(row)["repurchase_rate"]
    assert (rate["treated_pre"], rate["control_pre"]) == (0.30, 0.22)
    assert {"name", "treated", "control", "lift", "ci_low", "ci_high", "target",
            "met"} <= set(rate)
    assert by_name(row)["roi"]["treated_pre"] is None


def test_before_the_post_window_has_data_only_the_window_note_is_given():
    from datetime import date

    stats = {"target": arm(1000, repurchase_rate=(1000, 0.0, 0.0)),
             "holdout": arm(100, repurchase_rate=(100, 0.0, 0.0))}
    kpis = evaluate_kpis(stats, {"repurchase_rate": parse_target(">=20%")})
    execution = {"actions": 900, "target_members": 1000, "reached": 900, "redeemed": 400,
                 "redeemed_known": 900}
    early = diagnose(kpis, execution, data_end=date(2024, 6, 20),
                     post_start=date(2024, 7, 1), post_end=date(2024, 7, 30))
    assert [n["code"] for n in early] == ["window_open"] and "2024-06-20" in early[0]["en"]
    later = diagnose(kpis, execution, data_end=date(2024, 7, 2),
                     post_start=date(2024, 7, 1), post_end=date(2024, 7, 30))
    assert {"window_open", "miss", "no_effect", "no_increment"} <= {n["code"] for n in later}
