"""Shared machinery of the maximum-likelihood fitters: sufficient statistics and the optimiser.

Every customer with the same summary row contributes the same log-likelihood, so the fitters
group customers by their summary columns and weight each distinct row by its count: the cost
of a fit grows with the number of distinct rows, not with the number of customers.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Self

import ibis
import numpy as np
import pandas as pd
from scipy.optimize import minimize

from custseg.clv.summary import TimeUnit, days_per_unit
from custseg.errors import CustsegError, CustsegWarning
from custseg.model import Model


class ConvergenceWarning(CustsegWarning):
    """The optimiser stopped before the likelihood reached a maximum."""


def as_table(summary: ibis.Table | pd.DataFrame) -> ibis.Table:
    """Accept a summary as an Ibis table or, in notebooks, a pandas DataFrame."""
    return ibis.memtable(summary) if isinstance(summary, pd.DataFrame) else summary


def sufficient_statistics(summary: ibis.Table | pd.DataFrame,
                          columns: Sequence[str]) -> pd.DataFrame:
    """Distinct values of ``columns`` with their number of customers (column ``weight``)."""
    summary = as_table(summary)
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise CustsegError(f"the summary lacks column(s) {', '.join(missing)}; "
                           "build it with custseg.clv.rfm_summary")
    grouped = summary.group_by(list(columns)).aggregate(weight=summary.count())
    return grouped.to_pandas().sort_values(list(columns), ignore_index=True)


def check_rfm(frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> None:
    """Raise a `CustsegError` unless 0 <= recency <= T, recency = 0 when frequency = 0."""
    bad = ((frequency < 0) | (frequency != np.round(frequency)) | (recency < 0) | (recency > T)
           | ((frequency == 0) & (recency != 0)) | ~np.isfinite(T))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CustsegError(
            f"{int(bad.sum())} summary row(s) are not a valid purchase history, e.g. "
            f"frequency={frequency[i]}, recency={recency[i]}, T={T[i]}: frequency must be a "
            "whole number >= 0 and 0 <= recency <= T (recency 0 when frequency is 0)")


def maximize(log_likelihood: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
             names: Sequence[str], weights: np.ndarray, *, initial: dict | None,
             penalizer: float) -> tuple[dict[str, float], float, bool]:
    """Maximise a weighted log-likelihood over positive parameters.

    ``log_likelihood(theta)`` returns per-row log-likelihoods and their gradient (rows x
    parameters), or ``None`` for the gradient to have it taken by central differences. The
    search runs on log-parameters; ``penalizer`` adds an L2 penalty on the
    parameters (as lifetimes does) to the mean negative log-likelihood.

    Returns the parameters, the total (unpenalised, weighted) log-likelihood and whether the
    optimiser converged.
    """
    if penalizer < 0:
        raise CustsegError(f"penalizer must be >= 0, not {penalizer}")
    start = np.array([float((initial or {}).get(n, 1.0)) for n in names])
    if (start <= 0).any():
        given = dict(zip(names, start.tolist(), strict=True))
        raise CustsegError(f"initial parameters must be > 0: {given}")
    total = weights.sum()

    def value(log_theta: np.ndarray) -> float:
        theta = np.exp(log_theta)
        return -(weights @ log_likelihood(theta)[0]) / total + penalizer * (theta @ theta)

    def objective(log_theta: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(log_theta)
        ll, grad = log_likelihood(theta)
        if grad is None:
            step = 1e-6 * np.eye(len(theta))
            gradient = np.array([(value(log_theta + h) - value(log_theta - h)) / 2e-6
                                 for h in step])
        else:
            gradient = (-(weights @ grad) / total + 2 * penalizer * theta) * theta
        return -(weights @ ll) / total + penalizer * (theta @ theta), gradient

    result = minimize(objective, np.log(start), jac=True, method="L-BFGS-B",
                      bounds=[(-20.0, 20.0)] * len(names),
                      options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10})
    theta = np.exp(result.x)
    ll, _ = log_likelihood(theta)
    # L-BFGS-B reports a failed line search when it stands on the maximum already and cannot
    # improve in floating point; a vanishing gradient is the real test.
    converged = bool(result.success or np.abs(result.jac).max() < 1e-6)
    if not converged:
        warnings.warn("the likelihood maximisation stopped early: "
                      f"{str(result.message).rstrip(': ')}",
                      ConvergenceWarning, stacklevel=3)
    return dict(zip(names, theta.tolist(), strict=True)), float(weights @ ll), converged


class TransactionModel(Model):
    """What the BG/NBD and Pareto/NBD models share: parameters, the fit on sufficient
    statistics of ``frequency, recency, T``, and known parameters via `set_params`.

    Subclasses set ``PARAMS``, ``NAME`` and ``fitter`` (a ``fit_*`` function returning
    ``(params, log_likelihood, converged)``).
    """

    PARAMS: tuple[str, ...] = ()
    NAME = ""
    fitter: Callable

    def __init__(self, *, penalizer: float = 0.0, initial_params: dict | None = None,
                 horizon: float = 52.0, time_unit: TimeUnit = "W"):
        self.penalizer = penalizer
        self.initial_params = initial_params
        self.horizon = horizon
        self.time_unit = time_unit

    def fit(self, summary: ibis.Table | pd.DataFrame) -> Self:
        """Fit on a summary with ``frequency, recency, T`` (see `rfm_summary`)."""
        days_per_unit(self.time_unit)
        stats = sufficient_statistics(summary, ("frequency", "recency", "T"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            self.params_, self.log_likelihood_, self.converged_ = type(self).fitter(
                stats.frequency, stats.recency, stats["T"], stats.weight,
                penalizer=self.penalizer, initial_params=self.initial_params)
        self.n_customers_ = int(stats.weight.sum())
        for w in caught:  # say which model, and where its parameters went
            if issubclass(w.category, ConvergenceWarning):
                where = ", ".join(f"{k} = {v:.4g}" for k, v in self.params_.items())
                w.message = f"{self.NAME} on {self.n_customers_:,} customers: {w.message} " \
                            f"({where})"
            warnings.warn(w.message, w.category, stacklevel=2)
        return self

    def set_params(self, **params: float) -> Self:
        """Use known parameters (e.g. published ones) instead of fitting."""
        if sorted(params) != sorted(self.PARAMS) or min(params.values()) <= 0:
            raise CustsegError(f"{self.NAME} needs positive {', '.join(self.PARAMS)}; "
                               f"got {params}")
        self.params_ = {n: float(params[n]) for n in self.PARAMS}
        return self
