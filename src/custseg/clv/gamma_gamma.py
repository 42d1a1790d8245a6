"""Gamma-Gamma: how much a customer spends per purchase.

Fader & Hardie (2013), note 025, "The Gamma-Gamma model of monetary value"; Fader, Hardie & Lee
(2005), "RFM and CLV: using iso-value curves for customer base analysis", Journal of Marketing
Research 42(4). Each purchase of a customer is gamma(p, nu) distributed; nu is gamma(q, gamma)
across customers. The model is fitted on the customers with repeat purchases, on x (their
number of repeat purchase days) and zbar (the mean spend of those days), and assumes that spend
does not depend on how often a customer buys.
"""

from __future__ import annotations

from typing import Self

import ibis
import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from custseg.clv._fit import maximize, sufficient_statistics
from custseg.errors import CustsegError
from custseg.model import Model

PARAMS = ("p", "q", "gamma")


def gamma_gamma_log_likelihood(params: dict, frequency, monetary_value) -> np.ndarray:
    """Log density of the mean spend zbar of x purchases (note 025, eq. 3).

    >>> p = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    >>> gamma_gamma_log_likelihood(p, [2], [22.35]).round(4).tolist()
    [-3.5513]
    """
    theta = np.array([params[n] for n in PARAMS], dtype=float)
    x, z = (np.asarray(v, dtype=float) for v in (frequency, monetary_value))
    return _log_likelihood(theta, x, z)[0]


def _log_likelihood(theta: np.ndarray, x: np.ndarray, z: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Log-likelihood per row and its gradient with respect to (p, q, gamma)."""
    p, q, g = theta
    px = p * x
    log_total = np.log(g + x * z)
    ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g)
          + (px - 1) * np.log(z) + px * np.log(x) - (px + q) * log_total)
    grad = np.column_stack([
        x * (digamma(px + q) - digamma(px) + np.log(z) + np.log(x) - log_total),
        digamma(px + q) - digamma(q) + np.log(g) - log_total,
        q / g - (px + q) / (g + x * z),
    ])
    return ll, grad


def fit_gamma_gamma(frequency, monetary_value, weights=None, *, penalizer: float = 0.0,
                    initial_params: dict | None = None) -> tuple[dict[str, float], float, bool]:
    """Maximum-likelihood Gamma-Gamma parameters from (x, zbar) rows with x > 0, zbar > 0.

    Returns the parameters, the log-likelihood at them and whether the optimiser converged.
    """
    x, z = (np.asarray(v, dtype=float) for v in (frequency, monetary_value))
    if len(x) == 0 or (x <= 0).any() or (z <= 0).any() or not np.isfinite(z).all():
        raise CustsegError("the Gamma-Gamma model needs customers with repeat purchases "
                           "(frequency > 0) and a positive mean spend")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    return maximize(lambda theta: _log_likelihood(theta, x, z), PARAMS, w,
                    initial=initial_params, penalizer=penalizer)


class GammaGammaModel(Model):
    """Gamma-Gamma spend model, fitted by maximum likelihood on sufficient statistics.

    ``fit`` uses the summary rows with ``frequency > 0`` and ``monetary_value > 0`` (customers
    without repeat purchases carry no zbar); ``assign`` predicts for every customer.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters added to the mean negative log-likelihood.
    initial_params
        Starting values for ``p, q, gamma`` (default 1 each).

    Attributes
    ----------
    params_ : dict
        Fitted ``p, q, gamma`` (``gamma`` in currency units).
    log_likelihood_ : float
    n_customers_ : int
        Customers the model was fitted on (those with repeat purchases).
    converged_ : bool

    Examples
    --------
    >>> model = GammaGammaModel().set_params(p=6.25, q=3.74, gamma=15.44)
    >>> round(model.mean_spend(), 2)
    35.22
    >>> model.expected_average_spend([0, 2], [0.0, 22.35]).round(2).tolist()
    [35.22, 24.66]
    """

    def __init__(self, *, penalizer: float = 0.0, initial_params: dict | None = None):
        self.penalizer = penalizer
        self.initial_params = initial_params

    def fit(self, summary: ibis.Table | pd.DataFrame) -> Self:
        """Fit on a summary with ``frequency`` and ``monetary_value`` (see `rfm_summary`)."""
        if isinstance(summary, pd.DataFrame):
            summary = ibis.memtable(summary)
        if "monetary_value" in summary.columns:
            summary = summary.filter((summary.frequency > 0) & (summary.monetary_value > 0))
        stats = sufficient_statistics(summary, ("frequency", "monetary_value"))
        self.params_, self.log_likelihood_, self.converged_ = fit_gamma_gamma(
            stats.frequency, stats.monetary_value, stats.weight,
            penalizer=self.penalizer, initial_params=self.initial_params)
        self.n_customers_ = int(stats.weight.sum())
        return self

    def set_params(self, **params: float) -> Self:
        """Use known parameters (e.g. published ones) instead of fitting."""
        if sorted(params) != sorted(PARAMS) or min(params.values()) <= 0:
            raise CustsegError(f"Gamma-Gamma needs positive {', '.join(PARAMS)}; got {params}")
        self.params_ = {n: float(params[n]) for n in PARAMS}
        return self

    def mean_spend(self) -> float:
        """Population mean spend per purchase, p gamma / (q - 1) (infinite when q <= 1)."""
        self.check_fitted()
        p, q, g = (self.params_[n] for n in PARAMS)
        return p * g / (q - 1) if q > 1 else float("inf")

    def expected_average_spend(self, frequency, monetary_value) -> np.ndarray:
        """E[spend per purchase | x, zbar] (note 025, eq. 5): p (gamma + x zbar) / (p x + q - 1).

        A weighted mean of the population mean and the customer's own zbar; customers
        without repeat purchases get the population mean.
        """
        self.check_fitted()
        p, q, g = (self.params_[n] for n in PARAMS)
        x, z = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                     for v in (frequency, monetary_value)))
        z = np.where(x > 0, z, 0.0)
        return p * (g + x * z) / (p * x + q - 1)

    def assign(self, features: ibis.Table) -> ibis.Table:
        """Per customer ``expected_spend`` (per purchase), computed in the engine."""
        self.check_fitted()
        return features.select("customer_id", expected_spend=expected_spend_expr(
            self.params_, features))


def expected_spend_expr(params: dict, features: ibis.Table) -> ibis.Value:
    """`GammaGammaModel.expected_average_spend` as an Ibis expression."""
    p, q, g = (params[n] for n in PARAMS)
    x = features.frequency.cast("float64")
    z = ibis.ifelse(x > 0, features.monetary_value.cast("float64"), 0.0)
    return p * (g + x * z) / (p * x + q - 1)
