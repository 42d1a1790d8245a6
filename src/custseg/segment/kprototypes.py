"""K-Prototypes for mixed numeric and categorical features (SPEC §5), with the `kmodes` package.

Huang's k-prototypes clusters on a cost that adds, per centre, the squared Euclidean distance
of the preprocessed numeric features (`custseg.segment.scaling`, optionally reduced by PCA or
factors) and ``gamma`` times the number of categorical features that differ from the centre's
mode. ``gamma`` defaults to kmodes' rule, half the mean standard deviation of the numeric
columns of the sample, and is fixed once so the costs of every K are comparable. The cost
plays the part of the inertia in choosing K; the silhouette uses the same dissimilarity on at
most `SILHOUETTE_ROWS` sample customers.

Categorical features are the text columns among ``features``, else ``categorical`` (gender
and age band by default, from `custseg.segment.inputs`); a missing value is the category
``未知/unknown``. kmodes fits in pure Python, hence the small default sample (2,000).
Every customer is assigned in the engine by the same cost (the first centre on a tie), which
equals ``KPrototypes.predict``; an unseen category differs from every mode.

>>> import ibis, numpy as np
>>> rng = np.random.default_rng(1)
>>> features = ibis.memtable({
...     "customer_id": [f"c{i}" for i in range(60)], "has_ordered": [True] * 60,
...     "monetary": np.r_[rng.normal(900, 50, 30), rng.normal(60, 10, 30)],
...     "gender": ["F"] * 30 + ["M"] * 30})
>>> model = KPrototypesSegmenter(k=2, features=("monetary", "gender")).fit(features)
>>> [(s.id, s.name_en) for s in model.segments_], model.modes_["C1"]
([('C1', 'low spend'), ('C2', 'high spend')], {'gender': ('M', 1.0)})
>>> model.assign(features).execute().segment_id.value_counts().sort_index().tolist()
[30, 30]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd

from custseg.errors import ConfigError
from custseg.features.structure import UNKNOWN
from custseg.segment import cluster_profile
from custseg.segment.clustering import ClusterSegmenter, validate_sample_cap
from custseg.segment.k_choice import search_k
from custseg.segment.scaling import lit

N_INIT = 3
SILHOUETTE_ROWS = 2_000
MAX_SAMPLE = 50_000
NUMERIC = ("recency_days", "frequency", "monetary")


def _categories(values: pd.Series) -> np.ndarray:
    return values.astype("string").fillna(UNKNOWN).astype(object).to_numpy()


def _dissimilarity(num: np.ndarray, cat: np.ndarray, gamma: float) -> np.ndarray:
    """Pairwise k-prototypes cost between rows: squared distance + gamma × mismatches."""
    sq = ((num[:, None, :] - num[None, :, :]) ** 2).sum(axis=2)
    return sq + gamma * (cat[:, None, :] != cat[None, :, :]).sum(axis=2)


class KPrototypesSegmenter(ClusterSegmenter):
    """K-Prototypes segments on numeric and categorical features; ``N`` for never-ordered.

    Parameters
    ----------
    features : sequence of str, default ("recency_days", "frequency", "monetary")
        Columns to cluster on; text columns among them are the categorical features.
    categorical : sequence of str, default ("gender", "age_band")
        Categorical features used when ``features`` has no text column.
    gamma : float, optional
        Weight of one categorical mismatch against squared scaled distance (default: kmodes'
        rule on the sample, 0.5 × mean standard deviation of the numeric columns).
    sample_size : int, default 2_000
    k, k_range, random_state, transforms, reduction, n_components, stability_runs
        As for `custseg.segment.kmeans.KMeansSegmenter`.

    Attributes
    ----------
    kprototypes_ : kmodes.kprototypes.KPrototypes
        The fitted estimator; ``label_ids_[label]`` is its label's segment id.
    gamma_ : float
    categorical_ : list of str
    cluster_modes_ : ndarray of shape (k_, n_categorical)
        The centres' modes, rows in segment order; ``modes_`` maps segment id →
        {feature: (mode, share of members)}.
    Others as for kmeans (``cluster_centers_`` holds the numeric part of the centres).
    """

    model_name = "kprototypes"
    estimator_attr = "kprototypes_"
    settings_keys = (*ClusterSegmenter.settings_keys, "categorical", "gamma")

    def __init__(self, *, features: Sequence[str] = NUMERIC,
                 categorical: Sequence[str] = ("gender", "age_band"), k: int | None = None,
                 k_range: tuple[int, int] = (3, 6), sample_size: int = 2_000,
                 random_state: int = 0, transforms: str = "auto", reduction: str = "none",
                 n_components: int = 2, gamma: float | None = None, stability_runs: int = 3):
        self.features = features
        self.categorical = categorical
        self.k = k
        self.k_range = k_range
        self.sample_size = sample_size
        self.random_state = random_state
        self.transforms = transforms
        self.reduction = reduction
        self.n_components = n_components
        self.gamma = gamma
        self.stability_runs = stability_runs

    def _wanted(self, schema=None) -> list[str]:
        """``features``, plus ``categorical`` unless a feature is a text column."""
        texts = [c for c in self.features if schema is not None and c in schema
                 and not schema[c].is_numeric()]
        return list(dict.fromkeys([*self.features, *([] if texts else self.categorical)]))

    def _validate(self, features: ibis.Table) -> list[str]:
        validate_sample_cap(self.model_name, self.sample_size, MAX_SAMPLE,
                            "kmodes fits in pure Python")
        if self.gamma is not None and self.gamma <= 0:
            raise ConfigError(f"kprototypes: gamma must be positive, got {self.gamma}")
        return super()._validate(features)

    def _split(self, schema) -> tuple[list[str], list[str]]:
        texts = [c for c in self.features if not schema[c].is_numeric()]
        numeric = [c for c in self.features if c not in texts]
        categorical = texts or [c for c in self.categorical if c not in numeric]
        if not numeric or not categorical:
            raise ConfigError("kprototypes: needs at least one numeric and one categorical "
                              f"feature, got numeric {numeric}, categorical {categorical}; "
                              "use kmeans for numeric features only")
        return numeric, categorical

    # -- the clustering space: (numeric scores, categories) ------------------------------------
    def transform_frame(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(numeric coordinates, categories) of rows of ``frame``: what `predict` sees."""
        num = super().transform_frame(frame)
        return num, np.column_stack([_categories(frame[c]) for c in self.categorical_])

    def _take(self, X, rows: np.ndarray):
        return X[0][rows], X[1][rows]

    def _distinct(self, X) -> int:
        return len({(*a, *b) for a, b in zip(X[0].tolist(), X[1].tolist(), strict=True)})

    @staticmethod
    def _joined(X) -> tuple[np.ndarray, list[int]]:
        num, cat = X
        d = num.shape[1]
        return np.hstack([num.astype(object), cat]), list(range(d, d + cat.shape[1]))

    def predict_frame(self, X) -> np.ndarray:
        """kmodes' own ``predict`` of (numeric, categories) rows, as segment positions."""
        joined, cats = self._joined(X)
        return self.kprototypes_.predict(joined, categorical=cats).astype(int)

    def _fit_one(self, X, n: int, seed: int, gamma: float):
        from kmodes.kprototypes import KPrototypes

        joined, cats = self._joined(X)
        kp = KPrototypes(n_clusters=n, init="Cao", n_init=N_INIT, gamma=gamma,
                         random_state=seed, n_jobs=1).fit(joined, categorical=cats)
        if kp.labels_ is None:  # as many distinct rows as clusters: kmodes does not iterate
            kp.labels_ = kp.predict(joined, categorical=cats)
        return kp, kp.labels_.astype(int), kp.cost_

    def _cluster(self, X):
        num, cat = X
        gamma = self.gamma if self.gamma is not None else 0.5 * float(np.mean(num.std(axis=0)))
        self.gamma_ = gamma if gamma > 0 else 1.0
        rows = np.arange(len(num))
        if len(rows) > SILHOUETTE_ROWS:
            rows = np.sort(np.random.default_rng(self.random_state).choice(
                len(num), SILHOUETTE_ROWS, replace=False))
        dissim = _dissimilarity(num[rows], cat[rows], self.gamma_)

        def silhouette(labels: np.ndarray) -> float:
            from sklearn.metrics import silhouette_score

            picked = labels[rows]
            if not 2 <= len(np.unique(picked)) < len(picked):
                return float("nan")
            return silhouette_score(dissim, picked, metric="precomputed")

        k, scores, rule, fits = search_k(
            self._distinct(X), self.k_range, self.k,
            lambda n: self._fit_one(X, n, self.random_state, self.gamma_), silhouette)
        self.kprototypes_ = fits[k]
        centroids = self.kprototypes_.cluster_centroids_
        d = num.shape[1]
        self._modes = centroids[:, d:].astype(str)
        k = len(centroids)
        return k, scores, rule, self.kprototypes_.labels_.astype(int), \
            centroids[:, :d].astype("float64")

    def _order_centres(self, centres: np.ndarray, order: list[int]) -> None:
        super()._order_centres(centres, order)
        self.cluster_modes_ = self._modes[order]

    def _predict(self, X) -> np.ndarray:
        return self.predict_frame(X)

    def _refit(self, X, k: int, seed: int) -> Callable:
        kp = self._fit_one(X, k, seed, self.gamma_)[0]

        def predict(Y) -> np.ndarray:
            joined, cats = self._joined(Y)
            return kp.predict(joined, categorical=cats).astype(int)

        return predict

    # -- explanations ----------------------------------------------------------------------
    def _tree_frame(self, filled: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
        """Numeric features plus one indicator column ``feature=value`` per category."""
        cats = pd.DataFrame({c: _categories(df[c]) for c in self.categorical_})
        dummies = pd.get_dummies(cats, prefix_sep="=", dtype="float64")
        return pd.concat([filled.reset_index(drop=True), dummies], axis=1)

    def _ranges(self, filled: pd.DataFrame, df: pd.DataFrame, members: np.ndarray,
                lang: str) -> str:
        text = cluster_profile.ranges(filled[members], lang)
        parts = []
        for c in self.categorical_:
            values = pd.Series(_categories(df[c][members]))
            if values.empty:
                continue
            share = values.value_counts(normalize=True)
            parts.append(f"{c} {share.index[0]} ({share.iloc[0]:.0%})")
        sep = "；" if lang == "zh" else "; "
        return sep.join([text, *parts])

    def _describe(self, df, scaled, labels, ids) -> None:
        super()._describe(df, scaled, labels, ids)
        self.modes_ = {}
        for j, seg in enumerate(ids):
            members = labels == j
            self.modes_[seg] = {c: (str(self.cluster_modes_[j, i]), float(np.mean(
                _categories(df[c][members]) == self.cluster_modes_[j, i])) if members.any()
                else 0.0) for i, c in enumerate(self.categorical_)}

    def report(self) -> dict:
        return super().report() | {"gamma": self.gamma_, "categorical": self.categorical_,
                                   "modes": self.modes_}

    # -- scoring ----------------------------------------------------------------------------
    def _extra_columns(self, features: ibis.Table) -> dict:
        return {f"_c{i}": features[c].cast(dt.string).fill_null(UNKNOWN)
                for i, c in enumerate(self.categorical_)}

    def _extra_names(self) -> list[str]:
        return [f"_c{i}" for i in range(len(self.categorical_))]

    def _distances(self, t: ibis.Table, coords: list[str]) -> dict[str, ibis.Value]:
        numeric = super()._distances(t, coords)
        out = {}
        for j, (name, dist) in enumerate(numeric.items()):
            mismatches = sum(((t[f"_c{i}"] != ibis.literal(str(mode))).cast(dt.int64)
                              for i, mode in enumerate(self.cluster_modes_[j])),
                             start=ibis.literal(0, type=dt.int64))
            out[name] = dist + lit(self.gamma_) * mismatches.cast(dt.float64)
        return out
