"""Demographic slices (SPEC §5): one segment per combination of chosen attributes.

Default attributes: gender × age band × province (`custseg.segment.inputs`: age bands 18-24,
25-34, 35-44, 45-54, 55+, and <18; missing values are "未知/unknown"). ``fit`` counts the
combinations and keeps the ``max_segments`` largest (ties by name) as D01, D02, …; every
other combination, including ones first seen in ``assign``, is O "其他组合 / other
combinations", so every customer has exactly one segment. The granularity guard of template 1
warns when the slices are too many.

>>> import ibis
>>> f = ibis.memtable({"customer_id": list("abcd"), "gender": ["F", "F", "M", "未知/unknown"],
...                    "age_band": ["25-34", "25-34", "55+", "未知/unknown"]})
>>> m = Demographic(attributes=["gender", "age_band"]).fit(f)
>>> [(s.id, s.name_zh, s.name_en) for s in m.segments_][:2]
[('D01', '女 · 25-34', 'female · 25-34'), ('D02', '男 · 55+', 'male · 55+')]
>>> m.assign(f).order_by("customer_id").execute().segment_id.tolist()
['D01', 'D01', 'D02', 'D03']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import ibis
import ibis.expr.datatypes as dt

from custseg.errors import ConfigError
from custseg.model import Segment, Segmenter
from custseg.segment.inputs import UNKNOWN

ATTRIBUTES = ("gender", "age_band", "province", "city", "industry")
OTHER = Segment("O", "其他组合", "other combinations", "combinations outside the largest")
SEP = "\x1f"
_VALUES = {"M": ("男", "male"), "F": ("女", "female"), UNKNOWN: ("未知", "unknown")}
_HEADS = {"gender": ("性别", "gender"), "age_band": ("年龄段", "age band"),
          "province": ("省份", "province"), "city": ("城市", "city"),
          "industry": ("行业", "industry")}


def _shown(value: str, lang: str) -> str:
    return _VALUES.get(value, (value, value))[0 if lang == "zh" else 1]


class Demographic(Segmenter):
    """Slices by attributes, the largest ``max_segments`` combinations named, the rest O.

    Parameters
    ----------
    attributes : sequence of str, default ("gender", "age_band", "province")
        Columns of the feature table (text); see `custseg.segment.inputs.add_inputs`.
    max_segments : int, default 30

    Attributes
    ----------
    combos_ : list of tuple of str
        The named combinations in order D01, D02, …
    segments_ : list of Segment
    dimensions_ : list of str
    """

    name = "demographic"
    needs_inputs = True

    def __init__(self, *, attributes: Sequence[str] = ("gender", "age_band", "province"),
                 max_segments: int = 30):
        self.attributes = attributes
        self.max_segments = max_segments

    @classmethod
    def from_settings(cls, settings: Any) -> Demographic:
        """From ``[segmentation.demographic]``."""
        return cls(**settings.demographic.model_dump())

    def _key(self, features: ibis.Table) -> ibis.StringValue:
        parts = [ibis.coalesce(features[a].cast(dt.string), UNKNOWN) for a in self.attributes]
        return ibis.literal(SEP).join(parts) if len(parts) > 1 else parts[0]

    def fit(self, features: ibis.Table) -> Self:
        """Count the combinations in the feature table and name the largest."""
        attributes = list(self.attributes)
        missing = [a for a in attributes if a not in features.columns]
        if not attributes or missing or len(set(attributes)) < len(attributes):
            raise ConfigError(f"demographic: attributes {attributes} must be distinct columns "
                              f"of the feature table; missing: {', '.join(missing) or '-'}")
        if self.max_segments < 1:
            raise ConfigError("demographic: max_segments must be at least 1")
        t = features.mutate(_key=self._key(features))
        counts = t.group_by("_key").aggregate(n=t.count()).order_by(
            [ibis.desc("n"), "_key"]).limit(self.max_segments + 1).execute()
        keys = counts._key.tolist()
        named = keys if len(keys) <= self.max_segments else keys[:self.max_segments]
        self.combos_ = [tuple(k.split(SEP)) for k in named]
        self.segments_ = [
            Segment(f"D{i:02d}", " · ".join(_shown(v, "zh") for v in combo),
                    " · ".join(_shown(v, "en") for v in combo), self._text(combo, "en"))
            for i, combo in enumerate(self.combos_, start=1)]
        if len(keys) > self.max_segments:
            self.segments_.append(OTHER)
        self.dimensions_ = attributes
        return self

    def _text(self, combo: tuple[str, ...], lang: str) -> str:
        i = 0 if lang == "zh" else 1
        return ", ".join(f"{_HEADS.get(a, (a, a))[i]} = {_shown(v, lang)}"
                         for a, v in zip(self.attributes, combo, strict=True))

    def assign(self, features: ibis.Table) -> ibis.Table:
        """``customer_id, segment_id``: the named combination, else O."""
        self.check_fitted()
        ids = {SEP.join(c): s.id for c, s in zip(self.combos_, self.segments_, strict=False)}
        key = self._key(features)
        return features.select("customer_id", segment_id=key.cases(
            *ids.items(), else_=OTHER.id) if ids else ibis.literal(OTHER.id))

    def texts(self, lang: str) -> dict[str, tuple[str, str]]:
        """Segment id → (attribute values, no keywords) in ``lang``."""
        self.check_fitted()
        out = {s.id: (self._text(c, lang), "") for c, s in zip(self.combos_, self.segments_,
                                                               strict=False)}
        return out | {OTHER.id: ("其余属性组合" if lang == "zh" else "every other combination",
                                 "")}
