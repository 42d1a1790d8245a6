"""Lifecycle stages: new, growing, mature, declining, lost (SPEC §5), as ordered rules.

With D the as-of date, F the orders in the window (D − w months, D] and F_prev the orders in
the window before it (D − 2w, D − w], w = ``[features] window_months`` (6), the rules are, first
match wins (`STAGES`; the thresholds are parameters):

====  ==========  =========  =====================================================
id    zh          en         rule
====  ==========  =========  =====================================================
L0    未购买       no orders  never ordered on or before D
L5    流失客户     lost       R > 365 d, or P(alive) < 0.1 when ``p_alive`` is a feature
L1    新客户       new        first order ≤ 90 days before D
L4    衰退客户     declining  F < F_prev, or F = 0 (no order in the last window)
L2    成长客户     growing    F > F_prev
L3    成熟客户     mature     the rest: F = F_prev ≥ 1
====  ==========  =========  =====================================================

>>> import ibis
>>> from datetime import date
>>> D = date(1998, 6, 30)
>>> f = ibis.memtable({"customer_id": list("abcde"), "as_of": [D] * 5,
...     "has_ordered": [True] * 4 + [False], "recency_days": [400, 10, 10, 10, None],
...     "first_order_date": [date(1996, 1, 1), date(1998, 6, 1), date(1997, 1, 1),
...                          date(1997, 1, 1), None],
...     "frequency": [0, 1, 3, 2, 0], "prev_frequency": [1, 0, 1, 2, 0]})
>>> Lifecycle().fit_assign(f).order_by("customer_id").execute().segment_id.tolist()
['L5', 'L1', 'L2', 'L3', 'L0']
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.datatypes as dt

from custseg.model import Segment
from custseg.segment.cases import Case, CaseSegmenter, Col, Cond, need

R, F, PREV = "recency_days", "frequency", "prev_frequency"
FIRST = "first_order_days"

# (id, zh, en, keywords (zh, en), any-of groups; strings in Cond values are parameters)
STAGES: tuple[tuple[str, str, str, tuple[str, str], tuple[tuple[Cond, ...], ...]], ...] = (
    ("L0", "未购买", "no orders", ("首单激励", "first-order incentive"),
     ((Cond("has_ordered", "==", False),),)),
    ("L5", "流失客户", "lost", ("低成本召回, 流失原因调研", "low-cost win-back, churn survey"),
     ((Cond(R, ">", "lost_days"),), (Cond("p_alive", "<", "p_alive_below"),))),
    ("L1", "新客户", "new", ("新客引导, 首单后关怀", "onboarding, post-purchase care"),
     ((Cond(FIRST, "<=", "new_days"),),)),
    ("L4", "衰退客户", "declining", ("关怀回访, 挽留优惠", "care call, retention offer"),
     ((Cond(F, "<", Col(PREV)),), (Cond(F, "==", 0),))),
    ("L2", "成长客户", "growing", ("交叉销售, 会员升级", "cross-sell, tier upgrade"),
     ((Cond(F, ">", Col(PREV)),),)),
    ("L3", "成熟客户", "mature", ("忠诚计划, 推荐有礼", "loyalty programme, referrals"),
     ((Cond(F, "==", Col(PREV)), Cond(F, ">=", 1)),)),
)
DISPLAY = ["L1", "L2", "L3", "L4", "L5", "L0"]


class Lifecycle(CaseSegmenter):
    """Lifecycle stage per customer from recency, first order and the change of F.

    Parameters
    ----------
    new_days : int, default 90
        New: first order at most this many days before D.
    lost_days : int, default 365
        Lost: R greater than this.
    p_alive_below : float, default 0.1
        Lost too when the feature table has ``p_alive`` and it is below this.

    The feature table needs ``as_of``, ``has_ordered``, ``recency_days``,
    ``first_order_date``, ``frequency`` and ``prev_frequency``
    (`custseg.segment.inputs.add_inputs`).
    """

    name = "lifecycle"
    needs_inputs = True

    def __init__(self, *, new_days: int = 90, lost_days: int = 365,
                 p_alive_below: float = 0.1):
        self.new_days = new_days
        self.lost_days = lost_days
        self.p_alive_below = p_alive_below

    @classmethod
    def from_settings(cls, settings: Any) -> Lifecycle:
        """From ``[segmentation.lifecycle]``."""
        return cls(**settings.lifecycle.model_dump())

    def _display(self) -> list[str]:
        return DISPLAY

    def _cases(self, features: ibis.Table) -> list[Case]:
        need(features, ["customer_id", "as_of", "has_ordered", R, "first_order_date", F, PREV],
             self.name)
        params = self.get_params()
        has_p_alive = "p_alive" in features.columns
        cases = []
        for sid, zh, en, keywords, groups in STAGES:
            resolved = tuple(
                tuple(Cond(c.column, c.op, params.get(c.value, c.value)
                           if isinstance(c.value, str) else c.value) for c in g)
                for g in groups if has_p_alive or all(c.column != "p_alive" for c in g))
            cases.append(Case(Segment(sid, zh, en), resolved, keywords))
        return cases

    def _with_first(self, features: ibis.Table) -> ibis.Table:
        return features.mutate(**{FIRST: features.as_of.cast(dt.date).delta(
            features.first_order_date, unit="day")})

    def fit(self, features: ibis.Table) -> Lifecycle:
        return super().fit(self._with_first(features))

    def assign(self, features: ibis.Table) -> ibis.Table:
        """``customer_id, segment_id``: the first stage whose rule matches."""
        return super().assign(self._with_first(features))
