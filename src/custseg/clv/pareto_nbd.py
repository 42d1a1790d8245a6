"""Pareto/NBD: purchases at a gamma-mixed Poisson rate until an exponential, gamma-mixed death.

Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they and what will
they do next?", Management Science 33(1); the likelihood as in Fader, Hardie & Lee (2005),
"RFM and CLV: using iso-value curves for customer base analysis", Journal of Marketing Research
42(4), appendix, and Fader & Hardie (2005), note 009. Purchase rates lambda are gamma(r, alpha)
and dropout rates mu gamma(s, beta) across customers; times in the summary's unit.

The Gauss hypergeometric terms are evaluated after Euler's transformation, in log space, and
their difference as ``log(F(t_x)) + log1p(-F(T) / F(t_x))``, so large x neither overflows nor
loses the difference to cancellation.
"""

from __future__ import annotations

import ibis
import numpy as np
from scipy.special import expit, gammaln

from custseg.clv._fit import TransactionModel, check_rfm, maximize

PARAMS = ("r", "alpha", "s", "beta")
_MAX_TERMS = 1_000_000


def _hyp2f1_one(b, c, z) -> np.ndarray:
    """2F1(1, b; c; z) for 0 < b < c and 0 <= z < 1, by its power series.

    Every term is positive and each is less than z times the one before, so the sum has no
    cancellation and its tail after term t is below t z / (1 - z). (scipy's hyp2f1 returns nan
    here when c - b - 1 is an integer and z > 0.9.)
    """
    b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (b, c, z)))
    total, term = np.ones_like(z), np.ones_like(z)
    for n in range(_MAX_TERMS):
        term = term * (b + n) / (c + n) * z
        total = total + term
        if n % 8 == 0 and (term * z <= 1e-17 * total * (1 - z)).all():
            break
    return total


def _log_a0(theta, x, tx, T) -> np.ndarray:
    """ln A0 of the likelihood (-inf where t_x = T, where A0 vanishes)."""
    r, alpha, s, beta = theta
    k = r + s + x
    if alpha >= beta:
        m, b_euler = alpha, r + x
    else:
        m, b_euler = beta, s + 1
    b_orig = k + 1 - b_euler

    def log_f(t):
        z = abs(alpha - beta) / (m + t)
        # 2F1(k, b; k+1; z) = (1-z)^(1-b) 2F1(1, k+1-b; k+1; z)   (Euler)
        return ((1 - b_orig) * np.log1p(-z) + np.log(_hyp2f1_one(b_euler, k + 1, z))
                - k * np.log(m + t))

    at_tx, at_T = log_f(tx), log_f(T)
    # where t_x is so close to T that F(T) rounds to F(t_x), A0 is 0 in floating point too
    open_ = (tx < T) & (at_T < at_tx)
    gap = np.where(open_, at_T - at_tx, -1.0)
    return np.where(open_, at_tx + np.log(-np.expm1(gap)), -np.inf)


def _log_likelihood(theta: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray
                    ) -> tuple[np.ndarray, None]:
    r, alpha, s, beta = theta
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s / (r + s + x)) + _log_a0(theta, x, tx, T)
    return common + np.logaddexp(alive, died), None


def pareto_nbd_log_likelihood(params: dict, frequency, recency, T) -> np.ndarray:
    """Individual log-likelihood ln L(r, alpha, s, beta | x, t_x, T).

    >>> p = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    >>> pareto_nbd_log_likelihood(p, [0, 2], [0.0, 30.43], [38.86, 38.86]).round(4).tolist()
    [-0.521, -9.5543]
    """
    theta = np.array([params[n] for n in PARAMS], dtype=float)
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    return _log_likelihood(theta, x, tx, T)[0]


def fit_pareto_nbd(frequency, recency, T, weights=None, *, penalizer: float = 0.0,
                   initial_params: dict | None = None) -> tuple[dict[str, float], float, bool]:
    """Maximum-likelihood Pareto/NBD parameters from weighted (x, t_x, T) rows."""
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    check_rfm(x, tx, T)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    return maximize(lambda theta: _log_likelihood(theta, x, tx, T), PARAMS, w,
                    initial=initial_params, penalizer=penalizer)


def _growth(s: float, u):
    """(1 - u^(s-1)) / (s - 1), and its limit -ln u at s = 1."""
    log_u = np.log(u)
    return -log_u if s == 1 else -np.expm1((s - 1) * log_u) / (s - 1)


class ParetoNBDModel(TransactionModel):
    """Pareto/NBD transaction model, fitted by maximum likelihood on sufficient statistics.

    Same parameters, attributes and predictions as `BetaGeoModel`, with ``params_`` holding
    ``r, alpha, s, beta``. ``assign`` is not in the engine: P(alive) needs the Gauss
    hypergeometric function at (x, t_x) and (x, T), so it raises; use `BetaGeoModel` to
    score in the engine, or the numpy predictions on a sample.

    Examples
    --------
    >>> model = ParetoNBDModel().set_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    >>> model.expected_purchases_new_customer([39, 78]).round(4).tolist()
    [1.213, 1.9094]
    """

    PARAMS = PARAMS
    NAME = "Pareto/NBD"
    fitter = staticmethod(fit_pareto_nbd)

    def _theta(self) -> np.ndarray:
        self.check_fitted()
        return np.array([self.params_[n] for n in PARAMS])

    def probability_alive(self, frequency, recency, T) -> np.ndarray:
        """P(alive | x, t_x, T) = 1 / (1 + s / (r+s+x) (alpha+T)^(r+x) (beta+T)^s A0)."""
        theta = self._theta()
        r, alpha, s, beta = theta
        x, tx, T = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                         for v in (frequency, recency, T)))
        log_odds = (np.log(s / (r + s + x)) + (r + x) * np.log(alpha + T)
                    + s * np.log(beta + T) + _log_a0(theta, x, tx, T))
        return expit(-log_odds)

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T] = (r+x)(beta+T) / (alpha+T) g(t) P(alive), g as in E[X(t)]."""
        r, alpha, s, beta = self._theta()
        x, t, T = (np.asarray(v, dtype=float) for v in (frequency, t, T))
        rate = (r + x) * (beta + T) / (alpha + T)
        growth = _growth(s, (beta + T) / (beta + T + t))
        return rate * growth * self.probability_alive(x, recency, T)

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """E[X(t)] = r beta / (alpha (s-1)) (1 - (beta / (beta+t))^(s-1))."""
        r, alpha, s, beta = self._theta()
        t = np.asarray(t, dtype=float)
        return r * beta / alpha * _growth(s, beta / (beta + t))

    def assign(self, features: ibis.Table) -> ibis.Table:
        """Not available in the engine yet (see the class docstring)."""
        self.check_fitted()
        raise NotImplementedError("Pareto/NBD P(alive) needs 2F1 per customer and is not "
                                  "computed in the engine yet; use BetaGeoModel.assign")
