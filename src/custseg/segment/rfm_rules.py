"""RFM rules: ordered threshold rules on the feature table, first match wins (SPEC §5).

The default template is the seed's A001–A004 (F and M over the last 6 months, bounds
inclusive as written, so M = 999.5 falls between A003's 300–999 and the next rule):

====  ======================  ==========================================
A001  核心忠诚客户 core loyal    R ≤ 30 d, F ≥ 5, M ≥ 2000
A002  新锐潜力客户 new potential registered ≤ 6 months, F 1–2, M ≥ 1000
A003  稳定普通客户 stable regular R ≤ 60 d, F 2–4, M 300–999
A004  沉睡流失客户 dormant       R ≥ 90 d, F ≤ 1
====  ======================  ==========================================

Customers matching no rule form the visible unclassified segment ``U``. Rules are data: pass
your own (or the config's ``[[segmentation.rules]]``), or name presets from `PRESETS`.

>>> import ibis
>>> from datetime import date
>>> features = ibis.memtable({
...     "customer_id": ["1", "2", "3"], "as_of": [date(2024, 6, 30)] * 3,
...     "recency_days": [10, 200, None], "frequency": [6, 1, 0],
...     "monetary": [2500.0, 80.0, 0.0], "registration_date": [date(2020, 1, 1)] * 3})
>>> model = RFMRules().fit(features)
>>> model.assign(features).order_by("customer_id").execute().segment_id.tolist()
['A001', 'A004', 'A004']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Self

import ibis

from custseg.errors import ConfigError
from custseg.model import UNCLASSIFIED, Segmenter
from custseg.segment.rules import (
    Rule,
    check_rules,
    columns_read,
    features_used,
    first_match,
    to_rule,
)

R, F, M = "recency_days", "frequency", "monetary"

PRESETS: dict[str, Rule] = {
    "core_loyal": Rule("A001", "核心忠诚客户", "core loyal",
                       {R: {"max": 30}, F: {"min": 5}, M: {"min": 2000}},
                       ("专属服务, 优先体验, 会员升级", "dedicated service, early access, "
                                                         "tier upgrade")),
    "new_potential": Rule("A002", "新锐潜力客户", "new potential",
                          {"registered_within_months": 6, F: {"min": 1, "max": 2},
                           M: {"min": 1000}},
                          ("新客优惠, 引导培育, 回访", "new-customer offer, onboarding, "
                                                       "follow-up call")),
    "stable_regular": Rule("A003", "稳定普通客户", "stable regular",
                           {R: {"max": 60}, F: {"min": 2, "max": 4}, M: {"min": 300, "max": 999}},
                           ("交叉销售, 积分激励", "cross-sell, loyalty points")),
    "dormant": Rule("A004", "沉睡流失客户", "dormant / churning",
                    {R: {"min": 90}, F: {"max": 1}},
                    ("回归专享100元券, 流失原因调研", "win-back coupon, churn-reason survey")),
    "potential": Rule("P001", "潜力客户", "potential",
                      {R: {"max": 30}, F: {"min": 2, "max": 4}, M: {"min": 500, "max": 1999}},
                      ("提升客单价, 搭配推荐", "raise order value, bundles")),
    "churn_risk": Rule("P002", "流失风险客户", "churn risk", {R: {"min": 90}, F: {"max": 1}},
                       ("关怀回访, 限时优惠", "care call, limited-time offer")),
    "lost": Rule("P003", "沉睡流失", "lost",
                 {R: {"min": 180}, F: {"min": 1, "max": 1}, "repurchased": False},
                 ("低成本唤醒, 放弃高成本投入", "low-cost reactivation only")),
}

TEMPLATES: dict[str, tuple[str, ...]] = {
    "seed": ("core_loyal", "new_potential", "stable_regular", "dormant"),
}


def template_rules(name: str) -> list[Rule]:
    """The rules of a named template (``seed``: A001–A004)."""
    if name not in TEMPLATES:
        raise ConfigError(f"unknown rules template {name!r}; templates: {', '.join(TEMPLATES)}")
    return [PRESETS[p] for p in TEMPLATES[name]]


class RFMRules(Segmenter):
    """Ordered threshold rules, first match wins, with an explicit unclassified segment.

    Parameters
    ----------
    rules : sequence of Rule or mappings, optional
        The rules in order. A mapping is a config rule: ``id``, ``name_zh``, ``name_en``,
        ``conditions``, ``keywords``, or ``preset`` (a key of `PRESETS`) plus overrides.
        Without rules the ``template`` is used.
    template : str, default "seed"
        A key of `TEMPLATES`.

    Attributes
    ----------
    rules_ : list of Rule
    segments_ : list of Segment
        One per rule, then `custseg.model.UNCLASSIFIED`.
    dimensions_ : list of str
        The features the rules look at.
    """

    def __init__(self, *, rules: Sequence[Rule | Mapping[str, Any]] | None = None,
                 template: str = "seed"):
        self.rules = rules
        self.template = template

    @classmethod
    def from_settings(cls, settings: Any) -> RFMRules:
        """From ``[segmentation]``: ``template`` and ``[[segmentation.rules]]``."""
        rules = [r.model_dump(exclude_none=True) for r in settings.rules] or None
        return cls(rules=rules, template=settings.template)

    def _rules(self) -> list[Rule]:
        return ([to_rule(r, PRESETS) for r in self.rules] if self.rules
                else template_rules(self.template))

    def required_features(self) -> list[str]:
        return columns_read(self._rules())

    def fit(self, features: ibis.Table) -> Self:
        """Validate the rules against the feature table's columns."""
        rules = self._rules()
        check_rules(rules, dict(features.schema().items()))
        self.rules_ = rules
        self.segments_ = [r.segment() for r in rules] + [UNCLASSIFIED]
        self.dimensions_ = features_used(rules)
        return self

    def assign(self, features: ibis.Table) -> ibis.Table:
        """``customer_id, segment_id``: the first rule that matches, else ``U``."""
        self.check_fitted()
        return features.select("customer_id", segment_id=first_match(features, self.rules_))

    def texts(self, lang: str) -> dict[str, tuple[str, str]]:
        """Segment id → (dimension combination, strategy keywords) in ``lang``."""
        self.check_fitted()
        out = {r.id: (r.text(lang), r.keywords_in(lang)) for r in self.rules_}
        other = "未匹配任何规则" if lang == "zh" else "matched no rule"
        return out | {UNCLASSIFIED.id: (other, "")}
