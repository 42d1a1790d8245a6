"""Behavioural clustering with K-Means (SPEC §5): fitted on a sample, assigned in the engine.

Preprocessing is learned per feature on the sample and applied identically in pandas and as
Ibis expressions (`custseg.segment.scaling.FeatureTransform`): fill NULLs with the median,
clip at the 1st/99th percentile, log1p when skewness > 1, robust scaling (median / IQR).

Customers who never ordered (``has_ordered`` false, R = ∞) are not clustered and not used in
fitting: they form their own segment ``N`` (从未下单 / never ordered), listed when the fitted
table holds any. Capping R at a finite value would invent a recency they do not have.

K is chosen on the sample by `choose_k`; `KMeansSegmenter` wraps it on the
`custseg.model.Segmenter` contract.

>>> import ibis, numpy as np
>>> rng = np.random.default_rng(1)
>>> features = ibis.memtable({
...     "customer_id": [f"c{i}" for i in range(90)], "has_ordered": [True] * 90,
...     "recency_days": np.r_[rng.normal(10, 2, 30), rng.normal(200, 5, 60)].round(),
...     "frequency": np.r_[rng.poisson(8, 30), rng.poisson(1, 60)],
...     "monetary": np.r_[rng.normal(900, 50, 30), rng.normal(60, 10, 60)]})
>>> model = KMeansSegmenter(k=2).fit(features)
>>> [(s.id, s.name_zh, s.name_en) for s in model.segments_]
[('C1', '久未购买低消费', 'long since last purchase, low spend'), \
('C2', '近期购买高消费', 'recent purchase, high spend')]
>>> assigned = model.assign(features).execute()
>>> assigned.segment_id.value_counts().sort_index().tolist()
[60, 30]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Self

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd

from custseg.errors import ConfigError
from custseg.model import Segment, Segmenter
from custseg.segment import cluster_profile
from custseg.segment.scaling import FeatureTransform, lit

if TYPE_CHECKING:
    from sklearn.cluster import KMeans

# scikit-learn, scipy and kneed are imported where used: they double the CLI's start-up time

RFM = ("recency_days", "frequency", "monetary")
NEVER = Segment("N", "从未下单", "never ordered", "has_ordered = false (R = ∞)",
                "首单激励")
SILHOUETTE_TOLERANCE = 0.1
SILHOUETTE_SAMPLE = 5_000
N_INIT = 10
TRANSFORMS = ("auto", "log", "none")


def _single_thread():
    """Run scikit-learn single-threaded: the engine owns the cores, and OpenMP's spinning
    threads make K-Means 10–50 times slower when the cores are busy (measured on 2 cores)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _curve(X: np.ndarray, ks: list[int], random_state: int) -> tuple[list[dict], dict]:
    """Inertia and silhouette (on at most `SILHOUETTE_SAMPLE` rows) of K-Means per K."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    size = SILHOUETTE_SAMPLE if len(X) > SILHOUETTE_SAMPLE else None
    fits, scores = {}, []
    with _single_thread():
        for n in ks:
            km = KMeans(n_clusters=n, n_init=N_INIT, random_state=random_state).fit(X)
            found = len(np.unique(km.labels_))
            sil = (float(silhouette_score(X, km.labels_, sample_size=size,
                                          random_state=random_state))
                   if 2 <= found < len(X) else None)
            fits[n] = km
            scores.append({"k": n, "inertia": float(km.inertia_), "silhouette": sil,
                           "in_range": False, "elbow": False})
    return scores, fits


def _silhouette(score: dict) -> float:
    return -np.inf if score["silhouette"] is None else score["silhouette"]


def _decide(scores: list[dict], lo: int, hi: int) -> tuple[int, str]:
    from kneed import KneeLocator

    ks = [s["k"] for s in scores]
    elbow = None
    if len(ks) >= 3:
        with warnings.catch_warnings():  # kneed warns when a curve has no knee
            warnings.simplefilter("ignore", UserWarning)
            elbow = KneeLocator(ks, [s["inertia"] for s in scores], curve="convex",
                                direction="decreasing").elbow
    best = max((s for s in scores if s["in_range"]), key=lambda s: (_silhouette(s), -s["k"]))
    best_sil = _silhouette(best)
    if elbow is None:
        return best["k"], "no elbow found; best silhouette in range"
    elbow = int(elbow)
    scores[ks.index(elbow)]["elbow"] = True
    at_elbow = _silhouette(scores[ks.index(elbow)])
    if not lo <= elbow <= hi:
        return best["k"], f"elbow at K = {elbow} is outside {lo}–{hi}; best silhouette in range"
    if at_elbow >= best_sil - SILHOUETTE_TOLERANCE:
        return elbow, (f"elbow (Kneedle) at K = {elbow}, silhouette {at_elbow:.3f} within "
                       f"{SILHOUETTE_TOLERANCE} of the best ({best_sil:.3f})")
    return best["k"], (f"elbow K = {elbow} has silhouette {at_elbow:.3f}, more than "
                       f"{SILHOUETTE_TOLERANCE} below K = {best['k']} ({best_sil:.3f}); "
                       "best silhouette in range")


def choose_k(X: np.ndarray, k_range: tuple[int, int], *, random_state: int = 0,
             k: int | None = None) -> tuple[int, list[dict], str, dict[int, KMeans]]:
    """Fit K-Means for every K around ``k_range`` (or only ``k``) and pick K.

    Rule: the inertia curve runs from one K below the range to one above (context Kneedle
    needs to see an elbow at either end of the range); K is its elbow by Kneedle (convex,
    decreasing) when the elbow lies in the range and its silhouette is within
    `SILHOUETTE_TOLERANCE` of the best silhouette in the range; otherwise K is the K of the
    range with the best silhouette (the smaller on a tie). Searching the range only keeps
    silhouette from choosing K = 2 on skewed RFM data (SPEC §5); the figures of the context
    K are reported too. K never exceeds the number of distinct rows of ``X`` (at least one).
    Returns ``(k, scores, rule, fits)``; ``scores`` holds ``{"k", "inertia", "silhouette",
    "in_range", "elbow"}`` per K.
    """
    distinct = len(np.unique(X, axis=0))
    lo, hi = (k, k) if k is not None else k_range
    hi = min(hi, distinct)
    lo = min(lo, hi)
    wanted = k if k is not None else k_range[1]
    note = f"only {distinct} distinct customers: K ≤ {distinct}; " if distinct < wanted else ""
    ks = [hi] if k is not None else list(range(max(1, lo - 1), min(hi + 1, distinct) + 1))
    scores, fits = _curve(X, ks, random_state)
    for score in scores:
        score["in_range"] = lo <= score["k"] <= hi
    if k is not None:
        return hi, scores, note + f"K = {hi} given", fits
    chosen, rule = _decide(scores, lo, hi)
    return chosen, scores, note + rule, fits


class KMeansSegmenter(Segmenter):
    """K-Means segments of the customers who ordered, plus ``N`` for those who never did.

    Parameters
    ----------
    features : sequence of str, default ("recency_days", "frequency", "monetary")
        Numeric columns of the feature table to cluster on.
    k : int, optional
        The number of clusters; chosen by `choose_k` over ``k_range`` when None.
    k_range : (int, int), default (3, 6)
        Inclusive range of K searched (SPEC §5 recommends 3–6 core segments).
    sample_size : int, default 50_000
        Customers fitted on: the first ``sample_size`` by a hash of ``customer_id`` and
        ``random_state`` (deterministic, independent of row order), sorted by ``customer_id``.
    random_state : int, default 0
    transforms : {"auto", "log", "none"}, default "auto"
        When to take logs: skewness > 1, always, or never. Clipping and scaling always apply.

    Attributes
    ----------
    k_ : int
    k_scores_ : list of dict
        ``k, inertia, silhouette, in_range, elbow`` for every K tried (the range and one K
        either side); ``k_rule_`` says why ``k_`` won (the rule is in `choose_k`).
    transforms_ : list of FeatureTransform
    preprocessing_ : list of dict
        Per feature: the learned parameters and the steps as text.
    scaler_ : dict
        ``{"center": {feature: median}, "scale": {feature: IQR or fallback}}``.
    cluster_centers_ : ndarray of shape (k_, n_features)
        In transformed space, rows in the order of the cluster segments (``C1`` … by size).
    kmeans_ : sklearn.cluster.KMeans
        The fitted estimator; ``label_ids_[label]`` is its label's segment id.
    segments_ : list of Segment
    profile_ : DataFrame
        Per cluster and feature: centre z-score vs the population, rank, cluster and
        population means.
    rules_ : dict
        Segment id → rules of a depth-3 surrogate decision tree (``rule``, ``customers``,
        ``precision``); ``fidelity_`` is the share of sample customers the rules place in
        their own cluster.
    ranges_ : dict
        Segment id → {lang: defining ranges (10th–90th percentile of each feature)}.
    n_sample_ : int
    """

    def __init__(self, *, features: Sequence[str] = RFM, k: int | None = None,
                 k_range: tuple[int, int] = (3, 6), sample_size: int = 50_000,
                 random_state: int = 0, transforms: str = "auto"):
        self.features = features
        self.k = k
        self.k_range = k_range
        self.sample_size = sample_size
        self.random_state = random_state
        self.transforms = transforms

    @classmethod
    def from_settings(cls, settings: Any) -> KMeansSegmenter:
        """From ``[segmentation]``: ``k``, ``k_range``, ``cluster_features`` when set."""
        kwargs = {}
        for key, name in (("k", "k"), ("k_range", "k_range"), ("features", "cluster_features")):
            value = getattr(settings, name, None)
            if value is not None:
                kwargs[key] = tuple(value) if isinstance(value, list) else value
        return cls(**kwargs)

    # -- fitting -------------------------------------------------------------------------
    def _validate(self, features: ibis.Table) -> list[str]:
        cols = list(self.features)
        schema = features.schema()
        missing = [c for c in ["customer_id", *cols] if c not in schema]
        if missing:
            raise ConfigError(f"kmeans: the feature table lacks {', '.join(missing)}")
        bad = [c for c in cols if not schema[c].is_numeric()]
        if bad or not cols:
            raise ConfigError(f"kmeans: features must be numeric columns, got {bad or cols}")
        lo, hi = self.k_range
        if not 2 <= lo <= hi:
            raise ConfigError(f"kmeans: k_range must be 2 ≤ low ≤ high, got {self.k_range}")
        if self.k is not None and self.k < 2:
            raise ConfigError(f"kmeans: k must be at least 2, got {self.k}")
        if self.transforms not in TRANSFORMS:
            raise ConfigError(f"kmeans: transforms must be one of {TRANSFORMS}")
        if self.sample_size < 2:
            raise ConfigError("kmeans: sample_size must be at least 2")
        return cols

    @staticmethod
    def _never(features: ibis.Table) -> ibis.Value:
        if "has_ordered" in features.columns:
            return ~features.has_ordered.fill_null(False)
        if "recency_days" in features.columns:
            return features.recency_days.isnull()
        return ibis.literal(False)

    def _sample(self, features: ibis.Table, cols: list[str]) -> pd.DataFrame:
        """The fitting sample: customers who ordered, without outlier-amount orders (they are
        still assigned, by the engine, like everyone)."""
        t = features.filter(~self._never(features))
        if "outlier_orders" in t.columns:
            t = t.filter(t.outlier_orders.fill_null(0) == 0)
        key = (t.customer_id.cast(dt.string) + ibis.literal(f"#{self.random_state}")).hash()
        t = t.select("customer_id", *cols).order_by([key, t.customer_id])
        df = t.limit(self.sample_size).execute()
        return df.sort_values("customer_id", kind="stable").reset_index(drop=True)

    def transform_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """The fitted preprocessing applied in pandas (the reference for `assign`)."""
        self.check_fitted()
        return np.column_stack([t.frame(frame[t.feature]) for t in self.transforms_])

    def fit(self, features: ibis.Table) -> Self:
        """Sample, learn the preprocessing, choose K, fit, name and explain the clusters."""
        cols = self._validate(features)
        df = self._sample(features, cols)
        has_never = bool(features.filter(self._never(features)).count().execute())
        if df.empty:
            return self._fit_nothing(cols, has_never)
        transforms = [FeatureTransform.learn(c, df[c], self.transforms) for c in cols]
        X = np.column_stack([t.frame(df[t.feature]) for t in transforms])
        k, scores, rule, fits = choose_k(X, self.k_range, random_state=self.random_state,
                                         k=self.k)
        km = fits[k]
        sizes = np.bincount(km.labels_, minlength=k)
        order = sorted(range(k), key=lambda j: (-sizes[j], tuple(km.cluster_centers_[j])))
        rank = np.empty(k, dtype=int)
        rank[order] = np.arange(k)
        labels = rank[km.labels_]
        ids = [f"C{j + 1}" for j in range(k)]
        self.transforms_ = transforms
        self.preprocessing_ = [asdict(t) | {"steps": t.steps()} for t in transforms]
        self.scaler_ = {"center": {t.feature: t.center for t in transforms},
                        "scale": {t.feature: t.scale for t in transforms}}
        self.k_, self.k_scores_, self.k_rule_ = k, scores, rule
        self.kmeans_ = km
        self.label_ids_ = [ids[rank[j]] for j in range(k)]
        self.cluster_centers_ = km.cluster_centers_[order]
        self.n_sample_ = len(df)
        self.dimensions_ = cols
        self._describe(df[cols].astype("float64"), X, labels, ids)
        self.segments_ += [NEVER] if has_never else []
        return self

    def _fit_nothing(self, cols: list[str], has_never: bool) -> Self:
        """No customer has ordered: no clusters, only ``N``."""
        self.transforms_, self.preprocessing_, self.scaler_ = [], [], {"center": {},
                                                                        "scale": {}}
        self.k_, self.k_scores_, self.k_rule_ = 0, [], "no customer has ordered"
        self.kmeans_, self.label_ids_ = None, []
        self.cluster_centers_ = np.empty((0, len(cols)))
        self.n_sample_, self.dimensions_ = 0, cols
        self.profile_, self.rules_, self.fidelity_, self.ranges_ = pd.DataFrame(), {}, 1.0, {}
        self.segments_ = [NEVER] if has_never else []
        return self

    def _describe(self, raw: pd.DataFrame, X: np.ndarray, labels: np.ndarray,
                  ids: list[str]) -> None:
        mean, std = X.mean(axis=0), X.std(axis=0)
        z = (self.cluster_centers_ - mean) / np.where(std > 0, std, 1.0)
        filled = raw.fillna({t.feature: t.fill for t in self.transforms_})
        self.profile_ = cluster_profile.profile(filled, z, labels, ids)
        self.rules_, self.fidelity_ = cluster_profile.surrogate_rules(
            filled, labels, ids, random_state=self.random_state)
        named = cluster_profile.unique_names([dict(zip(raw.columns, row, strict=True))
                                              for row in z])
        self.ranges_ = {seg: {lang: cluster_profile.ranges(filled[labels == j], lang)
                              for lang in ("zh", "en")} for j, seg in enumerate(ids)}
        self.segments_ = [Segment(seg, zh, en, self.ranges_[seg]["en"])
                          for seg, (zh, en) in zip(ids, named, strict=True)]

    # -- scoring -------------------------------------------------------------------------
    def assign(self, features: ibis.Table) -> ibis.Table:
        """``customer_id, segment_id, distance`` computed in the engine.

        Each customer goes to the nearest centre by squared Euclidean distance in the
        transformed space (the first centre on an exact tie, like ``KMeans.predict``);
        ``distance`` is the Euclidean distance to it, NULL for the never-ordered ``N``.
        """
        self.check_fitted()
        if not self.k_:
            return features.select("customer_id", segment_id=ibis.ifelse(
                self._never(features), ibis.literal(NEVER.id), ibis.null(dt.string)),
                distance=ibis.null(dt.float64))
        z = {f"_z{i}": t.expr(features[t.feature]) for i, t in enumerate(self.transforms_)}
        t = features.select("customer_id", _never=self._never(features), **z)
        d = {f"_d{j}": sum(((t[f"_z{i}"] - lit(c)) ** 2 for i, c in enumerate(centre)),
                           start=lit(0.0))
             for j, centre in enumerate(self.cluster_centers_)}
        t = t.select("customer_id", "_never", **d)
        best = ibis.least(*[t[name] for name in d]) if len(d) > 1 else t["_d0"]
        nearest = ibis.cases(*[(t[f"_d{j}"] == best, seg.id)
                               for j, seg in enumerate(self.segments_[:self.k_])])
        return t.select(
            "customer_id",
            segment_id=ibis.ifelse(t._never, ibis.literal(NEVER.id), nearest),
            distance=ibis.ifelse(t._never, ibis.null(dt.float64), best.sqrt()))

    def texts(self, lang: str) -> dict[str, tuple[str, str]]:
        """Segment id → (defining ranges, strategy keywords) in ``lang``."""
        self.check_fitted()
        out = {seg: (r[lang], "") for seg, r in self.ranges_.items()}
        never = "从未下单（R = ∞）" if lang == "zh" else "never ordered (R = ∞)"
        return out | {NEVER.id: (never, NEVER.keywords if lang == "zh" else "first-order offer")}

    def stability(self, features: ibis.Table, n: int = 5) -> dict:
        """Agreement of re-fits on bootstrap samples with this fit (SPEC §9).

        The preprocessing and K stay fixed; each of ``n`` bootstrap re-samples of the fitted
        sample is clustered again and its labels of the whole sample are compared with this
        fit's by the adjusted Rand index (1 = identical partitions, about 0 = chance).
        Returns ``{"k", "n", "ari": [...], "mean_ari"}``.
        """
        from sklearn.cluster import KMeans
        from sklearn.metrics import adjusted_rand_score

        self.check_fitted()
        if self.k_ < 2:  # one partition or none: nothing can disagree
            return {"k": self.k_, "n": n, "ari": [1.0] * n, "mean_ari": 1.0}
        df = self._sample(features, list(self.dimensions_))
        X = self.transform_frame(df)
        rng = np.random.default_rng(self.random_state)
        aris = []
        with _single_thread():
            base = self.kmeans_.predict(X)
            for i in range(n):
                boot = X[rng.integers(0, len(X), len(X))]
                k = min(self.k_, len(np.unique(boot, axis=0)))
                km = KMeans(n_clusters=k, n_init=N_INIT,
                            random_state=self.random_state + i + 1).fit(boot)
                aris.append(float(adjusted_rand_score(base, km.predict(X))))
        return {"k": self.k_, "n": n, "ari": aris, "mean_ari": float(np.mean(aris))}
