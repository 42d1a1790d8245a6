"""Brute-force association rules: every itemset of every basket counted in plain Python."""

from __future__ import annotations

import itertools
import math
from collections import Counter


def min_count(baskets: int, min_support: float, floor: int = 1) -> int:
    return max(math.ceil(baskets * min_support - 1e-9), floor)


def itemsets(baskets: dict, *, min_support: float, floor: int = 1, max_len: int = 3
             ) -> dict[tuple, int]:
    """Sorted item tuples held by at least the minimum count of baskets."""
    counts: Counter = Counter()
    for items in baskets.values():
        for k in range(1, max_len + 1):
            counts.update(itertools.combinations(sorted(set(items)), k))
    need = min_count(len(baskets), min_support, floor)
    return {s: n for s, n in counts.items() if n >= need}


def count(baskets: dict, items) -> int:
    return sum(set(items) <= set(b) for b in baskets.values())


def rules(baskets: dict, *, min_support: float, floor: int = 1, max_len: int = 3,
          min_confidence: float = 0.0, min_lift: float = 0.0) -> dict[tuple, dict]:
    """``(antecedent, consequent) → figures``, items joined with ``|``."""
    n = len(baskets)
    sets = itemsets(baskets, min_support=min_support, floor=floor, max_len=max_len)
    out = {}
    for s, both in sets.items():
        for size in range(1, len(s)):
            for ante in itertools.combinations(s, size):
                cons = tuple(i for i in s if i not in ante)
                a, c = sets[ante], sets[cons]
                conf = both / a
                lift = (both * n) / (a * c)
                if conf < min_confidence or lift < min_lift:
                    continue
                out["|".join(ante), "|".join(cons)] = {
                    "support": both / n, "confidence": conf, "lift": lift,
                    "leverage": both / n - (a / n) * (c / n),
                    "conviction": math.inf if both == a else (1 - c / n) / (1 - conf),
                    "antecedent_count": a, "consequent_count": c, "pair_count": both,
                    "baskets": n}
    return out
