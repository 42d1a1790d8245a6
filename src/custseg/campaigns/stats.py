"""Treated-versus-holdout comparisons with 95% confidence intervals, from sufficient statistics.

Each function takes per-arm counts, sums and variances (what the engine aggregates) and works
on scalars and on NumPy arrays alike, so a simulation of many campaigns runs the same code as
one evaluation.

- Rates (proportions): the difference p₁ − p₀ with Newcombe's hybrid score interval (method 10
  of Newcombe 1998, "Interval estimation for the difference between independent proportions",
  Statistics in Medicine 17), built from the two Wilson intervals; it keeps close to 95%
  coverage with small groups and rates near 0 or 1, where the Wald interval does not. The
  p-value is the two-proportion z-test with the pooled rate.
- Means: the difference m₁ − m₀ with Welch's t interval and test (unequal variances,
  Welch–Satterthwaite degrees of freedom).
- Relative lift (m₁ / m₀ − 1): the delta-method interval on the log ratio (Katz's log interval
  for rates), which is reported next to the difference and used for "+10%" targets.

>>> r = diff_proportions(30, 100, 18, 100)
>>> round(float(r.diff), 2), round(float(r.low), 3), round(float(r.high), 3)
(0.12, 0.001, 0.235)
>>> m = diff_means(12.0, 4.0, 50, 10.0, 4.0, 50)
>>> round(float(m.diff), 1), round(float(m.low), 3), round(float(m.high), 3)
(2.0, 1.206, 2.794)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.05


@dataclass(frozen=True)
class Comparison:
    """Treated vs control: estimates, the difference with its CI and p-value, relative lift."""

    treated: np.ndarray | float
    control: np.ndarray | float
    diff: np.ndarray | float
    low: np.ndarray | float
    high: np.ndarray | float
    p_value: np.ndarray | float
    rel: np.ndarray | float
    rel_low: np.ndarray | float
    rel_high: np.ndarray | float
    method: str

    @property
    def significant(self) -> np.ndarray | bool:
        """The 95% interval of the difference excludes 0."""
        return (np.asarray(self.low) > 0) | (np.asarray(self.high) < 0)


def _z(alpha: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2))


def wilson(x, n, alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion x / n.

    >>> lo, hi = wilson(0, 10)
    >>> float(lo), round(float(hi), 4)
    (0.0, 0.2775)
    """
    x, n = np.asarray(x, float), np.asarray(n, float)
    z = _z(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _log_ratio_ci(ratio, se, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    z = _z(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.exp(np.log(ratio) - z * se) - 1, np.exp(np.log(ratio) + z * se) - 1


def diff_proportions(x1, n1, x0, n0, alpha: float = ALPHA) -> Comparison:
    """Rate of the treated (x1 of n1) minus rate of the control (x0 of n0).

    Newcombe hybrid score interval, pooled two-proportion z-test, Katz log interval of the
    rate ratio for the relative lift. Empty groups give NaN.
    """
    x1, n1, x0, n0 = (np.asarray(v, float) for v in (x1, n1, x0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = x1 / n1, x0 / n0
        l1, u1 = wilson(x1, n1, alpha)
        l0, u0 = wilson(x0, n0, alpha)
        d = p1 - p0
        low = d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
        high = d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
        pooled = (x1 + x0) / (n1 + n0)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        pv = np.where(se > 0, 2 * stats.norm.sf(np.abs(d) / np.where(se > 0, se, 1)),
                      np.where(d == 0, 1.0, 0.0))
        rel = p1 / p0 - 1
        se_log = np.sqrt((1 - p1) / x1 + (1 - p0) / x0)
        rel_low, rel_high = _log_ratio_ci(p1 / p0, se_log, alpha)
    return Comparison(p1, p0, d, low, high, pv, rel, rel_low, rel_high,
                      "difference of proportions: Newcombe hybrid score 95% CI, "
                      "two-proportion z-test")


def diff_means(m1, v1, n1, m0, v0, n0, alpha: float = ALPHA) -> Comparison:
    """Mean of the treated (m1, variance v1, n1 customers) minus mean of the control.

    Welch's t interval and test; the delta-method interval of the log ratio for the relative
    lift (needs positive means). Groups of fewer than two give NaN.
    """
    m1, v1, n1, m0, v0, n0 = (np.asarray(v, float) for v in (m1, v1, n1, m0, v0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = v1 / n1, v0 / n0
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n0 - 1))
        df = np.where(np.isfinite(df), df, np.fmax(n1 + n0 - 2, 1))
        d = m1 - m0
        crit = stats.t.ppf(1 - alpha / 2, df)
        small = (n1 < 2) | (n0 < 2)
        low = np.where(small, np.nan, d - crit * se)
        high = np.where(small, np.nan, d + crit * se)
        pv = np.where(se > 0, 2 * stats.t.sf(np.abs(d) / np.where(se > 0, se, 1), df),
                      np.where(d == 0, 1.0, 0.0))
        pv = np.where(small, np.nan, pv)
        rel = m1 / m0 - 1
        se_log = np.sqrt(a / (m1 * m1) + b / (m0 * m0))
        positive = (m1 > 0) & (m0 > 0)
        rel_low, rel_high = _log_ratio_ci(np.where(positive, m1 / m0, np.nan), se_log, alpha)
    return Comparison(m1, m0, d, low, high, pv, rel, rel_low, rel_high,
                      "difference of means: Welch t 95% CI and test")


def needed_per_arm(p: float, diff: float, *, alpha: float = ALPHA, power: float = 0.8) -> int:
    """Customers per arm to detect a rate difference ``diff`` from base rate ``p`` (normal
    approximation, equal arms).

    >>> needed_per_arm(0.10, 0.05)
    683
    """
    p1 = min(max(p + diff, 1e-9), 1 - 1e-9)
    za, zb = _z(alpha), float(stats.norm.ppf(power))
    var = p * (1 - p) + p1 * (1 - p1)
    return int(np.ceil((za + zb) ** 2 * var / diff ** 2)) if diff else 0
