"""Build the playbook of a segmentation, validate it and render it as records.

`build_playbook` merges three layers per segment: the built-in `DEFAULTS` of the model, the
segment's strategy keywords from its latest run (measures for models without defaults, such as
kmeans), and ``[playbook.segments.<id>]`` of custseg.toml, which wins key by key. KPI targets
are parsed here, so a bad target or an unknown KPI is a `ConfigError` naming its key.

>>> book = build_playbook("rfm-rules")
>>> [s.segment_id for s in book]
['A001', 'A002', 'A003', 'A004', 'P001', 'P002', 'P003', 'U']
>>> book[3].kpis["activation_rate"].describe("en"), book[3].owner("en")
('≥ 20%', 'retention team')
>>> problems(book)
[]
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from custseg.campaigns.kpis import NAMES
from custseg.campaigns.targets import Target, parse_target
from custseg.errors import ConfigError, CustsegError
from custseg.playbook.defaults import DEFAULTS
from custseg.schema import normalize_header


@dataclass(frozen=True)
class Measure:
    """A measure: a key to type (``winback_coupon``) and its names; any of them matches."""

    key: str
    zh: str
    en: str

    def name(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en

    def matches(self, text: str) -> bool:
        return normalize_header(text) in {normalize_header(v) for v in (self.key, self.zh,
                                                                         self.en)}

    @classmethod
    def parse(cls, spec: str) -> Measure:
        """``"key|中文|English"`` (defaults) or a plain name (config)."""
        parts = spec.split("|")
        return cls(*parts) if len(parts) == 3 else cls(spec, spec, spec)


def _pair(text: str | None) -> tuple[str, str] | None:
    if text is None:
        return None
    zh, _, en = text.partition("|")
    return zh, en or zh


@dataclass
class Strategy:
    """One playbook row. Texts are ``(zh, en)`` pairs; a config text fills both."""

    segment_id: str
    names: tuple[str, str]
    direction_: tuple[str, str] | None = None
    measures: list[Measure] = field(default_factory=list)
    owner_: tuple[str, str] | None = None
    budget_: tuple[str, str] | None = None
    kpis: dict[str, Target] = field(default_factory=dict)
    customers: int | None = None
    share_pct: float | None = None

    def name(self, lang: str = "en") -> str:
        return self.names[0 if lang == "zh" else 1]

    def direction(self, lang: str = "en") -> str | None:
        return self.direction_ and self.direction_[0 if lang == "zh" else 1]

    def owner(self, lang: str = "en") -> str | None:
        return self.owner_ and self.owner_[0 if lang == "zh" else 1]

    def budget(self, lang: str = "en") -> str | None:
        return self.budget_ and self.budget_[0 if lang == "zh" else 1]

    def missing(self) -> list[str]:
        """The required parts this row lacks: direction, measures, owner (blank texts count
        as missing)."""
        def given(pair):
            return bool(pair and any(v.strip() for v in pair))

        return [name for name, ok in (("direction", given(self.direction_)),
                                      ("measures", self.measures),
                                      ("owner", given(self.owner_))) if not ok]

    def measure(self, text: str) -> Measure:
        """The measure called ``text`` (key, Chinese or English name)."""
        for m in self.measures:
            if m.matches(text):
                return m
        known = ", ".join(m.key for m in self.measures) or "none"
        raise CustsegError(f"segment {self.segment_id} has no measure {text!r} (measures: "
                           f"{known}); add it to [playbook.segments.{self.segment_id}] measures")


def _targets(kpis: Mapping[str, str | float], where: str, errors: list[str]) -> dict:
    out = {}
    for name, text in kpis.items():
        if name not in NAMES:
            close = difflib.get_close_matches(name, NAMES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append(f"{where}.kpis.{name}: unknown KPI{hint}; KPIs: {', '.join(NAMES)}")
            continue
        try:
            out[name] = parse_target(text, where=f"{where}.kpis.{name}")
        except CustsegError as exc:
            errors.append(str(exc))
    return out


def _default(seg_id: str, spec: tuple, errors: list[str]) -> Strategy:
    zh, en, direction, measures, owner, budget, kpis = spec
    return Strategy(seg_id, (zh, en), _pair(direction), [Measure.parse(m) for m in measures],
                    _pair(owner), _pair(budget), _targets(kpis, f"defaults.{seg_id}", errors))


def build_playbook(model: str, settings=None, segments: Sequence[Mapping] | None = None
                   ) -> list[Strategy]:
    """The playbook of ``model``: one `Strategy` per segment.

    ``segments`` are the rows of the model's latest run (``segment_id, name_zh, name_en,
    keywords_zh, keywords_en, customers, share_pct``); without them the model's default
    segments are listed, plus config rows no built-in model knows. ``settings`` is the
    ``[playbook]`` section.
    """
    errors: list[str] = []
    defaults = DEFAULTS.get(model, {})
    config = dict(settings.segments) if settings is not None else {}
    if segments is None:
        known = {s for book in DEFAULTS.values() for s in book}
        segments = [{"segment_id": s, "name_zh": v[0], "name_en": v[1]}
                    for s, v in defaults.items()]
        segments += [{"segment_id": s, "name_zh": s, "name_en": s} for s in config
                     if s not in known]
    out = []
    for seg in segments:
        sid = seg["segment_id"]
        row = _default(sid, defaults[sid], errors) if sid in defaults else Strategy(sid, (
            sid, sid))
        row.names = (seg.get("name_zh") or row.names[0], seg.get("name_en") or row.names[1])
        row.customers, row.share_pct = seg.get("customers"), seg.get("share_pct")
        if not row.measures and seg.get("keywords_zh"):
            zh = [k.strip() for k in seg["keywords_zh"].split(",") if k.strip()]
            en = [k.strip() for k in (seg.get("keywords_en") or "").split(",") if k.strip()]
            en = en if len(en) == len(zh) else zh
            row.measures = [Measure(e, z, e) for z, e in zip(zh, en, strict=True)]
        _apply(row, config.get(sid), errors)
        out.append(row)
    if errors:
        raise ConfigError("playbook: " + "\n".join(errors).replace("defaults.", "defaults "))
    return out


def _apply(row: Strategy, entry, errors: list[str]) -> None:
    """Config keys win over defaults, key by key."""
    if entry is None:
        return
    for key in ("direction", "owner", "budget"):
        value = getattr(entry, key)
        if value is not None:  # a blank text clears the default: the row then lacks it
            setattr(row, f"{key}_", (value, value) if value.strip() else None)
    if entry.measures is not None:
        row.measures = [Measure.parse(m) for m in entry.measures if m.strip()]
    if entry.kpis is not None:
        row.kpis = _targets(entry.kpis, f"playbook.segments.{row.segment_id}", errors)


def problems(book: Sequence[Strategy]) -> list[str]:
    """One line per incomplete row: ``A005 VIP: no direction, no owner``."""
    return [f"{s.segment_id} {s.name('en')}: " + ", ".join(f"no {m}" for m in s.missing())
            for s in book if s.missing()]


def records(book: Sequence[Strategy], lang: str = "en") -> list[dict]:
    """The rows as ``custseg playbook --json`` prints them."""
    return [{"segment_id": s.segment_id, "segment_name": s.name(lang),
             "direction": s.direction(lang), "measures": [m.name(lang) for m in s.measures],
             "measure_keys": [m.key for m in s.measures], "owner": s.owner(lang),
             "budget": s.budget(lang), "kpis": {k: t.text for k, t in s.kpis.items()},
             "kpi_targets": {k: t.describe(lang) for k, t in s.kpis.items()},
             "customers": s.customers, "share_pct": s.share_pct, "missing": s.missing()}
            for s in book]
