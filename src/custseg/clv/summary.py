"""The per-customer purchase summary every buy-till-you-die model is fitted on.

One row per customer, in the column vocabulary of PyMC-Marketing and lifetimes:

========================  =====================================================================
column                    meaning (time columns in the unit given by ``time_unit``)
========================  =====================================================================
``customer_id``           the customer
``frequency``             x: repeat purchase *days* in the calibration period (the first
                          purchase day does not count; several orders on one day count once)
``recency``               t_x: time from the first purchase day to the last purchase day in the
                          calibration period (0 when ``frequency`` is 0)
``T``                     time from the first purchase day to ``calibration_end``
``monetary_value``        mean spend of the repeat purchase days (Gamma-Gamma's zbar; 0 when
                          ``frequency`` is 0)
``frequency_holdout``     purchase days in ``(calibration_end, observation_end]`` (holdout only)
``duration_holdout``      length of the holdout period, ``observation_end - calibration_end``
========================  =====================================================================

Counting days rather than orders is how the published CDNOW figures are defined (Fader, Hardie
& Lee 2005, "Counting your customers the easy way", Marketing Science 24(2)).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import ibis

from custseg.errors import CustsegError

TimeUnit = Literal["D", "W"]
DAYS_PER_UNIT: dict[str, int] = {"D": 1, "W": 7}
SUMMARY_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")


def days_per_unit(time_unit: str) -> int:
    """Days in one ``time_unit`` ("D" or "W"); anything else is a user error."""
    try:
        return DAYS_PER_UNIT[time_unit]
    except KeyError:
        raise CustsegError(f"time_unit must be 'D' (days) or 'W' (weeks), not {time_unit!r}"
                           ) from None


def rfm_summary(orders: ibis.Table, *, calibration_end: date,
                observation_end: date | None = None, time_unit: TimeUnit = "W",
                first_date_from: date | None = None) -> ibis.Table:
    """Summarise orders into frequency, recency, T and monetary value per customer.

    Parameters
    ----------
    orders
        Canonical orders: ``customer_id``, ``order_date`` (date or timestamp) and ``amount``.
        Rows with ``status = 'cancelled'`` are ignored when a ``status`` column exists.
    calibration_end
        Last day of the calibration period, inclusive. Orders after it only feed the holdout
        columns. CDNOW's 39 weeks from 1997-01-01 end on 1997-09-30.
    observation_end
        Last day of the holdout period, inclusive; adds ``frequency_holdout`` and
        ``duration_holdout``. CDNOW's 78 weeks end on 1998-06-30.
    time_unit
        ``"W"`` (weeks of 7 days) or ``"D"`` (days) for ``recency``, ``T`` and
        ``duration_holdout``. Fitted model parameters are in this unit too.
    first_date_from
        Keep only customers whose first purchase is on or after this day (a cohort). Customers
        with earlier purchases are dropped, not truncated: their true first purchase is unknown
        to the window, which would bias T and recency.

    Returns
    -------
    ibis.Table
        One row per customer with a first purchase on or before ``calibration_end``; columns
        as in the module docstring.

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> orders = ibis.memtable({"customer_id": ["a", "a", "a", "a", "b"],
    ...     "order_date": [dt.date(2020, 1, 1), dt.date(2020, 1, 8), dt.date(2020, 1, 8),
    ...                    dt.date(2020, 1, 29), dt.date(2020, 1, 15)],
    ...     "amount": [10.0, 5.0, 15.0, 40.0, 7.0]})
    >>> s = rfm_summary(orders, calibration_end=dt.date(2020, 1, 29)).order_by("customer_id")
    >>> s.execute()[["customer_id", "frequency", "recency", "T", "monetary_value"]]
      customer_id  frequency  recency    T  monetary_value
    0           a          2      4.0  4.0            30.0
    1           b          0      0.0  2.0             0.0
    """
    unit_days = days_per_unit(time_unit)
    if observation_end is not None and observation_end <= calibration_end:
        raise CustsegError(f"observation_end {observation_end} must be after "
                           f"calibration_end {calibration_end}")
    days = purchase_days(orders, last_day=observation_end or calibration_end,
                         calibration_end=calibration_end, first_date_from=first_date_from)
    age = days.day.delta(days.first_day, unit="day")
    calib = days.day <= calibration_end
    repeat = calib & (days.day > days.first_day)
    out = days.group_by("customer_id").aggregate(
        frequency=repeat.sum().cast("int64"),
        recency_days=age.max(where=calib),
        T_days=ibis.literal(calibration_end).delta(days.first_day.min(), unit="day"),
        repeat_spend=days.spend.sum(where=repeat),
        frequency_holdout=(~calib).sum().cast("int64"),
    )
    columns = {
        "customer_id": out.customer_id,
        "frequency": out.frequency,
        "recency": out.recency_days.cast("float64") / unit_days,
        "T": out.T_days.cast("float64") / unit_days,
        "monetary_value": ibis.ifelse(out.frequency > 0,
                                      out.repeat_spend.cast("float64") / out.frequency, 0.0),
    }
    if observation_end is not None:
        columns["frequency_holdout"] = out.frequency_holdout
        columns["duration_holdout"] = ibis.literal(
            (observation_end - calibration_end).days / unit_days, type="float64")
    return out.select(**columns)


def purchase_days(orders: ibis.Table, *, last_day: date, calibration_end: date,
                  first_date_from: date | None = None) -> ibis.Table:
    """One row per customer and purchase day up to ``last_day``: ``customer_id, day, spend,
    first_day``, for the customers `rfm_summary` keeps (see its parameters)."""
    if "status" in orders.columns:
        orders = orders.filter(orders.status.isnull() | (orders.status != "cancelled"))
    day = orders.order_date.cast("date")
    days = (orders.filter(day <= last_day)
            .group_by(customer_id=orders.customer_id, day=day)
            .aggregate(spend=orders.amount.sum()))
    days = days.mutate(first_day=days.day.min().over(group_by="customer_id"))
    days = days.filter(days.first_day <= calibration_end)
    if first_date_from is not None:
        days = days.filter(days.first_day >= first_date_from)
    return days
