"""Acceptance of the evaluation on generated campaigns with a known effect (SPEC §8).

Many campaigns are simulated at once: campaign ``s`` has its own customers, split into target
and holdout by the product's draw with seed ``s`` (`custseg.campaigns.holdout.draw`), and its
own orders and ratings. One members table and one orders table hold every campaign (column
``sim``); the real KPI expressions (`outcomes`, `arm_stats`) run once in the engine grouped by
``sim``, and the real `evaluate_kpis` judges each campaign.

Every customer has a history that makes each KPI apply: 80% ordered before the pre window, half
of those again within it (so some are dormant, some active), and in the 60-day post window a
customer buys with probability `BASE` (plus the effect if targeted) and 40% leave a rating.
"""

from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd
import pytest

from custseg.campaigns import arm_stats, draw, evaluate_kpis, outcomes
from custseg.campaigns.kpis import KPIS

pytestmark = pytest.mark.slow  # 100 holdout draws and one query over 300,000 customers

START = date(2024, 7, 1)
PRE_DAYS, POST_DAYS = 30, 60
BASE = 0.18


def _days(rng, first: date, days: int, n: int) -> list[date]:
    return [first + timedelta(days=int(d)) for d in rng.integers(0, days, n)]


def simulate(effect: float, *, seeds: range = range(100), n: int = 3000,
             holdout: float = 0.2) -> dict[int, dict[str, dict]]:
    """Per simulated campaign (keyed by its draw seed), the arm statistics of the engine."""
    members, orders, ratings = [], [], []
    for s in seeds:
        ids = pd.DataFrame({"customer_id": [f"{s}-{i}" for i in range(n)]})
        arms = draw(ibis.memtable(ids), share=holdout, seed=s).execute()
        arms = arms.sort_values("customer_id", ignore_index=True).assign(sim=s)
        rng = np.random.default_rng([effect > 0, s])
        ids, treated = arms.customer_id.to_numpy(), (arms.arm == "target").to_numpy()
        old = rng.random(n) < 0.8
        recent = old & (rng.random(n) < 0.5)
        buys = rng.random(n) < BASE + effect * treated
        rated = rng.random(n) < 0.4
        pre_start = START - timedelta(days=PRE_DAYS)
        for who, first, days in ((old, date(2024, 1, 1), 120), (recent, pre_start, PRE_DAYS),
                                 (buys, START, POST_DAYS)):
            orders.append(pd.DataFrame({"customer_id": ids[who],
                                        "order_date": _days(rng, first, days, who.sum()),
                                        "amount": rng.lognormal(4.5, 0.8, who.sum())}))
        ratings.append(pd.DataFrame({"customer_id": ids[rated],
                                     "ts": pd.to_datetime(_days(rng, START, POST_DAYS,
                                                                rated.sum())),
                                     "satisfaction": rng.integers(1, 6, rated.sum())}))
        members.append(arms)
    orders = pd.concat(orders, ignore_index=True).assign(status="completed")
    expr = arm_stats(outcomes(ibis.memtable(pd.concat(members, ignore_index=True)),
                              ibis.memtable(orders), start=START, pre_days=PRE_DAYS,
                              post_days=POST_DAYS,
                              interactions=ibis.memtable(pd.concat(ratings))), by=("sim",))
    out: dict[int, dict[str, dict]] = {}
    for row in expr.execute().to_dict("records"):
        out.setdefault(int(row["sim"]), {})[row["arm"]] = row
    return out


@pytest.fixture(scope="module")
def null_runs():
    return {s: evaluate_kpis(stats, {}) for s, stats in simulate(0.0).items()}


@pytest.fixture(scope="module")
def effect_runs():
    return {s: evaluate_kpis(stats, {}) for s, stats in simulate(0.12).items()}


def _kpi(records: list[dict], name: str) -> dict:
    return next(r for r in records if r["name"] == name)


def test_no_effect_is_rarely_significant_over_100_seeds(null_runs):
    assert sorted(null_runs) == list(range(100))
    shares = {}
    for name in KPIS:  # every KPI applies here; ROI needs a cost, it tests break-even
        records = [_kpi(r, name) for r in null_runs.values()]
        assert all(r["significant"] is not None for r in records), name
        shares[name] = np.mean([r["significant"] for r in records])
    assert all(share <= 0.07 for share in shares.values()), shares


def test_injected_12_points_lie_in_the_95_ci(effect_runs):
    first = _kpi(effect_runs[0], "repurchase_rate")
    assert first["ci_low"] <= 0.12 <= first["ci_high"]
    assert first["significant"]
    assert _kpi(effect_runs[0], "conversion_rate")["n_control"] == 600  # the exact draw
    covered = np.mean([_kpi(r, "repurchase_rate")["ci_low"] <= 0.12
                       <= _kpi(r, "repurchase_rate")["ci_high"] for r in effect_runs.values()])
    assert covered >= 0.90
    mean_lift = np.mean([_kpi(r, "repurchase_rate")["lift"] for r in effect_runs.values()])
    assert mean_lift == pytest.approx(0.12, abs=0.01)


def test_the_effect_shows_in_revenue_too(effect_runs):
    lifts = [_kpi(r, "revenue")["lift"] for r in effect_runs.values()]
    expected = 0.12 * np.exp(4.5 + 0.8 ** 2 / 2)  # 12 more buyers per 100, mean lognormal
    assert np.mean(lifts) == pytest.approx(expected, rel=0.15)
