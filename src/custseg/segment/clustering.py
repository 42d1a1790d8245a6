"""What the clustering segmenters share: fit on a sample, assign in the engine, explain.

`ClusterSegmenter` is the base of `kmeans`, `hierarchical` and `kprototypes`:

1. the fitting sample is the first ``sample_size`` customers who ordered and have no
   outlier-amount orders, by a hash of ``customer_id`` and ``random_state`` (deterministic,
   independent of row order);
2. each numeric feature gets its own preprocessing (`custseg.segment.scaling`), reported in
   ``preprocessing_``; an optional PCA or factor reduction follows
   (`custseg.segment.reduction`), with its explained variance in ``reduction_``;
3. the model clusters the sample, choosing K by `search_k` unless K is given;
4. clusters become segments ``C1`` … by size and are explained (`custseg.segment.
   cluster_profile`); customers who never ordered form ``N``;
5. `ClusterSegmenter.assign` scores every customer in the engine: the nearest centre by
   squared Euclidean distance in the clustering space;
6. ``charts_`` holds the report's chart data (K curve, profile heatmap, 2-D PCA scatter of at
   most `SCATTER_ROWS` sample customers) and ``stability_`` the bootstrap agreement.

K is chosen by `custseg.segment.k_choice.search_k`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd

from custseg.errors import ConfigError
from custseg.model import Segment, Segmenter
from custseg.segment import cluster_profile
from custseg.segment.k_choice import single_thread
from custseg.segment.reduction import METHODS, Reduction
from custseg.segment.result import Notice
from custseg.segment.scaling import FeatureTransform, lit

RFM = ("recency_days", "frequency", "monetary")
NEVER = Segment("N", "从未下单", "never ordered", "has_ordered = false (R = ∞)", "首单激励")
SCATTER_ROWS = 2_000
STABILITY_LOW = 0.8
TRANSFORMS = ("auto", "log", "none")


def _round(values, digits: int = 5) -> list:
    return [None if v is None or not np.isfinite(v) else round(float(v), digits)
            for v in values]


class ClusterSegmenter(Segmenter):
    """Base of the clustering segmenters; subclasses implement `_cluster`, `_predict` and
    `_refit` and keep their fitted estimator in ``estimator_attr``."""

    model_name = "cluster"
    estimator_attr = "estimator_"
    settings_keys: tuple[str, ...] = ("sample_size", "random_state", "transforms", "reduction",
                                      "n_components", "stability_runs")

    @classmethod
    def from_settings(cls, settings: Any) -> Self:
        """From ``[segmentation]`` (``k``, ``k_range``, ``cluster_features``) and
        ``[segmentation.clustering]``; unset values keep the model's defaults."""
        kwargs: dict[str, Any] = {}
        for key, name in (("k", "k"), ("k_range", "k_range"), ("features", "cluster_features")):
            value = getattr(settings, name, None)
            if value is not None:
                kwargs[key] = tuple(value) if isinstance(value, list) else value
        section = getattr(settings, "clustering", None)
        for key in cls.settings_keys if section is not None else ():
            value = getattr(section, key, None)
            if value is not None:
                kwargs[key] = tuple(value) if isinstance(value, list) else value
        return cls(**kwargs)

    @property
    def needs_inputs(self) -> bool:
        """Whether a feature comes from `custseg.segment.inputs` (gender, age band …)."""
        from custseg.segment.inputs import INPUTS

        return any(f in INPUTS for f in self._wanted())

    def required_features(self) -> list[str]:
        """The columns read: the features, and what marks never-ordered and outliers."""
        return list(dict.fromkeys(["has_ordered", "recency_days", "outlier_orders",
                                   *self._wanted()]))

    def _wanted(self, schema=None) -> list[str]:
        """Columns the model reads (given the table's schema when known)."""
        return list(self.features)

    # -- validation and sample -------------------------------------------------------------
    def _validate(self, features: ibis.Table) -> list[str]:
        schema, name = features.schema(), self.model_name
        cols = self._wanted(schema)
        missing = [c for c in ["customer_id", *cols] if c not in schema]
        if missing:
            numeric = ", ".join(c for c in schema.names if schema[c].is_numeric())
            raise ConfigError(f"{name}: the feature table lacks {', '.join(missing)}; "
                              f"numeric features: {numeric}")
        self._numeric, self._categorical = self._split(schema)
        lo, hi = self.k_range
        if not 2 <= lo <= hi:
            raise ConfigError(f"{name}: k_range must be 2 ≤ low ≤ high, got {self.k_range}")
        if self.k is not None and self.k < 2:
            raise ConfigError(f"{name}: k must be at least 2, got {self.k}")
        if self.transforms not in TRANSFORMS:
            raise ConfigError(f"{name}: transforms must be one of {TRANSFORMS}")
        if self.reduction not in METHODS or self.n_components < 1:
            raise ConfigError(f"{name}: reduction must be one of {METHODS} with "
                              "n_components ≥ 1")
        if self.sample_size < 2:
            raise ConfigError(f"{name}: sample_size must be at least 2")
        return self._numeric + self._categorical

    def _split(self, schema) -> tuple[list[str], list[str]]:
        """(numeric, categorical) features; only numeric ones here."""
        bad = [c for c in self.features if not schema[c].is_numeric()]
        if bad or not list(self.features):
            raise ConfigError(f"{self.model_name}: features must be numeric columns, got "
                              f"{bad or list(self.features)}")
        return list(self.features), []

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

    # -- the clustering space ----------------------------------------------------------------
    def _scaled(self, frame: pd.DataFrame) -> np.ndarray:
        return np.column_stack([t.frame(frame[t.feature]) for t in self.transforms_])

    def _reduce(self, scaled: np.ndarray) -> np.ndarray:
        return self.reduction_.frame(scaled) if self.reduction_ is not None else scaled

    def transform_frame(self, frame: pd.DataFrame) -> Any:
        """Rows of ``frame`` in the space the estimator sees (the reference for `assign`)."""
        self.check_fitted()
        return self._reduce(self._scaled(frame))

    def _take(self, X: Any, rows: np.ndarray) -> Any:
        return X[rows]

    def _distinct(self, X: Any) -> int:
        return len(np.unique(X, axis=0))

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, features: ibis.Table) -> Self:
        """Sample, learn the preprocessing, choose K, fit, name and explain the clusters."""
        cols = self._validate(features)
        df = self._sample(features, cols)
        has_never = bool(features.filter(self._never(features)).count().execute())
        self.dimensions_, self.n_sample_ = cols, len(df)
        self.categorical_ = list(self._categorical)
        if df.empty:
            return self._fit_nothing(cols, has_never)
        self.transforms_ = [FeatureTransform.learn(c, df[c], self.transforms)
                            for c in self._numeric]
        self.preprocessing_ = [t.report() for t in self.transforms_]
        self.scaler_ = {"center": {t.feature: t.center for t in self.transforms_},
                        "scale": {t.feature: t.scale for t in self.transforms_}}
        scaled = self._scaled(df)
        self.reduction_ = (None if self.reduction == "none" else Reduction.learn(
            scaled, self._numeric, self.reduction, self.n_components,
            random_state=self.random_state))
        X = self.transform_frame(df)
        with single_thread():
            k, scores, rule, labels, centres = self._cluster(X)
        self.k_, self.k_scores_, self.k_rule_ = k, scores, rule
        sizes = np.bincount(labels, minlength=k)
        order = sorted(range(k), key=lambda j: (-sizes[j], tuple(centres[j])))
        rank = np.empty(k, dtype=int)
        rank[order] = np.arange(k)
        ids = [f"C{j + 1}" for j in range(k)]
        self.label_ids_ = [ids[rank[j]] for j in range(k)]
        self._order_centres(centres, order)
        self._describe(df, scaled, rank[labels], ids)
        self.segments_ += [NEVER] if has_never else []
        self.charts_ = self._charts(scaled, rank[labels], ids)
        self.stability_ = (self._stability_on(X, self.stability_runs)
                           if self.stability_runs else None)
        self.notices_ = self._notices()
        self.charts_["clustering"] = self.report()
        return self

    def _order_centres(self, centres: np.ndarray, order: list[int]) -> None:
        self.cluster_centers_ = np.asarray(centres, dtype="float64")[order]

    def _fit_nothing(self, cols: list[str], has_never: bool) -> Self:
        """No customer has ordered: no clusters, only ``N``."""
        self.transforms_, self.preprocessing_, self.reduction_ = [], [], None
        self.scaler_ = {"center": {}, "scale": {}}
        self.k_, self.k_scores_, self.k_rule_ = 0, [], "no customer has ordered"
        setattr(self, self.estimator_attr, None)
        self.label_ids_, self.cluster_centers_ = [], np.empty((0, len(cols)))
        self.profile_, self.rules_, self.fidelity_, self.ranges_ = pd.DataFrame(), {}, 1.0, {}
        self.segments_ = [NEVER] if has_never else []
        self.charts_, self.stability_, self.notices_ = {}, None, []
        return self

    def _numeric_centres(self, scaled: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Centres in the scaled feature space: the fitted centres, or member means when the
        clustering ran on reduced components."""
        if self.reduction_ is None:
            return np.asarray(self.cluster_centers_, dtype="float64")[:, :scaled.shape[1]]
        return np.vstack([scaled[labels == j].mean(axis=0) if np.any(labels == j)
                          else np.full(scaled.shape[1], np.nan) for j in range(self.k_)])

    def _tree_frame(self, filled: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
        return filled

    def _ranges(self, filled: pd.DataFrame, df: pd.DataFrame, members: np.ndarray,
                lang: str) -> str:
        return cluster_profile.ranges(filled[members], lang)

    def _describe(self, df: pd.DataFrame, scaled: np.ndarray, labels: np.ndarray,
                  ids: list[str]) -> None:
        numeric = [t.feature for t in self.transforms_]
        mean, std = scaled.mean(axis=0), scaled.std(axis=0)
        z = (self._numeric_centres(scaled, labels) - mean) / np.where(std > 0, std, 1.0)
        self.z_ = np.nan_to_num(z)
        filled = df[numeric].astype("float64").fillna({t.feature: t.fill
                                                       for t in self.transforms_})
        self.profile_ = cluster_profile.profile(filled, self.z_, labels, ids)
        self.rules_, self.fidelity_ = cluster_profile.surrogate_rules(
            self._tree_frame(filled, df), labels, ids, random_state=self.random_state)
        named = cluster_profile.unique_names([dict(zip(numeric, row, strict=True))
                                              for row in self.z_])
        self.ranges_ = {seg: {lang: self._ranges(filled, df, labels == j, lang)
                              for lang in ("zh", "en")} for j, seg in enumerate(ids)}
        self.segments_ = [Segment(seg, zh, en, self.ranges_[seg]["en"])
                          for seg, (zh, en) in zip(ids, named, strict=True)]

    # -- chart data and reports ---------------------------------------------------------------
    def _charts(self, scaled: np.ndarray, labels: np.ndarray, ids: list[str]) -> dict:
        from sklearn.decomposition import PCA

        n = len(scaled)
        rng = np.random.default_rng(self.random_state)
        rows = np.sort(rng.choice(n, SCATTER_ROWS, replace=False)) if n > SCATTER_ROWS \
            else np.arange(n)
        if scaled.shape[1] >= 2 and n >= 2 and scaled.var(axis=0).sum() > 0:
            pca = PCA(n_components=2, svd_solver="full").fit(scaled)
            xy, explained = pca.transform(scaled[rows]), pca.explained_variance_ratio_
        else:
            xy = np.column_stack([scaled[rows, 0], np.zeros(len(rows))])
            explained = [1.0, 0.0]
        names = {s.id: s for s in self.segments_}
        return {
            "k_curve": {"k": [s["k"] for s in self.k_scores_],
                        "inertia": _round([s["inertia"] for s in self.k_scores_], 6),
                        "silhouette": _round([s["silhouette"] for s in self.k_scores_]),
                        "chosen": self.k_},
            "profile_heatmap": {"features": [t.feature for t in self.transforms_],
                                "segments": ids,
                                "names": {"zh": [names[i].name_zh for i in ids],
                                          "en": [names[i].name_en for i in ids]},
                                "z": [_round(row, 4) for row in self.z_]},
            "pca_scatter": {"x": _round(xy[:, 0], 4), "y": _round(xy[:, 1], 4),
                            "segment": [ids[j] for j in labels[rows]],
                            "explained": _round(explained, 4)}}

    def report(self) -> dict:
        """K and why, preprocessing per feature, reduction, fidelity, rules, stability."""
        self.check_fitted()
        return {"model": self.model_name, "k": self.k_, "k_rule": self.k_rule_,
                "n_sample": self.n_sample_, "preprocessing": self.preprocessing_,
                "reduction": self.reduction_.report() if self.reduction_ else None,
                "fidelity": self.fidelity_, "rules": self.rules_, "stability": self.stability_}

    def _notices(self) -> list[Notice]:
        s = self.stability_
        if not s or s["mean_ari"] >= STABILITY_LOW:
            return []
        ari = f"{s['mean_ari']:.2f} ± {s['std_ari']:.2f}"
        return [Notice("warning", f"聚类不稳定：自助重抽样的调整兰德指数 {ari} < "
                       f"{STABILITY_LOW}，细分边界可能随数据波动，请谨慎使用或换用其他 K",
                       f"unstable clusters: bootstrap adjusted Rand index {ari} < "
                       f"{STABILITY_LOW}; the segments may move with the data, so use them "
                       "with care or try another K")]

    # -- scoring -----------------------------------------------------------------------------
    def _space_exprs(self, features: ibis.Table) -> tuple[ibis.Table, list[str]]:
        """``customer_id, _never`` and the clustering coordinates ``_z0`` … as a table."""
        scaled = {f"_s{i}": t.expr(features[t.feature]) for i, t in enumerate(self.transforms_)}
        t = features.select("customer_id", _never=self._never(features), **scaled,
                            **self._extra_columns(features))
        if self.reduction_ is not None:
            comps = self.reduction_.exprs([t[name] for name in scaled])
            t = t.select("customer_id", "_never", *self._extra_names(),
                         **{f"_z{j}": c for j, c in enumerate(comps)})
            return t, [f"_z{j}" for j in range(len(comps))]
        return t, list(scaled)

    def _extra_columns(self, features: ibis.Table) -> dict:
        return {}

    def _extra_names(self) -> list[str]:
        return []

    def _distances(self, t: ibis.Table, coords: list[str]) -> dict[str, ibis.Value]:
        return {f"_d{j}": sum(((t[c] - lit(v)) ** 2 for c, v in zip(coords, centre,
                                                                       strict=True)),
                              start=lit(0.0))
                for j, centre in enumerate(self.cluster_centers_)}

    def assign(self, features: ibis.Table) -> ibis.Table:
        """``customer_id, segment_id, distance`` computed in the engine.

        Each customer goes to the centre with the smallest distance (the first on an exact
        tie, like the estimators' predict); ``distance`` is its square root, NULL for the
        never-ordered ``N``.
        """
        self.check_fitted()
        if not self.k_:
            return features.select("customer_id", segment_id=ibis.ifelse(
                self._never(features), ibis.literal(NEVER.id), ibis.null(dt.string)),
                distance=ibis.null(dt.float64))
        t, coords = self._space_exprs(features)
        d = self._distances(t, coords)
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

    # -- stability -----------------------------------------------------------------------------
    def _stability_on(self, X: Any, n: int) -> dict:
        from sklearn.metrics import adjusted_rand_score

        if self.k_ < 2:  # one partition or none: nothing can disagree
            aris = [1.0] * n
        else:
            rng = np.random.default_rng(self.random_state)
            aris = []
            with single_thread():
                base = self._predict(X)
                size = len(base)
                for i in range(n):
                    boot = self._take(X, rng.integers(0, size, size))
                    k = min(self.k_, self._distinct(boot))
                    predict = self._refit(boot, k, self.random_state + i + 1)
                    aris.append(float(adjusted_rand_score(base, predict(X))))
        return {"k": self.k_, "n": n, "ari": aris, "mean_ari": float(np.mean(aris)),
                "std_ari": float(np.std(aris)), "min_ari": float(np.min(aris)),
                "low": bool(np.mean(aris) < STABILITY_LOW)}

    def stability(self, features: ibis.Table, n: int = 5) -> dict:
        """Agreement of re-fits on bootstrap samples with this fit (SPEC §9).

        The preprocessing and K stay fixed; each of ``n`` bootstrap re-samples of the fitted
        sample is clustered again and its labels of the whole sample are compared with this
        fit's by the adjusted Rand index (1 = identical partitions, about 0 = chance).
        Returns ``{"k", "n", "ari", "mean_ari", "std_ari", "min_ari", "low"}``; ``low``
        when the mean is below `STABILITY_LOW`.
        """
        self.check_fitted()
        if self.k_ < 2:
            return self._stability_on(None, n)
        df = self._sample(features, list(self.dimensions_))
        return self._stability_on(self.transform_frame(df), n)

    # -- what subclasses provide ---------------------------------------------------------------
    def _cluster(self, X: Any) -> tuple[int, list[dict], str, np.ndarray, np.ndarray]:
        """``(k, scores, rule, labels of X, centres)`` with labels 0 … k−1."""
        raise NotImplementedError

    def _predict(self, X: Any) -> np.ndarray:
        """Labels of rows of the clustering space by the fitted estimator (0 … k−1)."""
        raise NotImplementedError

    def _refit(self, X: Any, k: int, seed: int) -> Callable[[Any], np.ndarray]:
        """A fresh fit with ``k`` clusters on ``X``; returns its predict function."""
        raise NotImplementedError


def validate_sample_cap(model: str, sample_size: int, cap: int, why: str) -> None:
    """A ConfigError when ``sample_size`` exceeds what ``model`` can fit in memory or time."""
    if sample_size > cap:
        raise ConfigError(f"{model}: sample_size {sample_size:,} is above {cap:,} ({why}); "
                          "lower [segmentation.clustering] sample_size")

