"""Association rules from frequent itemsets: support, confidence, lift, leverage, conviction.

For a rule A → C over N baskets, with n(X) the baskets holding every item of X:

- support = n(A ∪ C) / N
- confidence = n(A ∪ C) / n(A)
- lift = confidence / (n(C) / N) — above 1 when A and C are bought together more often than
  chance would have them
- leverage = support − n(A)/N · n(C)/N
- conviction = (1 − n(C)/N) / (1 − confidence), infinite when the confidence is 1

Per segment every figure is computed within the segment's baskets; ``lift_vs_overall`` is
the segment's lift divided by the lift of the same rule over all baskets, so a value well
above 1 marks a rule distinctive for the segment. Everything is an Ibis expression.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from custseg.basket.baskets import SEP

RULE_COLUMNS = ("antecedent", "consequent", "support", "confidence", "lift", "leverage",
                "conviction", "antecedent_count", "consequent_count", "pair_count", "baskets")
# (antecedent, consequent) positions of the items of a pair and of a triple
_SPLITS = {
    2: [((1,), (2,)), ((2,), (1,))],
    3: [((1, 2), (3,)), ((1, 3), (2,)), ((2, 3), (1,)),
        ((3,), (1, 2)), ((2,), (1, 3)), ((1,), (2, 3))],
}


def _join(t: ibis.Table, positions: tuple[int, ...]) -> ibis.Value:
    key = t[f"i{positions[0]}"]
    for p in positions[1:]:
        key = key + SEP + t[f"i{p}"]
    return key


def rule_candidates(itemsets: ibis.Table, *, by: tuple[str, ...] = ()) -> ibis.Table:
    """Every split of each frequent pair and triple into antecedent → consequent:
    ``by…, set_key, ante_key, cons_key``."""
    parts = []
    for k, splits in _SPLITS.items():
        sets = itemsets.filter(itemsets.k == k)
        parts += [sets.select(*by, set_key=sets.key, ante_key=_join(sets, ante),
                              cons_key=_join(sets, cons)) for ante, cons in splits]
    return parts[0].union(*parts[1:], distinct=False)


def candidates_of(keys: Iterable[tuple[tuple, str]], by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Rule candidates of itemsets of any size (FP-Growth output): every non-empty proper
    subset as antecedent. ``keys`` yields ``(group values, key)``.

    >>> candidates_of([((), "a" + SEP + "b")])[["ante_key", "cons_key"]].values.tolist()
    [['a', 'b'], ['b', 'a']]
    """
    rows = []
    for group, key in keys:
        items = key.split(SEP)
        for size in range(1, len(items)):
            for ante in itertools.combinations(items, size):
                cons = [i for i in items if i not in ante]
                rows.append((*group, key, SEP.join(ante), SEP.join(cons)))
    return pd.DataFrame(rows, columns=[*by, "set_key", "ante_key", "cons_key"])


def _counts_as(counts: ibis.Table, by: tuple[str, ...], key: str, count: str) -> ibis.Table:
    return counts.select(*by, **{key: counts.key, count: counts["count"].cast(dt.int64)})


def rule_metrics(candidates: ibis.Table, counts: ibis.Table, sizes: ibis.Table, *,
                 by: tuple[str, ...] = (), min_confidence: float = 0.0,
                 min_lift: float = 0.0) -> ibis.Table:
    """Figures of each candidate rule, kept when confidence ≥ ``min_confidence`` and lift ≥
    ``min_lift``: ``by…, set_key, ante_key, cons_key`` and `RULE_COLUMNS`.

    ``counts`` (``by…, key, count``) must hold every itemset, antecedent and consequent of
    the candidates (all frequent when their union is); ``sizes`` has ``by…, baskets``.
    Items of the antecedent and consequent are joined with ``|``.
    """
    r = candidates.join(_counts_as(counts, by, "set_key", "pair_count"), [*by, "set_key"])
    r = r.join(_counts_as(counts, by, "ante_key", "antecedent_count"), [*by, "ante_key"])
    r = r.join(_counts_as(counts, by, "cons_key", "consequent_count"), [*by, "cons_key"])
    n = sizes.select(*by, "baskets")
    r = r.join(n, list(by)) if by else r.cross_join(n)
    both, ante, cons = (r[c].cast(dt.float64) for c in ("pair_count", "antecedent_count",
                                                          "consequent_count"))
    total = r.baskets.cast(dt.float64)
    confidence = both / ante
    r = r.mutate(
        antecedent=r.ante_key.replace(SEP, "|"), consequent=r.cons_key.replace(SEP, "|"),
        support=both / total, confidence=confidence,
        lift=(both * total) / (ante * cons),
        leverage=both / total - (ante / total) * (cons / total),
        conviction=ibis.ifelse(r.pair_count == r.antecedent_count,
                               ibis.literal(float("inf"), dt.float64),
                               (1 - cons / total) / (1 - confidence)),
    )
    r = r.filter((r.confidence >= min_confidence) & (r.lift >= min_lift))
    return r.select(*by, "set_key", "ante_key", "cons_key", *RULE_COLUMNS)


def needed_keys(rules: ibis.Table) -> ibis.Table:
    """The distinct itemsets (``key``) behind rules: each rule's union, antecedent and
    consequent."""
    return rules.select(key=rules.set_key).union(rules.select(key=rules.ante_key),
                                                  rules.select(key=rules.cons_key))


def compare_overall(rules: ibis.Table, overall_counts: ibis.Table,
                    overall_baskets: int) -> ibis.Table:
    """Add ``lift_vs_overall``: each (segment) rule's lift over the lift of the same rule on
    all baskets, from exact overall counts (``key, count``, see
    `custseg.basket.counting.count_itemsets`)."""
    c = overall_counts
    r = rules.left_join(c.select(set_key=c.key, _n_set=c["count"]), "set_key")
    r = r.left_join(c.select(ante_key=c.key, _n_ante=c["count"]), "ante_key")
    r = r.left_join(c.select(cons_key=c.key, _n_cons=c["count"]), "cons_key")
    overall = (r._n_set.cast(dt.float64) * overall_baskets) / (
        r._n_ante.cast(dt.float64) * r._n_cons.cast(dt.float64))
    r = r.mutate(lift_vs_overall=r.lift / overall)
    return r.drop("_n_set", "_n_ante", "_n_cons")
