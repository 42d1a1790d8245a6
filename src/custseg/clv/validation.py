"""Validation of a transaction model on a holdout period, as plain data a report can chart.

The checks of Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing
Science 24(2): fit on a calibration period, then compare with what customers did next —
holdout purchases by calibration frequency (their figure 4) and cumulative repeat purchases
period by period (their figure 2). The per-customer mean absolute error summarises both.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd

from custseg.clv.summary import days_per_unit, purchase_days, rfm_summary
from custseg.errors import CustsegError


def holdout_by_frequency(model, summary: ibis.Table, *, max_frequency: int = 7
                         ) -> pd.DataFrame:
    """Actual and expected mean holdout purchases per calibration frequency 0, 1, …, ``7+``.

    ``summary`` is an `rfm_summary` with holdout columns; the expectations come from the
    fitted ``model`` over each customer's ``duration_holdout``, computed in the engine.
    Columns: ``frequency`` (label), ``customers``, ``actual``, ``expected`` (means per
    customer), ``actual_total``, ``expected_total``.
    """
    if "frequency_holdout" not in summary.columns:
        raise CustsegError("the summary has no holdout period; build it with observation_end")
    duration = summary.duration_holdout.max().to_pyarrow().as_py()
    scored = model.purchases_expr(summary, [float(duration)])
    group = scored.frequency.clip(upper=max_frequency)
    out = (scored.group_by(group=group)
           .aggregate(customers=scored.count(),
                      actual_total=scored.frequency_holdout.sum().cast("float64"),
                      expected_total=scored.expected_purchases_0.sum())
           .order_by("group").to_pandas())
    out.insert(0, "frequency", [f"{g}+" if g == max_frequency else str(g) for g in out.group])
    out["actual"] = out.actual_total / out.customers
    out["expected"] = out.expected_total / out.customers
    return out[["frequency", "customers", "actual", "expected", "actual_total",
                "expected_total"]]


def cumulative_tracking(model, orders: ibis.Table, *, calibration_end: date,
                        observation_end: date, first_date_from: date | None = None,
                        period_days: int = 7) -> pd.DataFrame:
    """Actual and expected repeat purchases per period from the first purchase of the cohort.

    Expected purchases add up E[X(t)] of every customer from their first purchase, so the
    curve tests the model on calibration and holdout alike. Columns: ``period`` (1, 2, …),
    ``end_date`` (last day of the period), ``holdout`` (whether the period ends after
    ``calibration_end``), ``actual``, ``expected`` and their cumulative sums
    ``actual_cumulative``, ``expected_cumulative``.
    """
    days = purchase_days(orders, last_day=observation_end, calibration_end=calibration_end,
                         first_date_from=first_date_from)
    start = days.first_day.min().to_pyarrow().as_py()
    if start is None:
        raise CustsegError("no customer made a first purchase by calibration_end")
    repeat = days.filter(days.day > days.first_day)
    period = (repeat.day.delta(ibis.literal(start), unit="day") // period_days + 1)
    actual = (repeat.group_by(period=period).aggregate(actual=repeat.count())
              .to_pandas().set_index("period").actual)
    cohorts = (days.group_by("first_day").aggregate(customers=days.customer_id.nunique())
               .to_pandas())
    periods = np.arange(1, (observation_end - start).days // period_days + 2)
    ends = [start + timedelta(days=int(k * period_days - 1)) for k in periods]
    ends = [min(e, observation_end) for e in ends]
    first = cohorts.first_day.to_numpy().astype("datetime64[D]")
    age_days = (np.array(ends, dtype="datetime64[D]")[:, None] - first).astype(float)
    t = np.maximum(age_days, 0.0) / days_per_unit(model.time_unit)
    expected_x = model.expected_purchases_new_customer(t)
    cumulative = (np.where(age_days >= 0, expected_x, 0.0) * cohorts.customers.to_numpy()
                  ).sum(axis=1)
    out = pd.DataFrame({"period": periods, "end_date": ends,
                        "holdout": [e > calibration_end for e in ends]})
    out["actual"] = actual.reindex(periods, fill_value=0).to_numpy().astype(float)
    out["expected"] = np.diff(cumulative, prepend=0.0)
    out["actual_cumulative"] = out.actual.cumsum()
    out["expected_cumulative"] = cumulative
    return out


def validation_report(model, orders: ibis.Table, *, calibration_end: date,
                      observation_end: date, first_date_from: date | None = None,
                      max_frequency: int = 7, period_days: int = 7) -> dict:
    """Fit ``model`` on the calibration period and compare its predictions with the holdout.

    Parameters
    ----------
    model
        An (unfitted) transaction model, e.g. `BetaGeoModel`; it is fitted here, on a summary
        in its ``time_unit``.
    orders
        Canonical orders covering calibration and holdout.
    calibration_end, observation_end
        Last days (inclusive) of the calibration and the holdout period.

    Returns
    -------
    dict
        ``time_unit``, ``calibration_end``, ``observation_end``, ``customers``, ``params``,
        ``log_likelihood``, ``by_frequency`` and ``tracking`` (DataFrames, see
        `holdout_by_frequency` and `cumulative_tracking`), ``holdout_actual`` and
        ``holdout_expected`` (total holdout purchases), ``mae`` (mean absolute error of the
        per-customer holdout predictions) and ``tracking_mae`` (mean absolute error of the
        period counts in the holdout).
    """
    summary = rfm_summary(orders, calibration_end=calibration_end,
                          observation_end=observation_end, time_unit=model.time_unit,
                          first_date_from=first_date_from)
    model.fit(summary)
    by_frequency = holdout_by_frequency(model, summary, max_frequency=max_frequency)
    tracking = cumulative_tracking(model, orders, calibration_end=calibration_end,
                                   observation_end=observation_end,
                                   first_date_from=first_date_from, period_days=period_days)
    duration = (observation_end - calibration_end).days / days_per_unit(model.time_unit)
    scored = model.purchases_expr(summary, [duration])
    mae = (scored.frequency_holdout - scored.expected_purchases_0).abs().mean()
    holdout = tracking[tracking.holdout]
    return {
        "time_unit": model.time_unit,
        "calibration_end": calibration_end,
        "observation_end": observation_end,
        "customers": model.n_customers_,
        "params": dict(model.params_),
        "log_likelihood": model.log_likelihood_,
        "by_frequency": by_frequency,
        "tracking": tracking,
        "holdout_actual": float(by_frequency.actual_total.sum()),
        "holdout_expected": float(by_frequency.expected_total.sum()),
        "mae": float(mae.to_pyarrow().as_py()),
        "tracking_mae": float((holdout.actual - holdout.expected).abs().mean()),
    }
