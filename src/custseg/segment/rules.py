"""Ordered threshold rules as data: conditions, their Ibis expression, and their text.

A rule is an id, names in Chinese and English, conditions and strategy keywords. Conditions
map a feature column to a range ``{"min": a, "max": b}`` (bounds inclusive, either may be
left out) or to a value it must equal (``{"repurchased": False}``); the key
``registered_within_months = n`` means registration date > D − n calendar months. Rules are
tried in order and the first match wins; a customer matching none is unclassified.

A NULL feature never matches, except ``recency_days``: NULL there means the customer never
ordered, R = infinity, so ``{"min": 90}`` matches and ``{"max": 30}`` does not.

>>> rule = Rule("A004", "沉睡流失客户", "dormant / churning",
...             {"recency_days": {"min": 90}, "frequency": {"max": 1}})
>>> rule.text("en"), rule.text("zh")
('R ≥ 90 d, F ≤ 1', 'R ≥ 90 天, F ≤ 1')
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis

from custseg.errors import ConfigError
from custseg.model import UNCLASSIFIED, Segment

INFINITE_WHEN_NULL = frozenset({"recency_days"})
REGISTERED = "registered_within_months"
LABELS = {
    "recency_days": ("R", "R"), "frequency": ("F", "F"), "monetary": ("M", "M"),
    "r_score": ("R分", "R score"), "f_score": ("F分", "F score"), "m_score": ("M分", "M score"),
}
UNITS = {"recency_days": ("天", "d")}
_BOOL_TEXT = {
    ("repurchased", False): ("无复购", "no repurchase"),
    ("repurchased", True): ("有复购", "repurchased"),
    ("has_ordered", False): ("从未下单", "never ordered"),
    ("has_ordered", True): ("有过订单", "has ordered"),
}


@dataclass(frozen=True)
class Rule:
    """One ordered rule; ``keywords`` is ``(zh, en)`` or one text for both languages."""

    id: str
    name_zh: str
    name_en: str
    conditions: Mapping[str, Any]
    keywords: tuple[str, str] | str = field(default=("", ""))

    def keywords_in(self, lang: str) -> str:
        if isinstance(self.keywords, str):
            return self.keywords
        return self.keywords[0] if lang == "zh" else self.keywords[1]

    def text(self, lang: str = "zh") -> str:
        """The dimension combination in words, e.g. ``R ≤ 30 d, F ≥ 5, M ≥ 2000``."""
        return ", ".join(condition_text(k, v, lang) for k, v in self.conditions.items())

    def segment(self) -> Segment:
        return Segment(self.id, self.name_zh, self.name_en, self.text("en"),
                       self.keywords_in("en"))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def condition_text(name: str, spec: Any, lang: str = "zh") -> str:
    """One condition in words; ``lang`` is ``zh`` or ``en``."""
    zh = lang == "zh"
    if name == REGISTERED:
        return f"注册 ≤ {spec} 个月" if zh else f"registered ≤ {spec} months"
    if isinstance(spec, bool) and (name, spec) in _BOOL_TEXT:
        return _BOOL_TEXT[name, spec][0 if zh else 1]
    label = LABELS.get(name, (name, name))[0 if zh else 1]
    unit = UNITS.get(name, ("", ""))[0 if zh else 1]
    unit = f" {unit}" if unit else ""
    if not isinstance(spec, Mapping):
        return f"{label} = {spec}"
    low, high = spec.get("min"), spec.get("max")
    if low is not None and high is not None:
        if low == high:
            return f"{label} = {_num(low)}{unit}"
        return f"{label} {_num(low)}–{_num(high)}{unit}"
    if low is not None:
        return f"{label} ≥ {_num(low)}{unit}"
    return f"{label} ≤ {_num(high)}{unit}"


def condition(features: ibis.Table, name: str, spec: Any) -> ibis.BooleanValue:
    """The condition as a boolean expression that is never NULL (NULL counts as no match)."""
    if name == REGISTERED:
        start = features.as_of - ibis.interval(months=int(spec))
        return (features.registration_date > start).coalesce(False)
    column = features[name]
    if not isinstance(spec, Mapping):
        return (column == spec).coalesce(False)
    low, high = spec.get("min"), spec.get("max")
    parts = [column >= low] if low is not None else []
    parts += [column <= high] if high is not None else []
    expr = ibis.and_(*parts)
    if name in INFINITE_WHEN_NULL:
        expr = ibis.ifelse(column.isnull(), high is None, expr)
    return expr.coalesce(False)


def matches(features: ibis.Table, rule: Rule) -> ibis.BooleanValue:
    """True where every condition of ``rule`` holds."""
    return ibis.and_(*[condition(features, k, v) for k, v in rule.conditions.items()])


def first_match(features: ibis.Table, rules: Sequence[Rule],
                default: str = UNCLASSIFIED.id) -> ibis.StringValue:
    """The id of the first rule that matches, else ``default``: one ``ibis.cases``."""
    return ibis.cases(*[(matches(features, r), r.id) for r in rules], else_=default)


def suggest(name: str, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the option that starts with or resembles ``name``."""
    options = list(options)
    close = [o for o in options if o.startswith(name)] or difflib.get_close_matches(
        name, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _kind_ok(spec: Any, dtype: Any) -> bool:
    if isinstance(spec, Mapping):
        return dtype.is_numeric()
    if isinstance(spec, bool):
        return dtype.is_boolean()
    if isinstance(spec, int | float):
        return dtype.is_numeric()
    return dtype.is_string()


def _condition_problems(rule: Rule, schema: Mapping[str, Any]) -> Iterable[str]:
    for name, spec in rule.conditions.items():
        if name == REGISTERED and "registration_date" in schema:
            if isinstance(spec, bool) or not isinstance(spec, int) or spec < 1:
                yield f"rule {rule.id}: {REGISTERED} must be a whole number of months ≥ 1"
            continue
        if name not in schema:
            options = [*schema, REGISTERED] if "registration_date" in schema else schema
            yield f"rule {rule.id}: unknown feature {name!r}{suggest(name, options)}"
        elif not _kind_ok(spec, schema[name]):
            yield f"rule {rule.id}: {name} is {schema[name]}, cannot compare with {spec!r}"
        elif isinstance(spec, Mapping):
            low, high = spec.get("min"), spec.get("max")
            if low is None and high is None:
                yield f"rule {rule.id}: {name} needs min or max"
            elif low is not None and high is not None and low > high:
                yield f"rule {rule.id}: {name} has min {low} > max {high}"


def check_rules(rules: Sequence[Rule], schema: Mapping[str, Any]) -> None:
    """Raise one `ConfigError` listing every problem: ids, unknown features, bad bounds."""
    problems = [] if rules else ["no rules: give at least one rule"]
    seen: set[str] = set()
    for rule in rules:
        if not rule.id or rule.id in seen or rule.id == UNCLASSIFIED.id:
            problems.append(f"rule id {rule.id!r} is empty, repeated or reserved")
        seen.add(rule.id)
        if not rule.conditions:
            problems.append(f"rule {rule.id}: no conditions")
        problems.extend(_condition_problems(rule, schema))
    if problems:
        raise ConfigError("\n".join(problems))


def features_used(rules: Iterable[Rule]) -> list[str]:
    """The distinct features the rules look at, in order of first use."""
    return list(dict.fromkeys(k for r in rules for k in r.conditions))


def columns_read(rules: Iterable[Rule]) -> list[str]:
    """The feature-table columns the rules' conditions read."""
    columns = (("as_of", "registration_date") if name == REGISTERED else (name,)
               for name in features_used(rules))
    return list(dict.fromkeys(c for names in columns for c in names))


def to_rule(item: Rule | Mapping[str, Any], presets: Mapping[str, Rule]) -> Rule:
    """A `Rule` from a config mapping: a full definition, or ``preset`` with overrides."""
    if isinstance(item, Rule):
        return item
    data = {k: v for k, v in item.items() if v is not None}
    name = data.pop("preset", None)
    if name is not None:
        if name not in presets:
            raise ConfigError(f"unknown preset {name!r}{suggest(name, presets)}; presets: "
                              f"{', '.join(presets)}")
        base = presets[name]
        data = {"id": base.id, "name_zh": base.name_zh, "name_en": base.name_en,
                "conditions": base.conditions, "keywords": base.keywords, **data}
    missing = [k for k in ("id", "conditions") if k not in data]
    if missing or not ({"name_zh", "name_en"} & data.keys()):
        raise ConfigError(f"rule {data.get('id', '?')!r}: give preset, or id, conditions and "
                          "name_zh or name_en")
    conditions = {k: dict(v) if isinstance(v, Mapping) else v
                  for k, v in data["conditions"].items()}
    return Rule(str(data["id"]), data.get("name_zh") or data["name_en"],
                data.get("name_en") or data["name_zh"], conditions,
                data.get("keywords", ("", "")))
