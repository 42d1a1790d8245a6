"""Behavioural clustering with K-Means (SPEC §5): fitted on a sample, assigned in the engine.

Preprocessing is learned per feature on the sample and applied identically in pandas and as
Ibis expressions (`custseg.segment.scaling.FeatureTransform`): fill NULLs with the median,
clip at the 1st/99th percentile, log1p when a feature that is not a share is skewed
(skewness > 1), robust scaling (median / IQR); then, optionally, PCA or factor reduction.

Customers who never ordered (``has_ordered`` false, R = ∞) are not clustered and not used in
fitting: they form their own segment ``N`` (从未下单 / never ordered), listed when the fitted
table holds any. Capping R at a finite value would invent a recency they do not have.

K is chosen on the sample by `choose_k`; samples larger than ``minibatch_above`` rows are
clustered with scikit-learn's MiniBatchKMeans (same seeds, same predict contract).
`KMeansSegmenter` wraps it on the `custseg.model.Segmenter` contract, with the machinery of
`custseg.segment.clustering.ClusterSegmenter`.

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

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from custseg.segment.clustering import NEVER, RFM, ClusterSegmenter
from custseg.segment.k_choice import SILHOUETTE_SAMPLE, search_k, single_thread

if TYPE_CHECKING:
    from sklearn.cluster import KMeans

# scikit-learn, scipy and kneed are imported where used: they double the CLI's start-up time

N_INIT = 10
MINIBATCH_N_INIT = 3
MINIBATCH_BATCH = 4_096
MINIBATCH_ABOVE = 20_000

__all__ = ["NEVER", "RFM", "KMeansSegmenter", "choose_k"]


def _estimator(n: int, rows: int, random_state: int, minibatch_above: int):
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if rows > minibatch_above:
        return MiniBatchKMeans(n_clusters=n, n_init=MINIBATCH_N_INIT, batch_size=MINIBATCH_BATCH,
                               random_state=random_state)
    return KMeans(n_clusters=n, n_init=N_INIT, random_state=random_state)


def choose_k(X: np.ndarray, k_range: tuple[int, int], *, random_state: int = 0,
             k: int | None = None, minibatch_above: int = MINIBATCH_ABOVE
             ) -> tuple[int, list[dict], str, dict[int, KMeans]]:
    """Fit K-Means for every K around ``k_range`` (or only ``k``) and pick K by the rule of
    `custseg.segment.k_choice.search_k` (Kneedle elbow of the inertia, checked against the
    silhouette on at most `SILHOUETTE_SAMPLE` rows). More than ``minibatch_above`` rows are
    fitted with MiniBatchKMeans. Returns ``(k, scores, rule, fits)``.
    """
    from sklearn.metrics import silhouette_score

    size = SILHOUETTE_SAMPLE if len(X) > SILHOUETTE_SAMPLE else None

    def fit_one(n: int):
        km = _estimator(n, len(X), random_state, minibatch_above).fit(X)
        return km, km.labels_, km.inertia_

    def silhouette(labels: np.ndarray) -> float:
        return silhouette_score(X, labels, sample_size=size, random_state=random_state)

    with single_thread():
        return search_k(len(np.unique(X, axis=0)), k_range, k, fit_one, silhouette)


class KMeansSegmenter(ClusterSegmenter):
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
        When to take logs: skewness > 1 (never for shares), always, or never. Clipping and
        scaling always apply.
    reduction : {"none", "pca", "factor"}, default "none"
        Cluster on the first ``n_components`` principal components or factors instead.
    n_components : int, default 2
    minibatch_above : int, default 20_000
        Samples with more rows are clustered with MiniBatchKMeans.
    stability_runs : int, default 3
        Bootstrap re-fits behind ``stability_`` (0: none).

    Attributes
    ----------
    k_ : int
    k_scores_ : list of dict
        ``k, inertia, silhouette, in_range, elbow`` for every K tried (the range and one K
        either side); ``k_rule_`` says why ``k_`` won.
    transforms_ : list of FeatureTransform
    preprocessing_ : list of dict
        Per feature: what was chosen and why (`FeatureTransform.report`).
    reduction_ : Reduction or None
        The PCA / factor map and its explained variance.
    scaler_ : dict
        ``{"center": {feature: median}, "scale": {feature: IQR or fallback}}``.
    cluster_centers_ : ndarray of shape (k_, n_dimensions)
        In the clustering space, rows in the order of the segments (``C1`` … by size).
    kmeans_ : sklearn.cluster.KMeans or MiniBatchKMeans
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
    charts_ : dict
        Chart data: ``k_curve``, ``profile_heatmap``, ``pca_scatter`` and ``clustering``
        (`report`).
    stability_ : dict or None
        Bootstrap agreement (`ClusterSegmenter.stability`); ``notices_`` warns when low.
    n_sample_ : int
    """

    model_name = "kmeans"
    estimator_attr = "kmeans_"
    settings_keys = (*ClusterSegmenter.settings_keys, "minibatch_above")

    def __init__(self, *, features: Sequence[str] = RFM, k: int | None = None,
                 k_range: tuple[int, int] = (3, 6), sample_size: int = 50_000,
                 random_state: int = 0, transforms: str = "auto", reduction: str = "none",
                 n_components: int = 2, minibatch_above: int = MINIBATCH_ABOVE,
                 stability_runs: int = 3):
        self.features = features
        self.k = k
        self.k_range = k_range
        self.sample_size = sample_size
        self.random_state = random_state
        self.transforms = transforms
        self.reduction = reduction
        self.n_components = n_components
        self.minibatch_above = minibatch_above
        self.stability_runs = stability_runs

    def _cluster(self, X: np.ndarray):
        k, scores, rule, fits = choose_k(X, self.k_range, random_state=self.random_state,
                                         k=self.k, minibatch_above=self.minibatch_above)
        self.kmeans_ = fits[k]
        return k, scores, rule, self.kmeans_.labels_, self.kmeans_.cluster_centers_

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.kmeans_.predict(X)

    def _refit(self, X: np.ndarray, k: int, seed: int) -> Callable[[np.ndarray], np.ndarray]:
        return _estimator(k, len(X), seed, self.minibatch_above).fit(X).predict
