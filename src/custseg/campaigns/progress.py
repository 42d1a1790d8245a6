"""Execution progress from the action log: per period, segment and owner, and per campaign.

The log is append-only: a customer's measure goes planned → sent → done in separate rows.
`progress` counts, per week or month of ``at``, the customers who had an action of each
status; `execution` sums up one campaign for the diagnostics of
`custseg.campaigns.evaluate` (reach, redemption, holdout customers who were treated).

>>> import ibis
>>> from datetime import datetime
>>> actions = ibis.memtable({"customer_id": ["1", "1", "2"], "campaign_id": ["C1"] * 3,
...     "segment_id": ["A004"] * 3, "owner": ["王"] * 3, "status": ["planned", "sent", "sent"],
...     "at": [datetime(2024, 3, 1), datetime(2024, 3, 4), datetime(2024, 3, 12)],
...     "redeemed": [None, True, False], "converted": [None, None, None]})
>>> progress(actions, by="month").execute()[["period", "planned", "sent", "done"]]
      period  planned  sent  done
0 2024-03-01        1     2     0
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from custseg.errors import CustsegError

PERIODS = {"week": "W", "month": "M"}


def progress(actions: ibis.Table, *, by: str = "week") -> ibis.Table:
    """``period, campaign_id, segment_id, owner, planned, sent, done, actions``: distinct
    customers with an action of each status in the period (weeks start on Monday)."""
    if by not in PERIODS:
        raise CustsegError(f"--by {by!r}: use week or month")
    period = actions["at"].truncate(PERIODS[by]).date()
    a = actions.mutate(period=period, owner=actions.owner.fill_null("-"),
                       segment_id=actions.segment_id.fill_null("-"),
                       campaign_id=actions.campaign_id.fill_null("-"))
    counts = {s: a.customer_id.nunique(where=a.status == s) for s in ("planned", "sent", "done")}
    return (a.group_by(["period", "campaign_id", "segment_id", "owner"])
            .aggregate(**counts, actions=a.count())
            .order_by(["period", "campaign_id", "segment_id", "owner"]))


def execution(actions: ibis.Table, members: ibis.Table) -> ibis.Table:
    """One row for one campaign's ``actions`` and ``members`` (``customer_id, arm``):
    ``target_members, holdout_members, actions, reached, done, redeemed, redeemed_known,
    converted, holdout_treated``. Reached = a sent or done action; redemption counts among
    reached customers."""
    reached = actions.status.isin(["sent", "done"])
    per = actions.group_by("customer_id").aggregate(
        _n=actions.count(), _reached=reached.any(), _done=(actions.status == "done").any(),
        _redeemed=(reached & actions.redeemed.fill_null(False)).any(),
        _known=(reached & actions.redeemed.notnull()).any(),
        _converted=actions.converted.fill_null(False).any())
    j = members.left_join(per, "customer_id")
    target, holdout = j.arm == "target", j.arm == "holdout"

    def count(cond: ibis.Value) -> ibis.Value:
        return cond.fill_null(False).cast(dt.int64).sum().fill_null(0)

    return j.aggregate(
        target_members=count(target), holdout_members=count(holdout),
        actions=j._n.fill_null(0).sum().fill_null(0),
        reached=count(target & j._reached), done=count(target & j._done),
        redeemed=count(target & j._redeemed), redeemed_known=count(target & j._known),
        converted=count(target & j._converted), holdout_treated=count(holdout & j._reached))
