"""Confidence intervals and tests against published values and scipy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from custseg.campaigns.stats import diff_means, diff_proportions, needed_per_arm, wilson


@pytest.mark.parametrize(("x1", "n1", "x0", "n0", "low", "high"), [
    (56, 70, 48, 80, 0.0524, 0.3339),   # Newcombe (1998), table II, method 10
    (9, 10, 3, 10, 0.1705, 0.8090),
    (5, 56, 0, 29, -0.0381, 0.1926),
])
def test_newcombe_hybrid_score_matches_the_paper(x1, n1, x0, n0, low, high):
    r = diff_proportions(x1, n1, x0, n0)
    assert float(r.low) == pytest.approx(low, abs=5e-5)
    assert float(r.high) == pytest.approx(high, abs=5e-5)


def test_wilson_interval_by_hand():
    low, high = wilson(15, 148)  # Newcombe (1998) single proportion example: 0.0624–0.1605
    assert (float(low), float(high)) == pytest.approx((0.0624, 0.1605), abs=5e-5)


def test_z_test_p_value_matches_the_pooled_formula():
    r = diff_proportions(30, 100, 18, 100)
    pooled = 48 / 200
    z = 0.12 / np.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert float(r.p_value) == pytest.approx(2 * sps.norm.sf(z))


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 60), st.integers(3, 60), st.integers(0, 2**32 - 1))
def test_welch_matches_scipy(n1, n0, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.lognormal(3, 1, n1), rng.lognormal(3.2, 0.5, n0)
    r = diff_means(a.mean(), a.var(ddof=1), n1, b.mean(), b.var(ddof=1), n0)
    ref = sps.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval()
    assert float(r.low) == pytest.approx(ci.low) and float(r.high) == pytest.approx(ci.high)
    assert float(r.p_value) == pytest.approx(ref.pvalue)


def test_arrays_give_the_same_as_scalars():
    x1, x0 = np.array([30, 12, 0]), np.array([18, 12, 3])
    vec = diff_proportions(x1, 100, x0, 100)
    for i in range(3):
        one = diff_proportions(int(x1[i]), 100, int(x0[i]), 100)
        assert float(one.low) == pytest.approx(vec.low[i])
        assert bool(one.significant) == bool(vec.significant[i])


def test_relative_lift_interval_contains_the_estimate():
    r = diff_proportions(300, 1000, 180, 1000)
    assert float(r.rel) == pytest.approx(300 / 180 - 1)
    assert float(r.rel_low) < float(r.rel) < float(r.rel_high)


def test_empty_groups_give_nan_not_errors():
    r = diff_proportions(0, 0, 5, 10)
    assert np.isnan(r.diff) and not r.significant
    m = diff_means(1.0, 0.0, 1, 2.0, 1.0, 5)
    assert np.isnan(m.low) and np.isnan(m.p_value)


def test_needed_per_arm_grows_as_the_effect_shrinks():
    assert needed_per_arm(0.2, 0.12) < needed_per_arm(0.2, 0.05) < needed_per_arm(0.2, 0.02)
    assert needed_per_arm(0.2, 0.0) == 0


def test_false_positive_rate_is_near_5_percent_over_20000_campaigns():
    rng = np.random.default_rng(7)
    x1, x0 = rng.binomial(900, 0.2, 20_000), rng.binomial(100, 0.2, 20_000)
    assert 0.04 <= float(np.mean(diff_proportions(x1, 900, x0, 100).significant)) <= 0.06
    a = rng.normal(50, 20, (20_000, 60))
    b = rng.normal(50, 40, (20_000, 30))
    m = diff_means(a.mean(1), a.var(1, ddof=1), 60, b.mean(1), b.var(1, ddof=1), 30)
    assert 0.04 <= float(np.mean(m.significant)) <= 0.06
