"""RFM scores: 1–5 quantile scores per dimension and the usual named segments (SPEC §5).

Scoring, exactly: among customers who ordered on or before D (``has_ordered``), each of R, F
and M is ranked with ties sharing the lowest rank (SQL ``RANK``); with ``rank`` counted from
0 and ``n`` such customers,

    score = floor(5 · rank / n) + 1

so equal values always get equal scores, the result does not depend on row order, and a value
shared by many customers can leave a score unused (F is often mostly 1s). R is ranked from the
longest ago to the most recent, so recent buyers get 5. Customers who never ordered get
r = f = m = 1 (and land in ``lost`` with the default map).

Segments come from an ordered score map (first match wins) of rules on ``r_score``,
``f_score`` and ``m_score``. The default `SCORE_MAP` covers all 125 cells:

===  ===================  ==============================  =====  =====  =====
id   en                   zh                              r      f      m
===  ===================  ==============================  =====  =====  =====
S01  champions            冠军客户                         4–5    4–5    4–5
S02  loyal                忠诚客户                         3–5    3–5    3–5
S03  can't lose           不能失去的客户                   1      4–5    4–5
S04  at risk              风险客户                         1–2    3–5    3–5
S05  new                  新客户                           4–5    1      any
S06  promising            有潜力客户                       3      1      any
S07  potential loyalists  潜在忠诚客户                     3–5    2–5    any
S08  need attention       需要关注客户                     2      2–5    any
S09  about to sleep       即将沉睡客户                     2      1      any
S10  hibernating          沉睡客户                         1      2–5    any
S11  lost                 流失客户                         1      1      any
===  ===================  ==============================  =====  =====  =====

>>> import ibis
>>> features = ibis.memtable({
...     "customer_id": ["a", "b", "c", "d"], "has_ordered": [True, True, True, False],
...     "recency_days": [5, 40, 300, None], "frequency": [9, 2, 1, 0],
...     "monetary": [900.0, 100.0, 20.0, 0.0]})
>>> out = RFMScores().fit_assign(features).order_by("customer_id").execute()
>>> out[["customer_id", "r_score", "f_score", "m_score", "segment_id"]].values.tolist()
[['a', 4, 4, 4, 'S01'], ['b', 2, 2, 2, 'S08'], ['c', 1, 1, 1, 'S11'], ['d', 1, 1, 1, 'S11']]
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Self

import ibis
import ibis.expr.datatypes as dt

from custseg.errors import ConfigError
from custseg.model import UNCLASSIFIED, Segmenter
from custseg.segment.rules import Rule, check_rules, first_match, to_rule

SCORES = ("r_score", "f_score", "m_score")
BINS = 5


def _r(r: tuple[int, int], f: tuple[int, int], m: tuple[int, int] | None = None) -> dict:
    ranges = {"r_score": r, "f_score": f} | ({"m_score": m} if m else {})
    return {k: {"min": lo, "max": hi} for k, (lo, hi) in ranges.items()}


SCORE_MAP: list[Rule] = [
    Rule("S01", "冠军客户", "champions", _r((4, 5), (4, 5), (4, 5)),
         ("专属权益, 新品优先, 邀请推荐", "exclusive perks, early access, referrals")),
    Rule("S02", "忠诚客户", "loyal", _r((3, 5), (3, 5), (3, 5)),
         ("会员升级, 交叉销售", "tier upgrade, cross-sell")),
    Rule("S03", "不能失去的客户", "can't lose", _r((1, 1), (4, 5), (4, 5)),
         ("专人回访, 大额挽回", "personal call, strong win-back offer")),
    Rule("S04", "风险客户", "at risk", _r((1, 2), (3, 5), (3, 5)),
         ("个性化召回, 限时优惠", "personalised win-back, limited-time offer")),
    Rule("S05", "新客户", "new", _r((4, 5), (1, 1)),
         ("新客引导, 首单后关怀", "onboarding, post-purchase care")),
    Rule("S06", "有潜力客户", "promising", _r((3, 3), (1, 1)),
         ("品牌认知, 试用优惠", "brand awareness, trial offer")),
    Rule("S07", "潜在忠诚客户", "potential loyalists", _r((3, 5), (2, 5)),
         ("会员计划, 推荐搭配", "membership, recommendations")),
    Rule("S08", "需要关注客户", "need attention", _r((2, 2), (2, 5)),
         ("限时活动, 个性推荐", "limited-time offers, personal recommendations")),
    Rule("S09", "即将沉睡客户", "about to sleep", _r((2, 2), (1, 1)),
         ("热门推荐, 唤醒优惠", "popular picks, reactivation discount")),
    Rule("S10", "沉睡客户", "hibernating", _r((1, 1), (2, 5)),
         ("低成本唤醒", "low-cost reactivation")),
    Rule("S11", "流失客户", "lost", _r((1, 1), (1, 1)),
         ("流失原因调研, 停止高成本投入", "churn-reason survey, stop costly spend")),
]


def quantile_score(table: ibis.Table, column: str, eligible: ibis.BooleanValue, *,
                   bins: int = 5, descending: bool = False) -> ibis.IntegerValue:
    """``floor(bins · rank / n) + 1`` among ``eligible`` rows, ties sharing the lowest rank
    (counted from 0); 1 elsewhere. ``descending`` ranks large values first (low scores)."""
    value = table[column]
    key = value.desc() if descending else value.asc()
    rank = ibis.rank().over(group_by=eligible, order_by=key)
    n = table.count().over(group_by=eligible)
    score = (rank * bins) // n + 1
    return ibis.ifelse(eligible, score, 1).cast(dt.int8)


def score_table(features: ibis.Table, bins: int = 5) -> ibis.Table:
    """``customer_id, r_score, f_score, m_score`` for every row of ``features``."""
    eligible = features.has_ordered.coalesce(False)
    return features.select(
        "customer_id",
        r_score=quantile_score(features, "recency_days", eligible, bins=bins, descending=True),
        f_score=quantile_score(features, "frequency", eligible, bins=bins),
        m_score=quantile_score(features, "monetary", eligible, bins=bins),
    )


def uncovered_cells(rules: Sequence[Rule], bins: int = 5) -> list[tuple[int, int, int]]:
    """The (r, f, m) score cells that no rule of the map matches."""
    def hit(rule: Rule, cell: tuple[int, int, int]) -> bool:
        for name, value in zip(SCORES, cell, strict=True):
            spec = rule.conditions.get(name)
            if spec is None:
                continue
            if isinstance(spec, Mapping):
                if not ((spec.get("min") is None or value >= spec["min"])
                        and (spec.get("max") is None or value <= spec["max"])):
                    return False
            elif value != spec:
                return False
        return True

    cells = itertools.product(range(1, bins + 1), repeat=3)
    return [c for c in cells if not any(hit(r, c) for r in rules)]


class RFMScores(Segmenter):
    """1–5 quantile scores for R, F, M and named segments from an ordered score map.

    Parameters
    ----------
    segment_map : sequence of Rule or mappings, optional
        Ordered rules on ``r_score``, ``f_score``, ``m_score`` (each 1–5); default
        `SCORE_MAP`.

    Attributes
    ----------
    rules_ : list of Rule
    segments_ : list of Segment
        One per rule; `custseg.model.UNCLASSIFIED` is added when the map leaves cells
        uncovered (listed in ``uncovered_``).
    dimensions_ : list of str
    """

    detail_table = "rfm_scores"

    def __init__(self, *, segment_map: Sequence[Rule | Mapping[str, Any]] | None = None):
        self.segment_map = segment_map

    @classmethod
    def from_settings(cls, settings: Any) -> RFMScores:
        """From ``[segmentation]``: ``[[segmentation.score_map]]``."""
        rules = [r.model_dump(exclude_none=True) for r in settings.score_map] or None
        return cls(segment_map=rules)

    def required_features(self) -> list[str]:
        return ["has_ordered", "recency_days", "frequency", "monetary"]

    def fit(self, features: ibis.Table) -> Self:
        """Validate the score map; find the cells it leaves to unclassified."""
        rules = [to_rule(r, {}) for r in self.segment_map] if self.segment_map else SCORE_MAP
        check_rules(rules, {name: dt.int8 for name in SCORES})
        missing = [k for k in ("customer_id", "has_ordered", "recency_days", "frequency",
                               "monetary") if k not in features.columns]
        if missing:
            raise ConfigError(f"the feature table lacks {', '.join(missing)}")
        self.rules_ = rules
        self.uncovered_ = uncovered_cells(rules, BINS)
        self.segments_ = [r.segment() for r in rules] + ([UNCLASSIFIED] if self.uncovered_
                                                         else [])
        self.dimensions_ = ["recency_days", "frequency", "monetary"]
        return self

    def assign(self, features: ibis.Table) -> ibis.Table:
        """``customer_id, segment_id, r_score, f_score, m_score``."""
        self.check_fitted()
        scores = score_table(features, BINS)
        return scores.select("customer_id", segment_id=first_match(scores, self.rules_),
                             r_score=scores.r_score, f_score=scores.f_score,
                             m_score=scores.m_score)

    def texts(self, lang: str) -> dict[str, tuple[str, str]]:
        """Segment id → (score ranges, strategy keywords) in ``lang``."""
        self.check_fitted()
        out = {r.id: (r.text(lang), r.keywords_in(lang)) for r in self.rules_}
        other = "分值组合未被映射" if lang == "zh" else "score cell not in the map"
        return out | {UNCLASSIFIED.id: (other, "")}
