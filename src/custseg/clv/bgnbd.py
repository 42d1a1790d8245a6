"""BG/NBD: how many purchases a customer will make, and whether they are still a customer.

Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2). While active a customer buys at rate lambda
(gamma(r, alpha) across customers); after every purchase they drop out with probability p
(beta(a, b)). Times are in the unit of the summary the model is fitted on (see `rfm_summary`).

The log-likelihood is evaluated in log space (Fader & Hardie, note 027, "Overcoming the BG/NBD
model's #NUM! error problem"), so heavy buyers neither overflow nor underflow.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from custseg.clv._fit import TransactionModel, check_rfm, maximize
from custseg.errors import CustsegError

PARAMS = ("r", "alpha", "a", "b")
_SERIES_TOL = 1e-15
_SERIES_MAX_TERMS = 20_000


def bgnbd_log_likelihood(params: dict, frequency, recency, T) -> np.ndarray:
    """Individual log-likelihood ln L(r, alpha, a, b | x, t_x, T) (FHL 2005, eq. 6).

    It is the log of a density in the purchase times, so it can be positive.

    >>> p = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    >>> bgnbd_log_likelihood(p, [0, 200], [0, 38], [40, 40]).round(8).tolist()
    [-0.59947382, 100.79569309]
    """
    theta = np.array([params[n] for n in PARAMS], dtype=float)
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    return _log_likelihood(theta, x, tx, T)[0]


def _log_likelihood(theta: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Log-likelihood per row and its gradient with respect to (r, alpha, a, b)."""
    r, alpha, a, b = theta
    repeat = x > 0
    xr = np.where(repeat, x, 1.0)  # keeps b + x - 1 > 0 where the second term is absent
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    dead = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    alive = np.where(repeat, betaln(a + 1, b + xr - 1) - betaln(a, b)
                     - (r + x) * np.log(alpha + tx), -np.inf)
    top = np.maximum(dead, alive)
    ll = common + top + np.log(np.exp(dead - top) + np.exp(alive - top))
    w_alive = np.exp(alive - ll + common)
    w_dead = 1.0 - w_alive
    d_ab = digamma(a + b)
    d_abx = digamma(a + b + x)
    grad = np.column_stack([
        digamma(r + x) - digamma(r) + np.log(alpha)
        - w_dead * np.log(alpha + T) - w_alive * np.log(alpha + tx),
        r / alpha - (r + x) * (w_dead / (alpha + T) + w_alive / (alpha + tx)),
        w_dead * (d_ab - d_abx) + w_alive * (digamma(a + 1) - digamma(a) + d_ab - d_abx),
        w_dead * (digamma(b + x) - digamma(b) + d_ab - d_abx)
        + w_alive * (digamma(b + xr - 1) - digamma(b) + d_ab - d_abx),
    ])
    return ll, grad


def fit_bgnbd(frequency, recency, T, weights=None, *, penalizer: float = 0.0,
              initial_params: dict | None = None) -> tuple[dict[str, float], float, bool]:
    """Maximum-likelihood BG/NBD parameters from (x, t_x, T) rows, each weighted by a count.

    Returns the parameters, the log-likelihood at them and whether the optimiser converged.
    """
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    check_rfm(x, tx, T)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    return maximize(lambda theta: _log_likelihood(theta, x, tx, T), PARAMS, w,
                    initial=initial_params, penalizer=penalizer)


class BetaGeoModel(TransactionModel):
    """BG/NBD transaction model, fitted by maximum likelihood on sufficient statistics.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters added to the mean negative log-likelihood (0 = plain
        maximum likelihood).
    initial_params
        Starting values for ``r, alpha, a, b`` (default 1 each).
    horizon
        Length of the period `assign` predicts purchases for, in ``time_unit``.
    time_unit
        ``"W"`` or ``"D"``: the unit of the summary the model is fitted on and of ``horizon``.

    Attributes
    ----------
    params_ : dict
        Fitted ``r, alpha, a, b`` (``alpha`` in ``time_unit``).
    log_likelihood_ : float
        Total log-likelihood at ``params_``.
    n_customers_ : int
        Customers in the summary.
    converged_ : bool
        Whether the optimiser reported convergence.

    Examples
    --------
    >>> model = BetaGeoModel().set_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> float(model.expected_purchases(39, 2, 30.43, 38.86).round(3))
    1.226
    """

    PARAMS = PARAMS
    NAME = "BG/NBD"
    fitter = staticmethod(fit_bgnbd)

    def _theta(self) -> tuple[float, float, float, float]:
        self.check_fitted()
        return tuple(self.params_[n] for n in PARAMS)

    def probability_alive(self, frequency, recency, T) -> np.ndarray:
        """P(alive | x, t_x, T) (FHL 2005, eq. 11); 1 for customers without repeat purchases."""
        r, alpha, a, b = self._theta()
        x, tx, T = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                         for v in (frequency, recency, T)))
        xr = np.where(x > 0, x, 1.0)
        log_odds = (np.log(a) - np.log(b + xr - 1)
                    + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)))
        return np.where(x > 0, expit(-log_odds), 1.0)

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` (FHL 2005, eq. 10)."""
        x = np.asarray(frequency, dtype=float)
        return self.probability_alive(x, recency, T) * self._expected_if_alive(t, x, T)

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """E[X(t)]: expected repeat purchases of a new customer in ``t`` (FHL 2005, eq. 9)."""
        return self._expected_if_alive(t, 0.0, 0.0)

    def _expected_if_alive(self, t, x, T) -> np.ndarray:
        """Expected purchases in ``t`` of a customer still alive after (x, T).

        Eq. 10 over P(alive). Its 2F1(r+x, b+x; a+b+x-1; z) is rewritten with Euler's
        transformation as (1-z)^(a-1-r-x) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose parameters no
        longer grow with x.
        """
        r, alpha, a, b = self._theta()
        t, x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (t, x, T)))
        if t.size and _series_coefficients(r, a, b, float(np.max(t / (alpha + t)))) is None:
            return expected_if_alive_quadrature(self.params_, t, x, T)
        c = a + b + x - 1
        z = t / (alpha + T + t)
        return c / (a - 1) * (1 - (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, c, z))

    def assign(self, features: ibis.Table) -> ibis.Table:
        """Per customer ``p_alive`` and ``expected_purchases`` over ``horizon``, in the engine.

        ``features`` needs ``customer_id, frequency, recency, T`` in ``time_unit``.
        """
        out = self.purchases_expr(features, [self.horizon])
        return out.select("customer_id", "p_alive", expected_purchases=out.expected_purchases_0)

    def purchases_expr(self, features: ibis.Table, horizons: list[float]) -> ibis.Table:
        """``features`` plus ``p_alive`` and ``expected_purchases_<i>`` per horizon, in-engine."""
        self.check_fitted()
        return expected_purchases_expr(self.params_, features, horizons)


def probability_alive_expr(params: dict, features: ibis.Table) -> ibis.Value:
    """P(alive) as an Ibis expression over ``features.frequency, recency, T``."""
    r, alpha, a, b = (params[n] for n in PARAMS)
    x = features.frequency.cast("float64")
    log_odds = (np.log(a) - (b + ibis.greatest(x, 1.0) - 1).ln()
                + (r + x) * ((alpha + features["T"]).ln() - (alpha + features.recency).ln()))
    return ibis.ifelse(x > 0, 1.0 / (1.0 + log_odds.clip(-700.0, 700.0).exp()), 1.0)


def expected_purchases_expr(params: dict, features: ibis.Table,
                            horizons: list[float]) -> ibis.Table:
    """``features`` plus ``p_alive`` and ``expected_purchases_<i>`` for each horizon, in-engine.

    The Gauss hypergeometric function of eq. 10 is not elementary. It is summed as a power
    series in the engine: once per distinct (x, T) pair, with enough terms that the truncation
    error is below 1e-15 of the leading term for every possible T (the series converges most
    slowly at T = 0), then joined back to the customers. Where the series would need more
    than 20,000 terms (a large ``a``: a nearly fixed dropout probability), the distinct pairs
    are fetched and integrated over the dropout probability instead
    (`expected_if_alive_quadrature`).
    """
    r, alpha, a, b = (params[n] for n in PARAMS)
    if min(horizons) <= 0:
        raise CustsegError(f"prediction horizons must be > 0, not {min(horizons)}")
    series = _series_coefficients(r, a, b, max(horizons) / (alpha + max(horizons)))
    if series is None:
        return _quadrature_expr(params, features, horizons)
    coef, sign = series
    grid = ibis.memtable(pd.DataFrame({"n": np.arange(1, len(coef) + 1), "k_n": coef,
                                       "s_n": sign}))
    pairs = features.select(x=features.frequency.cast("float64"), T=features["T"]).distinct()
    rows = pairs.cross_join(grid)
    c = a + b + rows.x - 1
    step = c + rows.n - 1
    window = ibis.cumulative_window(group_by=[rows.x, rows["T"]], order_by=rows.n)
    rows = rows.mutate(log_c=step.abs().ln().sum().over(window),
                       neg_c=(step < 0).cast("int64").sum().over(window))
    sums = {}
    for i, t in enumerate(horizons):
        log_z = np.log(t) - (alpha + rows["T"] + t).ln()
        term = rows.s_n * ibis.ifelse(rows.neg_c % 2 == 1, -1.0, 1.0) * (
            rows.k_n - rows.log_c + rows.n * log_z).exp()
        sums[f"d_{i}"] = term.sum()
    series = rows.group_by(["x", "T"]).aggregate(**sums)
    ci = a + b + series.x - 1
    g = {}
    for i, t in enumerate(horizons):
        power = ((a - 1) * ((alpha + series["T"]).ln() - (alpha + series["T"] + t).ln())).exp()
        g[f"g_{i}"] = ci * ((1 - power) / (a - 1) - power * series[f"d_{i}"])
    return _join_series(params, features, series.select("x", "T", **g), len(horizons))


def _join_series(params: dict, features: ibis.Table, series: ibis.Table, n: int) -> ibis.Table:
    """``features`` plus ``p_alive`` and ``expected_purchases_<i>`` = P(alive) × ``g_<i>`` of
    ``series`` (E[Y(t_i) | alive] per distinct ``x, T``)."""
    joined = features.mutate(p_alive=probability_alive_expr(params, features),
                             _x=features.frequency.cast("float64"),
                             _T=features["T"].cast("float64"))
    joined = joined.left_join(series, [joined["_x"] == series.x, joined["_T"] == series["T"]])
    return joined.select(*features.columns, "p_alive", **{
        f"expected_purchases_{i}": joined.p_alive * joined[f"g_{i}"] for i in range(n)})


def _series_coefficients(r: float, a: float, b: float, z_max: float
                         ) -> tuple[np.ndarray, np.ndarray]:
    """ln|k_n| and sign of k_n = (A)_n (a)_(n-1) / n!, A = a+b-1-r, for n = 1, 2, ...

    ``sum_n k_n z^n / (c)_n`` with ``c = a+b+x-1`` is ``(2F1(A, a-1; c; z) - 1) / (a-1)``.
    The terms at ``z_max`` and x = 0 or 1 bound the terms of every customer, so the series
    stops after the last of them above the tolerance.
    """
    big_a = a + b - 1 - r
    n = np.arange(1, _SERIES_MAX_TERMS + 1, dtype=float)
    ratio = (big_a + n - 1) * (a + n - 2) / n
    ratio[0] = big_a
    log_k = np.cumsum(np.log(np.abs(np.where(ratio == 0, 1.0, ratio))))
    sign = np.cumprod(np.sign(ratio))
    bound = np.full_like(n, -np.inf)
    for x in (0.0, 1.0):
        log_c = np.cumsum(np.log(np.abs(a + b - 1 + x + n - 1)))
        bound = np.maximum(bound, log_k - log_c + n * np.log(z_max))
    above = np.flatnonzero((bound > np.log(_SERIES_TOL)) & (sign != 0))
    if len(above) and above[-1] == len(n) - 1:
        return None
    size = int(above[-1]) + 2 if len(above) else 1
    return log_k[:size], sign[:size]


def expected_if_alive_quadrature(params: dict, t, x, T, *, nodes: int = 96) -> np.ndarray:
    """E[Y(t) | alive, x, T] as an integral over the dropout probability p.

    Given alive after x purchases up to T, lambda ~ gamma(r + x, alpha + T) and
    p ~ beta(a, b + x) independently, and a customer alive at T makes on average
    (1 - ((alpha + T) / (alpha + T + p t))^(r + x)) / p purchases in the next t. The beta is
    integrated by Gauss-Legendre over mean ± 12 standard deviations (within [0, 1]) with its
    density normalised on the nodes: exact to rounding where the beta is concentrated (large
    a and b, where the series of eq. 10 would need millions of terms).
    """
    r, alpha, a, b = (params[n] for n in PARAMS)
    t, x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (t, x, T)))
    shape = t.shape
    t, x, T = (v.ravel() for v in (t, x, T))
    bx = b + x
    mean, total = a / (a + bx), a + bx
    sd = np.sqrt(a * bx / (total ** 2 * (total + 1)))
    lo, hi = np.clip(mean - 12 * sd, 0.0, 1.0), np.clip(mean + 12 * sd, 0.0, 1.0)
    g, w = np.polynomial.legendre.leggauss(nodes)
    p = lo[:, None] + (hi - lo)[:, None] * (g + 1) / 2
    p = np.clip(p, np.finfo(float).tiny, 1 - np.finfo(float).eps)
    log_pdf = (a - 1) * np.log(p) + (bx[:, None] - 1) * np.log1p(-p)
    weight = w * np.exp(log_pdf - log_pdf.max(axis=1, keepdims=True))
    weight /= weight.sum(axis=1, keepdims=True)
    shrink = np.log(alpha + T)[:, None] - np.log(alpha + T[:, None] + p * t[:, None])
    per_p = -np.expm1((r + x)[:, None] * shrink) / p
    return (weight * per_p).sum(axis=1).reshape(shape)


def _quadrature_expr(params: dict, features: ibis.Table, horizons: list[float]) -> ibis.Table:
    """`expected_purchases_expr` by `expected_if_alive_quadrature` over the distinct (x, T)."""
    pairs = features.select(x=features.frequency.cast("float64"),
                            T=features["T"].cast("float64")).distinct().execute()
    x, T = pairs.x.to_numpy(float), pairs["T"].to_numpy(float)
    chunk = 20_000
    values = {f"g_{i}": np.concatenate([
        expected_if_alive_quadrature(params, h, x[s:s + chunk], T[s:s + chunk])
        for s in range(0, max(len(x), 1), chunk)]) if len(x) else np.empty(0)
        for i, h in enumerate(horizons)}
    return _join_series(params, features,
                        ibis.memtable(pd.DataFrame({"x": x, "T": T, **values})), len(horizons))
