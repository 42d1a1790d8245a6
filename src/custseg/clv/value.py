"""Customer lifetime value: expected purchases times expected spend, discounted.

CLV over a horizon H is summed period by period (monthly by default)::

    CLV = margin * E[spend] * sum_i (E[Y(t_i)] - E[Y(t_(i-1))]) / (1 + d) ** (t_i in years)

with E[Y(t)] the transaction model's conditional expectation (BG/NBD or Pareto/NBD),
E[spend] the Gamma-Gamma expected spend per purchase and d the annual discount rate; the
purchases of a period are discounted from its end. This is the "RFM and CLV" recipe of Fader,
Hardie & Lee (2005), Journal of Marketing Research 42(4), in discrete time as lifetimes does it.
"""

from __future__ import annotations

import math
from typing import Self

import ibis
import numpy as np
import pandas as pd

from custseg.clv.bgnbd import BetaGeoModel
from custseg.clv.gamma_gamma import GammaGammaModel, expected_spend_expr
from custseg.clv.summary import TimeUnit, days_per_unit
from custseg.errors import CustsegError
from custseg.model import Model

DAYS_PER_YEAR = 365.25


def _steps(horizon: float, time_unit: str, periods_per_year: int) -> np.ndarray:
    """Ends of the discounting periods, in ``time_unit``, the last one at ``horizon``."""
    if horizon <= 0 or periods_per_year < 1:
        raise CustsegError("the CLV horizon must be > 0 and periods_per_year >= 1")
    period = DAYS_PER_YEAR / periods_per_year / days_per_unit(time_unit)
    count = max(1, math.ceil(horizon / period - 1e-9))
    return np.minimum(np.arange(1, count + 1) * period, horizon)


def _discounts(steps: np.ndarray, time_unit: str, annual_discount_rate: float) -> np.ndarray:
    if annual_discount_rate <= -1:
        raise CustsegError(f"annual_discount_rate must be > -1, not {annual_discount_rate}")
    years = steps * days_per_unit(time_unit) / DAYS_PER_YEAR
    return (1 + annual_discount_rate) ** -years


def _check_units(transactions, time_unit: str) -> None:
    days_per_unit(time_unit)
    if getattr(transactions, "time_unit", time_unit) != time_unit:
        raise CustsegError(f"the transaction model works in {transactions.time_unit!r} but the "
                           f"CLV was asked in {time_unit!r}; refit it on a summary in "
                           f"{time_unit!r}")


def clv(transactions: BetaGeoModel, spend: GammaGammaModel, frequency, recency, T,
        monetary_value, *, horizon: float, time_unit: TimeUnit,
        annual_discount_rate: float = 0.1, periods_per_year: int = 12,
        margin: float = 1.0) -> np.ndarray:
    """Discounted expected value of each customer's purchases over the next ``horizon``.

    Parameters
    ----------
    transactions
        A fitted transaction model with ``expected_purchases(t, frequency, recency, T)``.
    spend
        A fitted `GammaGammaModel`.
    frequency, recency, T, monetary_value
        The customers' summary (`rfm_summary`), times in ``time_unit``.
    horizon
        How far ahead, in ``time_unit`` (52 weeks = 1 year when ``time_unit="W"``).
    time_unit
        ``"W"`` or ``"D"``; must be the unit the transaction model was fitted in.
    annual_discount_rate
        Yearly discount rate (0.1 = 10 % a year).
    periods_per_year
        Discounting periods per year (12 = monthly).
    margin
        Share of spend that is profit (1 = value in revenue).

    Examples
    --------
    >>> bg = BetaGeoModel().set_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> gg = GammaGammaModel().set_params(p=6.25, q=3.74, gamma=15.44)
    >>> clv(bg, gg, [2, 0], [30.43, 0.0], [38.86, 38.86], [22.35, 0.0], horizon=52,
    ...     time_unit="W", annual_discount_rate=0.0).round(2).tolist()
    [38.44, 8.88]
    """
    _check_units(transactions, time_unit)
    steps = _steps(horizon, time_unit, periods_per_year)
    discounts = _discounts(steps, time_unit, annual_discount_rate)
    x, tx, T = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                     for v in (frequency, recency, T)))
    cumulative = np.stack([transactions.expected_purchases(t, x, tx, T) for t in steps])
    per_period = np.diff(cumulative, axis=0, prepend=0.0)
    purchases = (per_period * discounts.reshape(-1, *[1] * x.ndim)).sum(axis=0)
    return margin * purchases * spend.expected_average_spend(x, monetary_value)


def clv_expr(transactions: BetaGeoModel, spend: GammaGammaModel, features: ibis.Table, *,
             horizon: float, time_unit: TimeUnit, annual_discount_rate: float = 0.1,
             periods_per_year: int = 12, margin: float = 1.0) -> ibis.Table:
    """`clv` in the engine: ``customer_id, p_alive, expected_purchases, expected_spend, clv``.

    ``expected_purchases`` is over the whole horizon, undiscounted.
    """
    _check_units(transactions, time_unit)
    spend.check_fitted()
    steps = _steps(horizon, time_unit, periods_per_year)
    discounts = _discounts(steps, time_unit, annual_discount_rate)
    out = transactions.purchases_expr(features, steps.tolist())
    cols = [out[f"expected_purchases_{i}"] for i in range(len(steps))]
    discounted = sum((float(d) * (c - prev) for d, c, prev in
                      zip(discounts, cols, [ibis.literal(0.0), *cols[:-1]], strict=True)))
    expected_spend = expected_spend_expr(spend.params_, out)
    return out.select("customer_id", "p_alive", expected_purchases=cols[-1],
                      expected_spend=expected_spend,
                      clv=margin * discounted * expected_spend)


class CLVModel(Model):
    """BG/NBD and Gamma-Gamma fitted together on one summary; ``assign`` gives the CLV.

    Parameters
    ----------
    horizon
        CLV horizon in ``time_unit``.
    time_unit
        ``"W"`` or ``"D"``: the unit of the summary and of ``horizon``.
    annual_discount_rate, periods_per_year, margin
        As in `clv`.
    penalizer
        L2 penalty for both fits.

    Attributes
    ----------
    transactions_ : BetaGeoModel
    spend_ : GammaGammaModel
    n_customers_ : int
    """

    def __init__(self, *, horizon: float = 52.0, time_unit: TimeUnit = "W",
                 annual_discount_rate: float = 0.1, periods_per_year: int = 12,
                 margin: float = 1.0, penalizer: float = 0.0):
        self.horizon = horizon
        self.time_unit = time_unit
        self.annual_discount_rate = annual_discount_rate
        self.periods_per_year = periods_per_year
        self.margin = margin
        self.penalizer = penalizer

    def fit(self, summary: ibis.Table | pd.DataFrame) -> Self:
        """Fit both models on a summary from `rfm_summary` in ``time_unit``."""
        _steps(self.horizon, self.time_unit, self.periods_per_year)
        self.transactions_ = BetaGeoModel(penalizer=self.penalizer, horizon=self.horizon,
                                          time_unit=self.time_unit).fit(summary)
        self.spend_ = GammaGammaModel(penalizer=self.penalizer).fit(summary)
        self.n_customers_ = self.transactions_.n_customers_
        return self

    def assign(self, features: ibis.Table) -> ibis.Table:
        """``customer_id, p_alive, expected_purchases, expected_spend, clv`` in the engine."""
        self.check_fitted()
        return clv_expr(self.transactions_, self.spend_, features, horizon=self.horizon,
                        time_unit=self.time_unit,
                        annual_discount_rate=self.annual_discount_rate,
                        periods_per_year=self.periods_per_year, margin=self.margin)
