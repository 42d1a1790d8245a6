"""The segment result table (SPEC §6, seed template 1: 客户细分结果表) and granularity guard.

`segment_stats` is the expression the engine evaluates (one row per segment); `describe`
turns those few rows into template 1: id, name, dimension combination, core characteristics
written from the figures, customer count, share %, strategy keywords and owner. Counts add up
to the total, and every segment of the model is listed, empty ones too.

>>> import pandas as pd
>>> from custseg.model import Segment
>>> stats = pd.DataFrame({"segment_id": ["A"], "customers": [3], "never_ordered": [0],
...                       "avg_recency_days": [12.0], "avg_frequency": [6.1],
...                       "avg_monetary": [3210.0]})
>>> result = describe(stats, [Segment("A", "核心", "core"), Segment("B", "其他", "other")],
...                   {"zh": {"A": ("R ≤ 30 天", "专属服务")}, "en": {}}, model="demo",
...                   dimensions=["R", "F"])
>>> result.table.loc[0, "characteristics_zh"]
'平均最近购买 12 天，近6月平均 6.1 单，平均消费 ¥3,210'
>>> result.table.customers.tolist(), result.table.share_pct.tolist()
([3, 0], [100.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import ibis
import pandas as pd

from custseg.model import UNCLASSIFIED, Segment

COLUMNS = ("position", "segment_id", "name_zh", "name_en", "dimensions_zh", "dimensions_en",
           "characteristics_zh", "characteristics_en", "customers", "share_pct",
           "keywords_zh", "keywords_en", "owner", "avg_recency_days", "avg_frequency",
           "avg_monetary", "never_ordered")
HEADERS = {  # template 1 as shown: column → (zh, en)
    "segment_id": ("细分编号", "segment id"), "name": ("细分名称", "segment"),
    "dimensions": ("维度组合", "dimension combination"),
    "characteristics": ("核心特征", "core characteristics"),
    "customers": ("客户数", "customers"), "share_pct": ("占比 %", "share %"),
    "keywords": ("策略关键词", "strategy keywords"), "owner": ("负责人", "owner"),
}
CORE_SEGMENTS = (3, 6)
MAX_SEGMENTS = 10
UNCLASSIFIED_ALERT = 0.5


@dataclass(frozen=True)
class Notice:
    """A granularity warning; ``level`` is ``warning`` or ``strong``."""

    level: str
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass
class SegmentResult:
    """One segmentation: template 1 in both languages, warnings, and the run it was stored as."""

    model: str
    table: pd.DataFrame
    warnings: list[Notice] = field(default_factory=list)
    as_of: date | None = None
    window_months: int = 6
    run_id: str | None = None

    @property
    def total(self) -> int:
        return int(self.table.customers.sum())

    def template(self, lang: str = "zh") -> pd.DataFrame:
        """Template 1 with headers and texts in ``lang``."""
        t = self.table
        cols = {"segment_id": t.segment_id, "name": t[f"name_{lang}"],
                "dimensions": t[f"dimensions_{lang}"],
                "characteristics": t[f"characteristics_{lang}"], "customers": t.customers,
                "share_pct": t.share_pct.round(1), "keywords": t[f"keywords_{lang}"],
                "owner": t.owner}
        index = 0 if lang == "zh" else 1
        return pd.DataFrame({HEADERS[k][index]: v for k, v in cols.items()})


def segment_stats(features: ibis.Table, assigned: ibis.Table) -> ibis.Table:
    """Per segment: customers, never-ordered count and mean R (of those who ordered), F, M."""
    j = features.join(assigned.select("customer_id", "segment_id"), "customer_id")
    return j.group_by("segment_id").aggregate(
        customers=j.count(), never_ordered=j.count(where=~j.has_ordered),
        avg_recency_days=j.recency_days.mean(), avg_frequency=j.frequency.mean(),
        avg_monetary=j.monetary.mean())


def characteristics(row: Mapping, lang: str, *, window_months: int = 6,
                    currency: str = "¥") -> str:
    """A short description from a segment's figures, e.g. ``平均最近购买 12 天，…``."""
    zh = lang == "zh"
    if not row["customers"]:
        return "无客户" if zh else "no customers"
    parts = []
    if pd.notna(row["avg_recency_days"]):
        r = row["avg_recency_days"]
        days = "day" if round(r) == 1 else "days"
        parts.append(f"平均最近购买 {r:,.0f} 天" if zh else f"last purchase {r:,.0f} {days} ago")
    f, m = row["avg_frequency"], row["avg_monetary"]
    parts.append(f"近{window_months}月平均 {f:.1f} 单" if zh
                 else f"{f:.1f} orders in {window_months} months")
    parts.append(f"平均消费 {currency}{m:,.0f}" if zh else f"average spend {currency}{m:,.0f}")
    if row["never_ordered"]:
        n = row["never_ordered"]
        parts.append(f"{n:,} 人从未下单" if zh else f"{n:,} never ordered")
    return ("，" if zh else ", ").join(parts)


def granularity(segments: Sequence[Segment], dimensions: Sequence[str],
                unclassified_share: float = 0.0) -> list[Notice]:
    """Warnings: outside 3–6 core segments, stronger above 10, one dimension only, and most
    customers unclassified."""
    n = sum(s.id != UNCLASSIFIED.id for s in segments)
    low, high = CORE_SEGMENTS
    out = []
    if n > MAX_SEGMENTS:
        out.append(Notice("strong", f"{n} 个细分超过 {MAX_SEGMENTS} 个：过细，难以逐一制定和"
                          f"执行策略，建议合并为 {low}–{high} 个核心细分",
                          f"{n} segments is more than {MAX_SEGMENTS}: too fine to act on one by "
                          f"one; merge them into {low}–{high} core segments"))
    elif n > high or n < low:
        out.append(Notice("warning", f"{n} 个细分：建议 {low}–{high} 个核心细分",
                          f"{n} segments: {low}–{high} core segments are recommended"))
    if len(dimensions) == 1:
        out.append(Notice("warning", f"只用了一个维度（{dimensions[0]}）：建议组合多个维度",
                          f"only one dimension is used ({dimensions[0]}); combine several"))
    if unclassified_share >= UNCLASSIFIED_ALERT:
        pct = f"{unclassified_share:.0%}"
        out.append(Notice("warning", f"{pct} 的客户未匹配任何规则：请检查阈值",
                          f"{pct} of customers match no rule; check the thresholds"))
    return out


def describe(stats: pd.DataFrame, segments: Sequence[Segment],
             texts: Mapping[str, Mapping[str, tuple[str, str]]], *,
             model: str, dimensions: Sequence[str], window_months: int = 6,
             currency: str = "¥", as_of: date | None = None) -> SegmentResult:
    """Template 1 from the executed `segment_stats` rows and the model's segments.

    ``texts`` is ``{lang: {segment id: (dimension combination, keywords)}}`` for ``zh`` and
    ``en``; a segment missing there shows its ``definition`` and ``keywords``.
    """
    known = {s.id for s in segments}
    stray = set(stats.segment_id) - known
    if stray:
        raise ValueError(f"assignments hold unknown segment ids {sorted(stray)}")
    stats = stats.set_index("segment_id")
    total = int(stats.customers.sum())
    rows = []
    for position, seg in enumerate(segments, start=1):
        figures = stats.loc[seg.id].to_dict() if seg.id in stats.index else {
            "customers": 0, "never_ordered": 0, "avg_recency_days": None,
            "avg_frequency": None, "avg_monetary": None}
        row = {"position": position, "segment_id": seg.id, "name_zh": seg.name_zh,
               "name_en": seg.name_en, "owner": "", **figures}
        row["customers"] = int(row["customers"])
        row["never_ordered"] = int(row["never_ordered"])
        row["share_pct"] = 100.0 * row["customers"] / total if total else 0.0
        for lang in ("zh", "en"):
            dims, keywords = texts.get(lang, {}).get(seg.id, (seg.definition, seg.keywords))
            row[f"dimensions_{lang}"], row[f"keywords_{lang}"] = dims, keywords
            row[f"characteristics_{lang}"] = characteristics(
                row, lang, window_months=window_months, currency=currency)
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    unclassified = table.loc[table.segment_id == UNCLASSIFIED.id, "customers"].sum()
    notices = granularity(segments, dimensions, unclassified / total if total else 0.0)
    return SegmentResult(model, table, notices, as_of, window_months)
