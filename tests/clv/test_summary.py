"""rfm_summary: hand-computed toy cases and the published CDNOW summary."""

from __future__ import annotations

from datetime import date

import ibis
import numpy as np
import pandas as pd
import pytest

from custseg.clv import rfm_summary
from custseg.errors import CustsegError
from tests.clv.conftest import CALIBRATION_END


def toy_orders() -> ibis.Table:
    rows = [  # customer, day, amount, status
        ("a", date(2020, 1, 1), 10.0, "completed"),
        ("a", date(2020, 1, 8), 5.0, "completed"),
        ("a", date(2020, 1, 8), 15.0, "completed"),  # same day: one purchase day of 20
        ("a", date(2020, 1, 29), 40.0, "completed"),
        ("a", date(2020, 2, 5), 99.0, "completed"),  # holdout
        ("b", date(2020, 1, 15), 7.0, "completed"),
        ("b", date(2020, 1, 20), 70.0, "cancelled"),  # ignored
        ("c", date(2019, 12, 1), 1.0, None),  # bought before the cohort starts
        ("c", date(2020, 1, 2), 3.0, None),
        ("d", date(2020, 2, 3), 8.0, "completed"),  # first purchase after calibration
    ]
    return ibis.memtable(pd.DataFrame(rows, columns=["customer_id", "order_date", "amount",
                                                     "status"]))


def run(**kwargs) -> pd.DataFrame:
    summary = rfm_summary(toy_orders(), calibration_end=date(2020, 1, 29), **kwargs)
    return summary.to_pandas().set_index("customer_id").sort_index()


def test_weeks_by_hand():
    out = run(observation_end=date(2020, 2, 29))
    assert out.loc["a"].tolist() == [2, 4.0, 4.0, 30.0, 1, 31 / 7]
    assert out.loc["b"].tolist() == [0, 0.0, 2.0, 0.0, 0, 31 / 7]
    assert out.loc["c"].tolist() == [1, 32 / 7, 59 / 7, 3.0, 0, 31 / 7]
    assert "d" not in out.index


def test_days_and_cohort():
    out = run(time_unit="D", first_date_from=date(2020, 1, 1))
    assert list(out.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert out.loc["a"].tolist() == [2, 28.0, 28.0, 30.0]
    assert sorted(out.index) == ["a", "b"]


def test_bad_arguments():
    with pytest.raises(CustsegError, match="time_unit"):
        rfm_summary(toy_orders(), calibration_end=date(2020, 1, 29), time_unit="M")
    with pytest.raises(CustsegError, match="after"):
        run(observation_end=date(2020, 1, 1))


def test_reproduces_published_cdnow_summary(cdnow_summary, published_summary):
    ours = cdnow_summary.to_pandas().set_index("customer_id")
    theirs = published_summary.set_index("customer_id")
    assert len(ours) == len(theirs) == 2357
    ours = ours.loc[theirs.index]
    assert (ours.frequency == theirs.frequency).all()
    assert (ours.recency.round(2) == theirs.recency).all()
    assert (ours["T"].round(2) == theirs["T"]).all()
    assert ours.frequency.sum() == 2457 and ours.frequency_holdout.sum() == 1882
    assert (ours.duration_holdout == 39.0).all()


def test_monetary_value_is_zbar_of_repeat_days(con, cdnow_orders, published_spend):
    summary = rfm_summary(cdnow_orders, calibration_end=CALIBRATION_END).to_pandas()
    ours = summary.set_index("customer_id").loc[published_spend.customer_id]
    half_up = np.floor(ours.monetary_value.to_numpy() * 100 + 0.5 + 1e-9) / 100
    assert (half_up == published_spend.monetary_value.to_numpy()).all()
