"""Counting frequent itemsets in the engine: items, pairs and triples (Apriori pruning).

Every function takes basket lines (``basket_id, item`` and the ``by`` columns, one row per
basket and distinct item; see `custseg.basket.baskets.basket_lines`) and returns an Ibis
expression; nothing is executed here. An itemset is frequent in a group (all baskets, or
the baskets of one segment) when it occurs in at least ``min_count`` of the group's baskets,
``min_count = max(ceil(min_support × baskets), min_count floor)``. Pairs are counted only
among frequent items, triples only where all three of their pairs are frequent, so the
self-joins stay as small as the data allow.

Itemsets have the columns ``by…, k, key, i1, i2, i3, count``: the items sorted, ``i2``/``i3``
NULL when absent, and ``key`` the sorted items joined with `SEP`.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from custseg.basket.baskets import SEP

_EPS = 1e-9  # min_support × baskets computed in floating point: 0.1 × 30 is 3.0000000000000004


def basket_sizes(lines: ibis.Table, *, by: tuple[str, ...] = (), min_support: float,
                 min_count: int = 1) -> ibis.Table:
    """Baskets per group and the count an itemset needs there: ``by…, baskets, min_count``.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"basket_id": ["1", "1", "2", "3"], "item": ["a", "b", "a", "c"]})
    >>> ibis.duckdb.connect().to_pyarrow(basket_sizes(t, min_support=0.5)).to_pylist()
    [{'baskets': 3, 'min_count': 2}]
    """
    baskets = lines.basket_id.nunique()
    sizes = (lines.group_by(list(by)).aggregate(baskets=baskets) if by
             else lines.aggregate(baskets=baskets))
    need = (sizes.baskets.cast(dt.float64) * min_support - _EPS).ceil().cast(dt.int64)
    return sizes.mutate(min_count=ibis.greatest(need, ibis.literal(min_count, dt.int64)))


def _frequent(counts: ibis.Table, sizes: ibis.Table, by: tuple[str, ...]) -> ibis.Table:
    joined = counts.join(sizes, list(by)) if by else counts.cross_join(sizes)
    return joined.filter(joined["count"] >= joined.min_count).drop("baskets", "min_count")


def _shape(t: ibis.Table, by: tuple[str, ...], items: list[str]) -> ibis.Table:
    """The common itemset columns: ``by…, k, key, i1, i2, i3, count``."""
    key = t[items[0]]
    for name in items[1:]:
        key = key + SEP + t[name]
    cols = {f"i{n}": (t[f"i{n}"] if f"i{n}" in items else ibis.null(dt.string))
            for n in (1, 2, 3)}
    return t.select(*by, k=ibis.literal(len(items), dt.int64), key=key, **cols,
                    count=t["count"].cast(dt.int64))


def item_counts(lines: ibis.Table, sizes: ibis.Table, *, by: tuple[str, ...] = ()
                ) -> ibis.Table:
    """Frequent single items with their basket counts (lines are distinct per basket)."""
    counts = lines.group_by([*by, "item"]).aggregate(count=ibis._.count())
    return _shape(_frequent(counts.rename(i1="item"), sizes, by), by, ["i1"])


def _lines_of(lines: ibis.Table, itemsets: ibis.Table, by: tuple[str, ...]) -> ibis.Table:
    """Lines whose item occurs in one of ``itemsets`` (of the same group)."""
    members = itemsets.select(*by, item=itemsets.i1).union(
        itemsets.select(*by, item=itemsets.i2), itemsets.select(*by, item=itemsets.i3))
    members = members.filter(members.item.notnull()).distinct()
    return lines.semi_join(members, [*by, "item"])


def pair_counts(lines: ibis.Table, items: ibis.Table, sizes: ibis.Table, *,
                by: tuple[str, ...] = ()) -> ibis.Table:
    """Frequent pairs, counted by a self-join of the baskets restricted to frequent ``items``."""
    kept = _lines_of(lines, items, by)
    a = kept.select(*by, bid=kept.basket_id, i1=kept.item)
    b = kept.select(bid2=kept.basket_id, i2=kept.item)
    pairs = a.join(b, [a.bid == b.bid2, a.i1 < b.i2])
    counts = pairs.group_by([*by, "i1", "i2"]).aggregate(count=ibis._.count())
    return _shape(_frequent(counts, sizes, by), by, ["i1", "i2"])


def triple_counts(lines: ibis.Table, pairs: ibis.Table, sizes: ibis.Table, *,
                  by: tuple[str, ...] = ()) -> ibis.Table:
    """Frequent triples: baskets' frequent pairs extended by a third item whose pairs with
    both are frequent too."""
    kept = _lines_of(lines, pairs, by)
    p = pairs.select(*by, "i1", "i2")
    a = kept.select(*by, bid=kept.basket_id, i1=kept.item)
    b = kept.select(bid2=kept.basket_id, i2=kept.item)
    ab = a.join(b, [a.bid == b.bid2, a.i1 < b.i2]).semi_join(p, [*by, "i1", "i2"])
    c = kept.select(bid3=kept.basket_id, i3=kept.item)
    abc = ab.join(c, [ab.bid == c.bid3, ab.i2 < c.i3])
    abc = abc.semi_join(p.rename(i3="i2"), [*by, "i1", "i3"])
    abc = abc.semi_join(p.rename(i3="i2", i2="i1"), [*by, "i2", "i3"])
    counts = abc.group_by([*by, "i1", "i2", "i3"]).aggregate(count=ibis._.count())
    return _shape(_frequent(counts, sizes, by), by, ["i1", "i2", "i3"])


def count_itemsets(lines: ibis.Table, keys: ibis.Table, *, by: tuple[str, ...] = ()
                   ) -> ibis.Table:
    """Exact basket counts ``by…, key, count`` of the given itemsets (any size), whatever
    their support: a basket holds an itemset when it holds all its items.

    Used to look up the overall support of rules found in one segment. Itemsets that no
    basket holds are left out.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"basket_id": ["1", "1", "2", "2", "3"],
    ...                    "item": ["a", "b", "a", "b", "a"]})
    >>> keys = ibis.memtable({"key": ["a", "a" + SEP + "b"]})
    >>> out = ibis.duckdb.connect().to_pyarrow(count_itemsets(t, keys).order_by("key"))
    >>> out["count"].to_pylist()
    [3, 2]
    """
    m = keys.select(*by, "key").distinct()
    m = m.mutate(_items=m.key.split(SEP))
    m = m.select(*by, "key", k=m._items.length().cast(dt.int64), item=m._items.unnest())
    j = lines.select(*by, "basket_id", "item").join(m, [*by, "item"])
    held = j.group_by([*by, "basket_id", "key", "k"]).aggregate(n=ibis._.count())
    held = held.filter(held.n == held.k)
    return held.group_by([*by, "key"]).aggregate(count=ibis._.count())
