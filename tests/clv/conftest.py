"""CDNOW fixtures for the CLV tests: the sample's orders in an in-memory DuckDB, and summaries."""

from __future__ import annotations

from datetime import date

import ibis
import pandas as pd
import pytest

from custseg.clv import rfm_summary
from tests.conftest import CDNOW

CALIBRATION_END = date(1997, 9, 30)  # 39 weeks from 1997-01-01, inclusive
OBSERVATION_END = date(1998, 6, 30)  # 78 weeks


@pytest.fixture(scope="session")
def con():
    return ibis.duckdb.connect()


@pytest.fixture(scope="session")
def cdnow_orders(con) -> ibis.Table:
    """CDNOW_sample.txt as canonical orders (one line is one order)."""
    lines = pd.read_csv(CDNOW / "CDNOW_sample.txt", sep=r"\s+", header=None,
                        names=["master_id", "customer_id", "date", "cds", "amount"],
                        dtype={"customer_id": str, "date": str})
    orders = pd.DataFrame({"customer_id": lines.customer_id.str.lstrip("0"),
                           "order_date": pd.to_datetime(lines.date, format="%Y%m%d").dt.date,
                           "amount": lines.amount})
    return con.create_table("cdnow_orders", ibis.memtable(orders))


@pytest.fixture(scope="session")
def cdnow_summary(con, cdnow_orders) -> ibis.Table:
    """Our weekly summary of the sample with the 39-week holdout, materialised once."""
    summary = rfm_summary(cdnow_orders, calibration_end=CALIBRATION_END,
                          observation_end=OBSERVATION_END, time_unit="W")
    return con.create_table("cdnow_summary", summary)


@pytest.fixture(scope="session")
def published_summary() -> pd.DataFrame:
    """cdnow_customers_summary.csv: the published x, t_x, T (weeks, 2 decimals)."""
    frame = pd.read_csv(CDNOW / "cdnow_customers_summary.csv")
    return frame.rename(columns={"ID": "customer_id"}).astype({"customer_id": str})


@pytest.fixture(scope="session")
def published_spend() -> pd.DataFrame:
    """cdnow_customers_summary_with_transactions.csv renamed to our vocabulary.

    Despite its README line ("over 78 weeks") the file holds the 39-week calibration x, t_x
    and T (identical to cdnow_customers_summary.csv) and zbar, the mean spend of the
    calibration repeat purchase days rounded to cents (SPEC §13).
    """
    frame = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    return frame.rename(columns={"ID": "customer_id", "x": "frequency", "t_x": "recency",
                                 "zbar": "monetary_value"}).astype({"customer_id": str})
