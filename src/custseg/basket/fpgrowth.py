"""Frequent itemsets of any size by FP-Growth (mlxtend), for small data.

The engine counts pairs and triples at any scale (`custseg.basket.counting`); itemsets of
four or more items are found by mlxtend's FP-Growth on a one-hot basket × item matrix held
in memory, which is why it is used only up to ``[basket] fpgrowth_max_baskets`` baskets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg.basket.baskets import SEP


def fpgrowth_itemsets(lines: pd.DataFrame, baskets: int, *, min_count: int,
                      max_len: int | None = None) -> pd.DataFrame:
    """Itemsets held by at least ``min_count`` of ``baskets`` baskets: ``key, k, count``.

    Parameters
    ----------
    lines : DataFrame
        ``basket_id, item``, one row per basket and distinct item. Baskets without lines
        (for instance those holding no frequent item) still count in ``baskets``.
    baskets : int
        Number of baskets in the group (the denominator of support).
    min_count : int
        Baskets an itemset must occur in.
    max_len : int, optional
        Largest itemset size (default: no limit).

    Examples
    --------
    >>> lines = pd.DataFrame({"basket_id": [1, 1, 2, 2, 3], "item": list("ababa")})
    >>> out = fpgrowth_itemsets(lines, 4, min_count=2).sort_values("key")
    >>> [(k.replace(SEP, "|"), c) for k, c in zip(out.key, out["count"])]
    [('a', 3), ('a|b', 2), ('b', 2)]
    """
    from mlxtend.frequent_patterns import fpgrowth

    empty = pd.DataFrame({"key": pd.Series(dtype=str), "k": pd.Series(dtype="int64"),
                          "count": pd.Series(dtype="int64")})
    if baskets == 0 or lines.empty or min_count > baskets:
        return empty
    rows, _ = pd.factorize(lines["basket_id"])
    cols, items = pd.factorize(lines["item"].astype(str))
    onehot = np.zeros((baskets, len(items)), dtype=bool)
    onehot[rows, cols] = True
    frame = pd.DataFrame(onehot, columns=[str(i) for i in items])
    # the threshold half a basket below min_count, so floating point cannot drop a boundary
    found = fpgrowth(frame, min_support=(min_count - 0.5) / baskets, use_colnames=True,
                     max_len=max_len)
    if found.empty:
        return empty
    counts = np.rint(found["support"].to_numpy() * baskets).astype("int64")
    keys = [SEP.join(sorted(s)) for s in found["itemsets"]]
    out = pd.DataFrame({"key": keys, "k": [len(s) for s in found["itemsets"]],
                        "count": counts})
    return out[out["count"] >= min_count].reset_index(drop=True)
