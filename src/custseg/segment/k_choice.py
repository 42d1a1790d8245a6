"""Choosing K for the clustering models, and the ``--k`` / ``--features`` options.

`search_k` fits every K of a curve around the range and `decide_k` picks one: the Kneedle
elbow of the inertia (or cost) curve when its silhouette is close to the best, else the best
silhouette in range.

>>> parse_k("auto"), parse_k(" 4 ")
(None, 4)
>>> parse_features("recency_days, monetary,")
['recency_days', 'monetary']
>>> scores = [{"k": k, "inertia": i, "silhouette": s, "in_range": 2 <= k <= 5,
...            "elbow": False} for k, i, s in [(1, 100, None), (2, 40, 0.5), (3, 12, 0.7),
...                                           (4, 10, 0.6), (5, 9, 0.5), (6, 8.5, 0.4)]]
>>> decide_k(scores, 2, 5)
(3, 'elbow (Kneedle) at K = 3, silhouette 0.700 within 0.1 of the best (0.700)')
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from custseg.errors import CustsegError

SILHOUETTE_TOLERANCE = 0.1
SILHOUETTE_SAMPLE = 5_000


def parse_k(text: str) -> int | None:
    """``--k``: ``auto`` (None) or a number of clusters ≥ 2."""
    text = text.strip().lower()
    if text == "auto":
        return None
    if not text.isdigit() or int(text) < 2:
        raise CustsegError(f"--k: {text!r} is neither 'auto' nor a number of clusters ≥ 2")
    return int(text)


def parse_features(text: str) -> list[str]:
    """``--features a,b,c``: the column names, in order."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise CustsegError("--features: give at least one feature, e.g. recency_days,monetary")
    return names


def single_thread():
    """Run scikit-learn single-threaded: the engine owns the cores, and OpenMP's spinning
    threads make K-Means 10–50 times slower when the cores are busy (measured on 2 cores)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _sil(score: dict) -> float:
    return -np.inf if score["silhouette"] is None else score["silhouette"]


def decide_k(scores: list[dict], lo: int, hi: int) -> tuple[int, str]:
    """K from the curve: the Kneedle elbow when in range and its silhouette is within
    `SILHOUETTE_TOLERANCE` of the best, else the best silhouette in range (see `search_k`)."""
    from kneed import KneeLocator

    ks = [s["k"] for s in scores]
    elbow = None
    if len(ks) >= 3:
        with warnings.catch_warnings():  # kneed warns when a curve has no knee
            warnings.simplefilter("ignore", UserWarning)
            elbow = KneeLocator(ks, [s["inertia"] for s in scores], curve="convex",
                                direction="decreasing").elbow
    best = max((s for s in scores if s["in_range"]), key=lambda s: (_sil(s), -s["k"]))
    if elbow is None:
        return best["k"], "no elbow found; best silhouette in range"
    elbow = int(elbow)
    scores[ks.index(elbow)]["elbow"] = True
    at_elbow, best_sil = _sil(scores[ks.index(elbow)]), _sil(best)
    if not lo <= elbow <= hi:
        return best["k"], f"elbow at K = {elbow} is outside {lo}–{hi}; best silhouette in range"
    if at_elbow >= best_sil - SILHOUETTE_TOLERANCE:
        return elbow, (f"elbow (Kneedle) at K = {elbow}, silhouette {at_elbow:.3f} within "
                       f"{SILHOUETTE_TOLERANCE} of the best ({best_sil:.3f})")
    return best["k"], (f"elbow K = {elbow} has silhouette {at_elbow:.3f}, more than "
                       f"{SILHOUETTE_TOLERANCE} below K = {best['k']} ({best_sil:.3f}); "
                       "best silhouette in range")


def search_k(distinct: int, k_range: tuple[int, int], k: int | None,
             fit_one: Callable[[int], tuple[Any, np.ndarray, float]],
             silhouette: Callable[[np.ndarray], float]) -> tuple[int, list[dict], str, dict]:
    """Fit every K around ``k_range`` (or only ``k``) and pick K.

    The curve runs from one K below the range to one above (Kneedle needs context to see an
    elbow at either end of the range); K is its elbow by Kneedle (convex, decreasing) when the
    elbow lies in the range and its silhouette is within `SILHOUETTE_TOLERANCE` of the best
    in the range, otherwise the K of the range with the best silhouette (the smaller on a
    tie). Searching the range only keeps silhouette from choosing K = 2 on skewed RFM data
    (SPEC §5). K never exceeds ``distinct`` (the number of distinct rows, at least one).
    ``fit_one(n)`` returns ``(fit, labels, inertia)``. Returns ``(k, scores, rule, fits)``;
    ``scores`` holds ``{"k", "inertia", "silhouette", "in_range", "elbow"}`` per K.
    """
    lo, hi = (k, k) if k is not None else k_range
    hi = min(hi, distinct)
    lo = min(lo, hi)
    wanted = k if k is not None else k_range[1]
    note = f"only {distinct} distinct customers: K ≤ {distinct}; " if distinct < wanted else ""
    ks = [hi] if k is not None else list(range(max(1, lo - 1), min(hi + 1, distinct) + 1))
    scores, fits = [], {}
    for n in ks:
        fits[n], labels, inertia = fit_one(n)
        found = len(np.unique(labels))
        sil = float(silhouette(labels)) if 2 <= found < len(labels) else np.nan
        scores.append({"k": n, "inertia": float(inertia),
                       "silhouette": sil if np.isfinite(sil) else None,
                       "in_range": lo <= n <= hi, "elbow": False})
    if k is not None:
        return hi, scores, note + f"K = {hi} given", fits
    chosen, rule = decide_k(scores, lo, hi)
    return chosen, scores, note + rule, fits
