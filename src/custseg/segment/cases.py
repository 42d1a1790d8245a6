"""Ordered cases as data, for the value matrix, tiers and lifecycle: first match wins.

A `Case` is a segment and a condition written as data: any of several groups, each group
true when all its `Cond` hold (an empty ``when`` always matches). A `Cond` compares a
feature with a number, a flag, a text or another feature (`Col`). Cut points learned in
``fit`` are written into the cases as numbers, so a fitted model is plain data that prints
itself (``texts``) and compiles to one ``ibis.cases`` (``assign``).

NULL never matches, except ``recency_days``: NULL there is R = infinity (never ordered), so
``R > 365`` matches and ``R ≤ 90`` does not.

>>> c = Cond("recency_days", "<=", 90)
>>> c.text("en"), c.text("zh"), Cond("frequency", "<", Col("prev_frequency")).text("en")
('R ≤ 90 d', 'R ≤ 90 天', 'F < previous-window F')
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import ibis

from custseg.errors import ConfigError
from custseg.model import Segment, Segmenter
from custseg.segment.rules import INFINITE_WHEN_NULL, LABELS, UNITS, _num

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
       "==": operator.eq, "!=": operator.ne}
SHOWN = {"<=": "≤", ">=": "≥", "==": "=", "!=": "≠", "<": "<", ">": ">"}
MORE_LABELS = {
    "ltv_historic": ("历史价值", "historic LTV"), "aov": ("客单价", "AOV"),
    "profit": ("利润贡献", "profit"), "prev_frequency": ("上一窗口 F", "previous-window F"),
    "first_order_days": ("首单距今", "first order"), "orders_total": ("累计订单", "orders"),
    "activity_count": ("行为次数", "activity"), "login_count": ("登录次数", "logins"),
    "top_brand_share": ("单一品牌占比", "top-brand share"),
    "discount_share": ("优惠订单占比", "discount share"), "p_alive": ("存活概率", "P(alive)"),
    "company_size": ("员工数", "staff"), "industry": ("行业", "industry"),
    "tenure_days": ("在网时长", "tenure"), "margin": ("利润率", "margin"),
}
MORE_UNITS = {"first_order_days": ("天前", "days ago"), "tenure_days": ("天", "d"),
              "company_size": ("人", "")}


def label(column: str, lang: str = "zh") -> str:
    """The short name of a feature in ``lang`` (``R``, ``历史价值`` …), else the column."""
    i = 0 if lang == "zh" else 1
    return (LABELS.get(column) or MORE_LABELS.get(column) or (column, column))[i]


@dataclass(frozen=True)
class Col:
    """Another feature as the right-hand side of a condition."""

    name: str


@dataclass(frozen=True)
class Cond:
    """``column op value``; ``op`` is one of ``< <= > >= == !=``."""

    column: str
    op: str
    value: Any

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown operator {self.op!r}; use one of {', '.join(OPS)}")

    def columns(self) -> list[str]:
        return [self.column] + ([self.value.name] if isinstance(self.value, Col) else [])

    def expr(self, t: ibis.Table) -> ibis.BooleanValue:
        """The condition as a boolean expression that is never NULL."""
        left = t[self.column]
        right = t[self.value.name] if isinstance(self.value, Col) else self.value
        out = OPS[self.op](left, right)
        if self.column in INFINITE_WHEN_NULL and not isinstance(self.value, Col):
            out = ibis.ifelse(left.isnull(), self.op in (">", ">=", "!="), out)
        return out.coalesce(False)

    def text(self, lang: str = "zh") -> str:
        i = 0 if lang == "zh" else 1
        if isinstance(self.value, bool):
            flag = {("has_ordered", False): ("从未下单", "never ordered"),
                    ("has_ordered", True): ("有过订单", "has ordered")}.get(
                (self.column, self.value))
            if flag:
                return flag[i]
        if isinstance(self.value, Col):
            right = label(self.value.name, lang)
        elif isinstance(self.value, int | float) and not isinstance(self.value, bool):
            unit = (UNITS.get(self.column) or MORE_UNITS.get(self.column) or ("", ""))[i]
            right = _num(round(self.value, 2)) + (f" {unit}" if unit else "")
        else:
            right = str(self.value)
        return f"{label(self.column, lang)} {SHOWN[self.op]} {right}"


@dataclass(frozen=True)
class Case:
    """A segment and when it applies: any group of ``when`` whose conditions all hold."""

    segment: Segment
    when: tuple[tuple[Cond, ...], ...] = ()
    keywords: tuple[str, str] = ("", "")
    shown: tuple[str, str] | None = None  # (zh, en) text instead of the conditions'

    def expr(self, t: ibis.Table) -> ibis.BooleanValue:
        groups = [ibis.and_(*[c.expr(t) for c in g]) for g in self.when]
        return ibis.or_(*groups) if groups else ibis.literal(True)

    def text(self, lang: str = "zh") -> str:
        if self.shown:
            return self.shown[0 if lang == "zh" else 1]
        if not self.when:
            return "其余客户" if lang == "zh" else "everyone else"
        sep, alt = (", ", " 或 ") if lang == "zh" else (", ", " or ")
        return alt.join(sep.join(c.text(lang) for c in g) for g in self.when)


def case_expr(t: ibis.Table, cases: Sequence[Case], default: str) -> ibis.StringValue:
    """The id of the first case that matches, else ``default``: one ``ibis.cases``."""
    return ibis.cases(*[(c.expr(t), c.segment.id) for c in cases], else_=default)


def need(features: ibis.Table, columns: Sequence[str], model: str) -> None:
    """Raise a `ConfigError` naming every column ``model`` needs that ``features`` lacks."""
    missing = [c for c in dict.fromkeys(columns) if c not in features.columns]
    if missing:
        raise ConfigError(f"{model} needs the feature(s) {', '.join(missing)}, which the "
                          "feature table lacks")


def quantiles(features: ibis.Table, column: str, levels: Sequence[float],
              where: ibis.BooleanValue | None = None) -> list[float | None]:
    """Exact (interpolated) quantiles of ``column`` over non-NULL rows; executes one
    aggregate in the engine. ``None`` when no row has a value."""
    x = features[column].cast("float64")
    aggs = {f"q{i}": x.quantile(q, where=where) for i, q in enumerate(levels)}
    row = features.aggregate(**aggs).execute().iloc[0]
    return [None if row[k] != row[k] else float(row[k]) for k in aggs]


class CaseSegmenter(Segmenter):
    """Base of the case-based models: ``fit`` learns ``cases_``; assign and texts follow.

    Subclasses implement ``_cases(features)`` (cases in evaluation order) and may set
    ``_display`` (segment ids in display order). The last case is the fallback: it takes
    every customer no earlier case took, and its conditions (if any) are only shown, so
    customers with NULL measures land there.
    """

    name = "cases"
    needs_inputs = False

    def _cases(self, features: ibis.Table) -> list[Case]:
        raise NotImplementedError

    def _display(self) -> list[str] | None:
        return None

    def fit(self, features: ibis.Table) -> Self:
        cases = self._cases(features)
        need(features, [c for case in cases for g in case.when for cond in g
                        for c in cond.columns()], self.name)
        self.cases_ = cases
        by_id = {c.segment.id: c.segment for c in cases}
        order = self._display() or list(by_id)
        self.segments_ = [by_id[i] for i in order]
        self.dimensions_ = list(dict.fromkeys(
            cond.column for case in cases for g in case.when for cond in g))
        return self

    def assign(self, features: ibis.Table) -> ibis.Table:
        """``customer_id, segment_id``: the first case that matches."""
        self.check_fitted()
        default = self.cases_[-1].segment.id
        return features.select("customer_id",
                               segment_id=case_expr(features, self.cases_[:-1], default))

    def texts(self, lang: str) -> dict[str, tuple[str, str]]:
        """Segment id → (dimension combination, strategy keywords) in ``lang``; a segment
        reached by several cases lists them joined with "or"."""
        self.check_fitted()
        out: dict[str, tuple[str, str]] = {}
        alt = " 或 " if lang == "zh" else " or "
        for c in self.cases_:
            kw = c.keywords[0 if lang == "zh" else 1]
            if c.segment.id in out:
                out[c.segment.id] = (out[c.segment.id][0] + alt + c.text(lang), kw)
            else:
                out[c.segment.id] = (c.text(lang), kw)
        return out
