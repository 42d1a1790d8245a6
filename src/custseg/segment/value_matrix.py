"""Value × activity matrix: a 2×2 of a value measure and an activity (or need) measure (SPEC §5).

A cut point belongs to the low side, as bounds are inclusive everywhere in custseg:

- high value ⇔ value > ``value_cut``;
- high activity ⇔ activity > ``activity_cut``; for measures where less is more active
  (``recency_days``, ``interpurchase_days``) high activity ⇔ activity ≤ ``activity_cut``;
- a NULL measure counts as low (R = ∞ of a customer who never ordered is low activity).

Without a cut point, ``fit`` takes the median of the measure over the customers who have a
value (so with most customers at F = 0 the median is 0 and "high" means F ≥ 1).

=====  ==========  ============================  =====  ========
id     zh          en                            value  activity
=====  ==========  ============================  =====  ========
V1     高价值高活跃  high value, high activity     high   high
V2     高价值低活跃  high value, low activity      high   low
V3     低价值高活跃  low value, high activity      low    high
V4     低价值低活跃  low value, low activity       low    low
=====  ==========  ============================  =====  ========

>>> import ibis
>>> f = ibis.memtable({"customer_id": ["a", "b", "c", "d"],
...                    "ltv_historic": [900.0, 900.0, 10.0, 0.0], "frequency": [3, 0, 5, 0]})
>>> m = ValueMatrix(value_cut=100, activity_cut=1).fit(f)
>>> m.assign(f).order_by("customer_id").execute().segment_id.tolist()
['V1', 'V2', 'V3', 'V4']
>>> m.texts("en")["V2"][0]
'historic LTV > 100, F ≤ 1'
"""

from __future__ import annotations

from typing import Any

import ibis

from custseg.errors import ConfigError
from custseg.model import Segment
from custseg.segment.cases import Case, CaseSegmenter, Cond, need, quantiles

LESS_IS_MORE = frozenset({"recency_days", "interpurchase_days"})
QUADRANTS = (  # id, zh, en, high value?, high activity?, keywords
    ("V1", "高价值高活跃", "high value, high activity", True, True,
     ("专属权益, 会员升级, 推荐有礼", "exclusive perks, tier upgrade, referrals")),
    ("V2", "高价值低活跃", "high value, low activity", True, False,
     ("重点唤醒, 专人回访", "priority reactivation, personal call")),
    ("V3", "低价值高活跃", "low value, high activity", False, True,
     ("提升客单价, 交叉销售", "raise order value, cross-sell")),
    ("V4", "低价值低活跃", "low value, low activity", False, False,
     ("低成本触达", "low-cost reach")),
)


def _side(column: str, cut: float, high: bool, less_is_more: bool) -> Cond:
    up = high != less_is_more
    return Cond(column, ">" if up else "<=", cut)


class ValueMatrix(CaseSegmenter):
    """2×2 of value × activity with configurable cut points (default: medians).

    Parameters
    ----------
    value : str, default "ltv_historic"
        A numeric feature: historic LTV, ``monetary``, ``profit`` …
    activity : str, default "frequency"
        A numeric feature: ``frequency``, ``recency_days`` (less is more active),
        ``activity_count``, ``login_count`` …
    value_cut, activity_cut : float, optional
        The cut points (inclusive on the low side); default the median, learned in ``fit``.

    Attributes
    ----------
    value_cut_, activity_cut_ : float
    cases_ : list of Case
    segments_ : list of Segment
    """

    name = "value-matrix"

    def __init__(self, *, value: str = "ltv_historic", activity: str = "frequency",
                 value_cut: float | None = None, activity_cut: float | None = None):
        self.value = value
        self.activity = activity
        self.value_cut = value_cut
        self.activity_cut = activity_cut

    @classmethod
    def from_settings(cls, settings: Any) -> ValueMatrix:
        """From ``[segmentation.value_matrix]``."""
        return cls(**settings.value_matrix.model_dump())

    def _cut(self, features: ibis.Table, column: str, given: float | None) -> float:
        if given is not None:
            return float(given)
        (median,) = quantiles(features, column, [0.5])
        return 0.0 if median is None else median

    def _cases(self, features: ibis.Table) -> list[Case]:
        need(features, ["customer_id", self.value, self.activity], self.name)
        for column in (self.value, self.activity):
            if not features[column].type().is_numeric():
                raise ConfigError(f"{self.name}: {column} is {features[column].type()}, "
                                  "not a number")
        self.value_cut_ = self._cut(features, self.value, self.value_cut)
        self.activity_cut_ = self._cut(features, self.activity, self.activity_cut)
        less = self.activity in LESS_IS_MORE
        return [Case(Segment(i, zh, en, keywords=kw[1]),
                     ((_side(self.value, self.value_cut_, hv, False),
                       _side(self.activity, self.activity_cut_, ha, less)),), kw)
                for i, zh, en, hv, ha, kw in QUADRANTS]
