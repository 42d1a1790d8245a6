"""Hierarchical (Ward) clustering on a sample, everyone assigned in the engine (SPEC §5).

Ward's linkage (scipy) is built once on the preprocessed fitting sample (at most
``sample_size`` customers, 5,000 by default: the linkage needs memory and time quadratic in
the sample). The dendrogram is cut at every K of the curve; each cut's inertia (within-cluster
sum of squares) and silhouette choose K by the rule of kmeans
(`custseg.segment.k_choice.search_k`), unless K is given.

Ward has no predict, so **every customer, the sample included, is assigned to the nearest
centroid of the Ward clusters** (squared Euclidean distance in the clustering space, the
first centroid on a tie): scikit-learn's ``NearestCentroid`` fitted on the Ward labels is the
reference, and the engine computes the same argmin for all customers. A sample customer can
therefore land in a neighbouring cluster when the dendrogram put it elsewhere; ``agreement_``
is the share of sample customers whose assigned cluster is their Ward cluster.

>>> import ibis, numpy as np
>>> rng = np.random.default_rng(1)
>>> features = ibis.memtable({
...     "customer_id": [f"c{i}" for i in range(90)], "has_ordered": [True] * 90,
...     "recency_days": np.r_[rng.normal(10, 2, 30), rng.normal(200, 5, 60)].round(),
...     "frequency": np.r_[rng.poisson(8, 30), rng.poisson(1, 60)],
...     "monetary": np.r_[rng.normal(900, 50, 30), rng.normal(60, 10, 60)]})
>>> model = HierarchicalSegmenter(k=2).fit(features)
>>> [(s.id, s.name_en) for s in model.segments_], model.agreement_
([('C1', 'long since last purchase, low spend'), ('C2', 'recent purchase, high spend')], 1.0)
>>> model.assign(features).execute().segment_id.value_counts().sort_index().tolist()
[60, 30]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from custseg.segment.clustering import RFM, ClusterSegmenter, validate_sample_cap
from custseg.segment.k_choice import SILHOUETTE_SAMPLE, search_k

MAX_SAMPLE = 20_000


def ward_cuts(X: np.ndarray):
    """Ward linkage of ``X`` and a function giving, for ``n``, the cut's labels (0 …),
    centroids and within-cluster sum of squares."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    # condensed distances: a tiny sample could otherwise pass for a distance matrix
    tree = linkage(pdist(X), method="ward") if len(X) > 1 else None

    def cut(n: int) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray, float]:
        labels = (fcluster(tree, t=n, criterion="maxclust") - 1 if tree is not None
                  else np.zeros(len(X), dtype=int))
        centres = np.vstack([X[labels == j].mean(axis=0) for j in range(labels.max() + 1)])
        inertia = float(((X - centres[labels]) ** 2).sum())
        return (labels, centres), labels, inertia

    return cut


class _Nearest:
    """Nearest centroid of labelled rows: scikit-learn's ``NearestCentroid`` (in
    ``estimator``), or plain numpy when it cannot fit (one cluster, or one row per cluster)."""

    def __init__(self, X: np.ndarray, labels: np.ndarray):
        from sklearn.neighbors import NearestCentroid

        n = len(np.unique(labels))
        self.estimator = None
        if 1 < n < len(X):
            # within-class spread and deviations only matter for shrinkage, which is off;
            # with a zero spread in every feature they divide by zero
            with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
                warnings.filterwarnings("ignore", "self.within_class_std_dev_", UserWarning)
                self.estimator = NearestCentroid().fit(X, labels)
        self.centroids = (self.estimator.centroids_ if self.estimator is not None else
                          np.vstack([X[labels == j].mean(axis=0) for j in range(n)]))

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.estimator is None:
            d = ((X[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
            return d.argmin(axis=1)
        return self.estimator.predict(X)


class HierarchicalSegmenter(ClusterSegmenter):
    """Ward clusters of a sample of the customers who ordered; ``N`` for those who never did.

    Parameters are those of `custseg.segment.kmeans.KMeansSegmenter` (without MiniBatch);
    ``sample_size`` defaults to 5,000 and may not exceed `MAX_SAMPLE`.

    Attributes
    ----------
    ward_labels_ : ndarray
        The dendrogram's cluster of each sample customer (segment order, 0 = ``C1``).
    nearest_ : object
        The reference assignment: ``nearest_.predict`` (scikit-learn's ``NearestCentroid``
        on the Ward labels, ``nearest_.estimator``); ``label_ids_[label]`` is the segment.
    agreement_ : float
        Share of sample customers assigned to their own Ward cluster.
    Others as for kmeans: ``k_``, ``k_scores_``, ``k_rule_``, ``cluster_centers_``,
    ``preprocessing_``, ``reduction_``, ``profile_``, ``rules_``, ``fidelity_``, ``charts_``,
    ``stability_``.
    """

    model_name = "hierarchical"
    estimator_attr = "nearest_"

    def __init__(self, *, features: Sequence[str] = RFM, k: int | None = None,
                 k_range: tuple[int, int] = (3, 6), sample_size: int = 5_000,
                 random_state: int = 0, transforms: str = "auto", reduction: str = "none",
                 n_components: int = 2, stability_runs: int = 3):
        self.features = features
        self.k = k
        self.k_range = k_range
        self.sample_size = sample_size
        self.random_state = random_state
        self.transforms = transforms
        self.reduction = reduction
        self.n_components = n_components
        self.stability_runs = stability_runs

    def _validate(self, features):
        validate_sample_cap(self.model_name, self.sample_size, MAX_SAMPLE,
                            "Ward's linkage needs memory quadratic in the sample")
        return super()._validate(features)

    def _cluster(self, X: np.ndarray):
        from sklearn.metrics import silhouette_score

        size = SILHOUETTE_SAMPLE if len(X) > SILHOUETTE_SAMPLE else None

        def silhouette(labels: np.ndarray) -> float:
            return silhouette_score(X, labels, sample_size=size,
                                    random_state=self.random_state)

        k, scores, rule, fits = search_k(len(np.unique(X, axis=0)), self.k_range, self.k,
                                         ward_cuts(X), silhouette)
        ward, centres = fits[k]
        self.nearest_ = _Nearest(X, ward)
        labels = self.nearest_.predict(X)
        self.agreement_ = float(np.mean(labels == ward))
        self._ward = ward
        return len(centres), scores, rule, labels, self.nearest_.centroids

    def _order_centres(self, centres: np.ndarray, order: list[int]) -> None:
        super()._order_centres(centres, order)
        rank = np.empty(len(order), dtype=int)
        rank[order] = np.arange(len(order))
        self.ward_labels_ = rank[self._ward]

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.nearest_.predict(X)

    def _refit(self, X: np.ndarray, k: int, seed: int) -> Callable[[np.ndarray], np.ndarray]:
        (labels, _), _, _ = ward_cuts(X)(k)
        return _Nearest(X, labels).predict
