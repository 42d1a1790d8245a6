"""Optional PCA or factor reduction of the scaled clustering features, in pandas and the engine.

Both are linear maps learned on the fitting sample, ``scores = (x − mean) · M``: for PCA ``M``
holds the principal axes (scikit-learn ``PCA.transform`` without whitening); for factor
analysis it is the posterior-mean projection of ``FactorAnalysis.transform``. Being linear,
the same map is written as an Ibis expression, so every customer is projected by the engine.

``explained`` is the share of the sample's total variance each component accounts for: the
explained variance ratio of PCA, or a factor's sum of squared loadings over the total
variance for factor analysis.

>>> import numpy as np
>>> X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.1]])
>>> r = Reduction.learn(X, ["a", "b"], "pca", 1)
>>> r.names, [round(v, 4) for v in r.explained]
(['PC1'], [0.9999])
>>> from sklearn.decomposition import PCA
>>> np.allclose(r.frame(X), PCA(n_components=1, svd_solver="full").fit_transform(X))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np

from custseg.errors import ConfigError
from custseg.segment.scaling import lit

METHODS = ("none", "pca", "factor")


@dataclass(frozen=True)
class Reduction:
    """A learned linear reduction: ``(x − mean) · matrix``, one column per component."""

    method: str
    features: list[str]
    mean: list[float]
    matrix: list[list[float]]  # n_features × n_components
    explained: list[float]
    names: list[str]

    @classmethod
    def learn(cls, X: np.ndarray, features: Sequence[str], method: str, n_components: int,
              *, random_state: int = 0) -> Reduction:
        """Fit PCA (``method="pca"``) or factor analysis (``"factor"``) on scaled ``X``."""
        from sklearn.decomposition import PCA, FactorAnalysis

        if method not in METHODS[1:]:
            raise ConfigError(f"reduction must be one of {METHODS}, got {method!r}")
        n = min(n_components, X.shape[1], max(len(X) - 1, 1))
        if n < 1:
            raise ConfigError("reduction: n_components must be at least 1")
        total = float(np.var(X, axis=0, ddof=1).sum()) if len(X) > 1 else 0.0
        if method == "pca":
            model = PCA(n_components=n, svd_solver="full", random_state=random_state).fit(X)
            matrix = model.components_.T
            explained = model.explained_variance_ratio_.tolist()
            names = [f"PC{i + 1}" for i in range(n)]
        else:
            model = FactorAnalysis(n_components=n, random_state=random_state).fit(X)
            w = model.components_ / model.noise_variance_
            cov = np.linalg.inv(np.eye(n) + w @ model.components_.T)
            matrix = w.T @ cov
            loadings = (model.components_ ** 2).sum(axis=1)
            explained = (loadings / total if total > 0 else np.zeros(n)).tolist()
            names = [f"F{i + 1}" for i in range(n)]
        return cls(method, list(features), model.mean_.tolist(), matrix.tolist(),
                   [float(v) for v in explained], names)

    def frame(self, X: np.ndarray) -> np.ndarray:
        """The component scores of scaled rows ``X``."""
        return (X - np.asarray(self.mean)) @ np.asarray(self.matrix)

    def exprs(self, columns: Sequence[ibis.Value]) -> list[ibis.Value]:
        """The component scores as Ibis expressions of the scaled feature expressions."""
        centred = [c - lit(m) for c, m in zip(columns, self.mean, strict=True)]
        return [sum((x * lit(row[j]) for x, row in zip(centred, self.matrix, strict=True)),
                    start=lit(0.0))
                for j in range(len(self.names))]

    def report(self) -> dict:
        """Method, components, explained variance (per component and in total), loadings."""
        return {"method": self.method, "components": self.names,
                "explained": self.explained, "explained_total": float(sum(self.explained)),
                "loadings": {f: dict(zip(self.names, row, strict=True))
                             for f, row in zip(self.features, self.matrix, strict=True)}}

