"""Small aggregates of the result tables that reports and workbooks show.

Every function returns a few rows (per score cell, per level, per rule), except `members`,
which is the customer list per segment of one run for execution (decrypted and masked by
the caller).
"""

from __future__ import annotations

import pandas as pd

MEMBER_FIELDS = ("name", "phone", "email", "province", "city")


def has_table(con, name: str) -> bool:
    """Whether the project database holds a table or view called ``name``."""
    return name in con.list_tables()


def _records(con, expr) -> list[dict]:
    return con.to_pyarrow(expr).to_pylist()


def score_grid(con, run_id: str) -> list[dict]:
    """Customers and mean M score per (R score, F score) cell of an rfm-scores run."""
    if not has_table(con, "rfm_scores"):
        return []
    s = con.table("rfm_scores")
    s = s.filter(s.run_id == run_id)
    return _records(con, s.group_by(["r_score", "f_score"]).aggregate(
        customers=s.count(), mean_m_score=s.m_score.mean()).order_by(["r_score", "f_score"]))


def prediction_levels(con, run_id: str) -> list[dict]:
    """Customers, mean CLV and mean P(alive) per churn-risk level of a predict run."""
    if not has_table(con, "predictions"):
        return []
    p = con.table("predictions")
    p = p.filter(p.run_id == run_id)
    return _records(con, p.group_by("churn_level").aggregate(
        customers=p.count(), mean_clv=p.clv.mean(), total_clv=p.clv.sum(),
        mean_p_alive=p.p_alive.mean()).order_by("churn_level"))


def members(con, run_id: str) -> pd.DataFrame:
    """``segment_id, segment_name, customer_id`` and contact fields of every customer of a
    segmentation run, by segment and customer; personal fields as stored (tokens when
    encrypted at rest: the caller decrypts, then masks)."""
    seg = con.table("segment_assignments")
    seg = seg.filter(seg.run_id == run_id)
    cust = con.table("customers")
    fields = [f for f in MEMBER_FIELDS if f in cust.columns]
    joined = seg.left_join(cust.select("customer_id", *fields), "customer_id")
    out = joined.select(seg.segment_id, seg.segment_name, seg.customer_id,
                        *[joined[f] for f in fields])
    return con.execute(out.order_by(["segment_id", "customer_id"]))

