"""Regions to "省-市" with the administrative-division data of the cpca package.

Exports write places loosely ("广东深圳", "深圳市", "广东省深圳市南山区", a city without its
province). cpca recognises them against the official division list; this module only adds
the rules cpca leaves open (a municipality is its own city) and runs on distinct values, so
the engine joins a small lookup table instead of parsing every row in Python.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

MUNICIPALITIES = {"北京市", "上海市", "天津市", "重庆市"}


def _clean(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def normalize_regions(pairs: Iterable[tuple[str | None, str | None]]
                      ) -> list[tuple[str | None, str | None, str | None, str | None, str | None]]:
    """Map (province, city) as written to (province, city, province, city, "省-市").

    Unrecognised places give NULLs in the last three fields.

    >>> [r[2:] for r in normalize_regions([("广东", "深圳"), (None, "深圳市"),
    ...                                    ("广东省深圳市南山区", None), ("北京", None)])]
    [('广东省', '深圳市', '广东省-深圳市'), ('广东省', '深圳市', '广东省-深圳市'), \
('广东省', '深圳市', '广东省-深圳市'), ('北京市', '北京市', '北京市-北京市')]
    """
    import cpca

    pairs = list(dict.fromkeys((p, c) for p, c in pairs))
    if not pairs:
        return []
    texts = [_clean(p) + _clean(c) for p, c in pairs]
    found = cpca.transform(texts)
    out = []
    for (p, c), (_, row) in zip(pairs, found.iterrows(), strict=True):
        province, city = _clean(row["省"]) or None, _clean(row["市"]) or None
        if province in MUNICIPALITIES:
            city = province
        region = f"{province}-{city}" if province and city else None
        out.append((p, c, province, city if province else None, region))
    return out
