"""Tiers and classes (SPEC §5): VIP / regular / potential and the variants of ``variant``.

Cut points belong to the low side (x ≤ cut is below it). Learned cut points are quantiles of
the measure over the customers who ordered (``has_ordered``), so prospects do not move them;
``cuts`` gives fixed ones instead. Rules, first match wins (the last line takes the rest):

``vip`` (default; measure ``by``, default historic LTV)
    T1 VIP 贵宾客户: ordered and value > the (1 − ``vip_share``) quantile (top 10 %);
    T3 potential 潜力客户: never ordered, or value ≤ the ``potential_share`` quantile (20 %);
    T2 regular 普通客户: the rest.
``value`` (bank style, measure ``by``)  C1 high > q80 ≥ C2 medium > q50 ≥ C3 low (and the rest).
``frequency`` / ``amount`` / ``aov`` / ``profit``  the same three classes on F, M, average
    order value and profit (``quantiles``, default 0.5 and 0.8, or ``cuts``); a customer
    without a value (AOV when F = 0, profit without cost data) is U unknown.
``activity`` (bank style)  A1 active: R ≤ ``active_days`` (90); A3 dormant: ordered and
    R > ``dormant_days`` (180); A2 potential: never ordered, or in between.
``preference``  P1 brand-loyal: top-brand share ≥ ``brand_share`` (0.6); P2 price-sensitive:
    discount share ≥ ``discount_share`` (0.5); P3 feature-seeking / other: the rest with brand
    or discount data; U unknown: neither. Needs order_items.brand or orders.discount.
``b2b``  industry (the ``max_industries`` largest, then "other") × company size (SME:
    staff < ``sme_below`` = 200; large otherwise); U unknown industry or size. Needs
    customers.industry and company_size.

>>> import ibis
>>> f = ibis.memtable({"customer_id": list("abcd"), "has_ordered": [True, True, True, False],
...                    "ltv_historic": [5000.0, 300.0, 20.0, 0.0]})
>>> m = Tiers(cuts=[100, 1000]).fit(f)
>>> m.assign(f).order_by("customer_id").execute().segment_id.tolist()
['T1', 'T2', 'T3', 'T3']
>>> m.texts("en")["T1"][0]
'has ordered, historic LTV > 1000'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis

from custseg.errors import ConfigError
from custseg.model import Segment
from custseg.segment.cases import Case, CaseSegmenter, Cond, label, need, quantiles
from custseg.segment.inputs import UNKNOWN

R = "recency_days"
ORDERED = Cond("has_ordered", "==", True)
NEVER = Cond("has_ordered", "==", False)
UNKNOWN_SEGMENT = Segment("U", "未知", "unknown", "no value for the measure")
CLASS_MEASURES = {"value": None, "frequency": "frequency", "amount": "monetary",
                  "aov": "aov", "profit": "profit"}
CLASS_NAMES = {  # variant → (zh, en) stems of high / medium / low
    "value": (("高价值客户", "中价值客户", "低价值客户"), ("high value", "medium value",
                                                         "low value")),
    "frequency": (("高频客户", "中频客户", "低频客户"), ("high frequency", "medium frequency",
                                                       "low frequency")),
    "amount": (("高消费客户", "中消费客户", "低消费客户"), ("high spend", "medium spend",
                                                         "low spend")),
    "aov": (("高客单价客户", "中客单价客户", "低客单价客户"), ("high AOV", "medium AOV",
                                                             "low AOV")),
    "profit": (("高利润贡献客户", "中利润贡献客户", "低利润贡献客户"),
               ("high profit contribution", "medium profit contribution",
                "low profit contribution")),
}
CLASS_KEYWORDS = (("重点维护, 专属权益", "retain, exclusive perks"),
                  ("提升, 交叉销售", "grow, cross-sell"),
                  ("低成本触达", "low-cost reach"))
VARIANTS = ("vip", "value", "frequency", "amount", "aov", "profit", "activity", "preference",
            "b2b")


class Tiers(CaseSegmenter):
    """VIP / regular / potential, or the tier or class scheme named by ``variant``.

    Parameters
    ----------
    variant : str, default "vip"
        One of `VARIANTS`; the rules of each are in the module docstring.
    by : str, default "ltv_historic"
        The value measure of ``vip`` and ``value``.
    vip_share, potential_share : float, default 0.10, 0.20
        Top share that is VIP; bottom share (of customers who ordered) that is potential.
    quantiles : two floats, default (0.5, 0.8)
        Quantile cut points of the three-class variants.
    cuts : two floats, optional
        Fixed cut points (low, high) instead of learned ones, for every quantile variant.
    active_days, dormant_days, brand_share, discount_share, sme_below, max_industries
        Thresholds of ``activity``, ``preference`` and ``b2b``.
    """

    name = "tiers"

    def __init__(self, *, variant: str = "vip", by: str = "ltv_historic",
                 vip_share: float = 0.10, potential_share: float = 0.20,
                 quantiles: Sequence[float] = (0.5, 0.8), cuts: Sequence[float] | None = None,
                 active_days: int = 90, dormant_days: int = 180, brand_share: float = 0.6,
                 discount_share: float = 0.5, sme_below: int = 200, max_industries: int = 5):
        self.variant = variant
        self.by = by
        self.vip_share = vip_share
        self.potential_share = potential_share
        self.quantiles = quantiles
        self.cuts = cuts
        self.active_days = active_days
        self.dormant_days = dormant_days
        self.brand_share = brand_share
        self.discount_share = discount_share
        self.sme_below = sme_below
        self.max_industries = max_industries

    @property
    def needs_inputs(self) -> bool:
        return self.variant in ("preference", "b2b")

    @classmethod
    def from_settings(cls, settings: Any) -> Tiers:
        """From ``[segmentation.tiers]``."""
        return cls(**settings.tiers.model_dump())

    def _display(self) -> list[str] | None:
        order = {"vip": ["T1", "T2", "T3"], "activity": ["A1", "A2", "A3"]}
        return order.get(self.variant)

    def _cut_points(self, features: ibis.Table, column: str, levels: Sequence[float]
                    ) -> list[float]:
        if self.cuts is not None:
            cuts = [float(c) for c in self.cuts]
        else:
            where = features.has_ordered if "has_ordered" in features.columns else None
            cuts = [0.0 if q is None else q for q in quantiles(features, column, levels,
                                                                 where=where)]
        if len(cuts) != 2 or cuts[0] > cuts[1]:
            raise ConfigError(f"tiers ({self.variant}): give two ascending cut points, "
                              f"got {cuts}")
        self.cuts_ = cuts
        return cuts

    def _cases(self, features: ibis.Table) -> list[Case]:
        if self.variant not in VARIANTS:
            raise ConfigError(f"unknown tiers variant {self.variant!r}; variants: "
                              f"{', '.join(VARIANTS)}")
        need(features, ["customer_id", "has_ordered"], self.name)
        return getattr(self, f"_{self.variant}")(features) if self.variant in (
            "vip", "activity", "preference", "b2b") else self._classes(features)

    def _vip(self, features: ibis.Table) -> list[Case]:
        if not (0 < self.vip_share < 1 and 0 <= self.potential_share < 1):
            raise ConfigError("tiers: vip_share and potential_share must be in (0, 1)")
        need(features, [self.by], self.name)
        low, high = self._cut_points(features, self.by,
                                     [self.potential_share, 1 - self.vip_share])
        return [
            Case(Segment("T1", "贵宾客户", "VIP"), ((ORDERED, Cond(self.by, ">", high)),),
                 ("专属服务, 优先体验", "dedicated service, early access")),
            Case(Segment("T3", "潜力客户", "potential"),
                 ((NEVER,), (Cond(self.by, "<=", low),)),
                 ("首单激励, 培育", "first-order incentive, nurturing")),
            Case(Segment("T2", "普通客户", "regular"),
                 ((Cond(self.by, ">", low), Cond(self.by, "<=", high)),),
                 ("积分激励, 升级引导", "loyalty points, upgrade path")),
        ]

    def _classes(self, features: ibis.Table) -> list[Case]:
        column = CLASS_MEASURES[self.variant] or self.by
        need(features, [column], self.name)
        low, high = self._cut_points(features, column, list(self.quantiles))
        zh, en = CLASS_NAMES[self.variant]
        whens = [((Cond(column, ">", high),),),
                 ((Cond(column, ">", low), Cond(column, "<=", high)),),
                 ((Cond(column, "<=", low),),)]
        cases = [Case(Segment(f"C{i + 1}", zh[i], en[i]), whens[i], CLASS_KEYWORDS[i])
                 for i in range(3)]
        if self.variant == "value":  # net value is never NULL: low takes the rest
            return cases
        unknown = (f"{label(column, 'zh')} 为空", f"no {label(column, 'en')}")
        return [*cases, Case(UNKNOWN_SEGMENT, shown=unknown)]

    def _activity(self, features: ibis.Table) -> list[Case]:
        if self.active_days > self.dormant_days:
            raise ConfigError("tiers: active_days must not exceed dormant_days")
        need(features, [R], self.name)
        return [
            Case(Segment("A1", "活跃客户", "active"), ((Cond(R, "<=", self.active_days),),),
                 ("交叉销售, 提升钱包份额", "cross-sell, share of wallet")),
            Case(Segment("A3", "休眠客户", "dormant"),
                 ((ORDERED, Cond(R, ">", self.dormant_days)),),
                 ("唤醒激励, 流失调研", "reactivation incentive, churn survey")),
            Case(Segment("A2", "潜力客户", "potential"),
                 ((NEVER,), (Cond(R, ">", self.active_days),
                             Cond(R, "<=", self.dormant_days))),
                 ("激活, 首单/复购引导", "activation, first or repeat purchase")),
        ]

    def _preference(self, features: ibis.Table) -> list[Case]:
        present = [c for c in ("top_brand_share", "discount_share") if c in features.columns]
        known = features.aggregate(**{c: features[c].count() for c in present}).execute()
        if not present or not known.iloc[0].sum():
            raise ConfigError("tiers (preference) needs order_items.brand or orders.discount; "
                              "the data has neither")
        cases = []
        if "top_brand_share" in present:
            cases.append(Case(Segment("P1", "品牌忠诚型", "brand-loyal"),
                              ((Cond("top_brand_share", ">=", self.brand_share),),),
                              ("品牌新品优先, 会员日", "brand early access, member days")))
        if "discount_share" in present:
            cases.append(Case(Segment("P2", "价格敏感型", "price-sensitive"),
                              ((Cond("discount_share", ">=", self.discount_share),),),
                              ("优惠券, 限时折扣", "coupons, limited-time discounts")))
        cases.append(Case(Segment("P3", "功能导向/其他", "feature-seeking / other"),
                          tuple((Cond(c, ">=", 0),) for c in present),
                          ("新功能, 产品内容", "new features, product content"),
                          shown=("其余有品牌或优惠数据的客户",
                                 "the rest with brand or discount data")))
        return [*cases, Case(UNKNOWN_SEGMENT, shown=("无品牌和优惠数据",
                                                     "no brand or discount data"))]

    def _b2b(self, features: ibis.Table) -> list[Case]:
        need(features, ["industry", "company_size"], self.name)
        known = features.filter((features.industry != UNKNOWN) & features.industry.notnull()
                                & features.company_size.notnull())
        top = known.group_by("industry").aggregate(n=known.count()).order_by(
            [ibis.desc("n"), "industry"]).limit(self.max_industries).execute()
        if top.empty:
            raise ConfigError("tiers (b2b) needs customers.industry and company_size; "
                              "no customer has both")
        self.industries_ = top.industry.tolist()
        small, large = (Cond("company_size", "<", self.sme_below),
                        Cond("company_size", ">=", self.sme_below))
        sizes = (("中小企业", "SME", small), ("大型企业", "large", large))
        cases, n = [], 0
        for industry in self.industries_:
            for zh, en, size in sizes:
                n += 1
                cases.append(Case(Segment(f"B{n:02d}", f"{industry}·{zh}", f"{industry} · {en}"),
                                  ((Cond("industry", "==", industry), size),)))
        for zh, en, size in sizes:
            n += 1
            other = (f"其他行业，{size.text('zh')}", f"other industries, {size.text('en')}")
            cases.append(Case(Segment(f"B{n:02d}", f"其他行业·{zh}", f"other industries · {en}"),
                              ((Cond("industry", "!=", UNKNOWN), size),), shown=other))
        return [*cases, Case(UNKNOWN_SEGMENT, shown=("行业或规模未知",
                                                     "industry or size unknown"))]
