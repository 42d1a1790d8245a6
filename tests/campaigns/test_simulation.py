"""Acceptance of the evaluation on generated campaigns with a known effect (SPEC §8).

Many campaigns are simulated at once: one members table and one orders table hold every
simulated campaign (column ``sim``), the real KPI expressions (`outcomes`, `arm_stats`) run
once in the engine grouped by ``sim``, and the real `evaluate_kpis` judges each campaign.
"""

from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd
import pytest

from custseg.campaigns import arm_stats, evaluate_kpis, outcomes

pytestmark = pytest.mark.slow  # two engine queries over 200,000 simulated customers

START = date(2024, 7, 1)
BASE = 0.18


def simulate(effect: float, *, sims: int = 100, n: int = 2000, holdout: float = 0.2,
             seed: int = 0) -> dict[int, dict[str, dict]]:
    """Per simulated campaign, the arm statistics of the engine."""
    rng = np.random.default_rng(seed)
    total = sims * n
    sim = np.repeat(np.arange(sims), n)
    ids = np.char.add(np.char.add(sim.astype(str), "-"), np.tile(np.arange(n), sims).astype(str))
    is_holdout = np.concatenate([rng.permutation(n) < round(n * holdout) for _ in range(sims)])
    arm = np.where(is_holdout, "holdout", "target")
    buys = rng.random(total) < np.where(is_holdout, BASE, BASE + effect)
    prior = pd.DataFrame({"customer_id": ids, "order_date": date(2024, 4, 1),
                          "amount": 100.0})
    post = pd.DataFrame({"customer_id": ids[buys],
                         "order_date": [START + timedelta(days=int(d))
                                        for d in rng.integers(0, 30, buys.sum())],
                         "amount": rng.lognormal(4.5, 0.8, buys.sum())})
    orders = pd.concat([prior, post], ignore_index=True).assign(status="completed")
    members = ibis.memtable(pd.DataFrame({"customer_id": ids, "arm": arm, "sim": sim}))
    expr = arm_stats(outcomes(members, ibis.memtable(orders), start=START, pre_days=30,
                              post_days=30), by=("sim",))
    out: dict[int, dict[str, dict]] = {}
    for row in expr.execute().to_dict("records"):
        out.setdefault(int(row["sim"]), {})[row["arm"]] = row
    return out


@pytest.fixture(scope="module")
def null_runs():
    return {s: evaluate_kpis(stats, {}) for s, stats in simulate(0.0).items()}


@pytest.fixture(scope="module")
def effect_runs():
    return {s: evaluate_kpis(stats, {}) for s, stats in simulate(0.12, seed=1).items()}


def _kpi(records: list[dict], name: str) -> dict:
    return next(r for r in records if r["name"] == name)


def test_no_effect_is_rarely_significant_over_100_seeds(null_runs):
    assert len(null_runs) == 100
    for name in ("repurchase_rate", "revenue"):
        share = np.mean([_kpi(r, name)["significant"] for r in null_runs.values()])
        assert share <= 0.07, (name, share)


def test_injected_12_points_lie_in_the_95_ci(effect_runs):
    first = _kpi(effect_runs[0], "repurchase_rate")
    assert first["ci_low"] <= 0.12 <= first["ci_high"]
    assert first["significant"] and first["n_control"] == 400
    covered = np.mean([_kpi(r, "repurchase_rate")["ci_low"] <= 0.12
                       <= _kpi(r, "repurchase_rate")["ci_high"] for r in effect_runs.values()])
    assert covered >= 0.90
    mean_lift = np.mean([_kpi(r, "repurchase_rate")["lift"] for r in effect_runs.values()])
    assert mean_lift == pytest.approx(0.12, abs=0.01)


def test_the_effect_shows_in_revenue_too(effect_runs):
    lifts = [_kpi(r, "revenue")["lift"] for r in effect_runs.values()]
    expected = 0.12 * np.exp(4.5 + 0.8 ** 2 / 2)  # 12 more buyers per 100, mean lognormal
    assert np.mean(lifts) == pytest.approx(expected, rel=0.15)
