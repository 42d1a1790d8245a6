"""The one contract shared by segmenters and predictors, in the spirit of scikit-learn.

``__init__`` only stores keyword-only parameters; ``fit(features)`` validates them, learns
from a feature table (an Ibis table with one row per customer) and returns ``self``; learned
attributes end in ``_``; ``assign(features)`` returns an Ibis expression keyed by
``customer_id`` that the engine evaluates, so scoring never loads every customer into Python.

>>> class Everyone(Segmenter):
...     def fit(self, features):
...         self.segments_ = [Segment("S1", "全部", "everyone")]
...         return self
...     def assign(self, features):
...         self.check_fitted()
...         return features.select("customer_id", segment_id=ibis.literal("S1"))
>>> Everyone().assign(None)
Traceback (most recent call last):
...
custseg.model.NotFittedError: Everyone is not fitted yet; call fit(features) first
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Self

import ibis

from custseg.errors import CustsegError


class NotFittedError(CustsegError, ValueError):
    """``assign`` was called before ``fit``."""


@dataclass(frozen=True)
class Segment:
    """One segment of a segmentation: id, names in both languages and how it is defined."""

    id: str
    name_zh: str
    name_en: str
    definition: str = ""
    keywords: str = ""

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


UNCLASSIFIED = Segment("U", "未分类", "unclassified", "matched no rule")


class Model:
    """Base of every segmenter and predictor: parameters, fitted state, fit/assign."""

    def get_params(self) -> dict:
        """The constructor's parameters and their current values."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {n: getattr(self, n) for n in names}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def is_fitted(self) -> bool:
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def check_fitted(self) -> None:
        if not self.is_fitted():
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; "
                                 "call fit(features) first")

    def fit(self, features: ibis.Table) -> Self:
        raise NotImplementedError

    def assign(self, features: ibis.Table) -> ibis.Table:
        raise NotImplementedError

    def fit_assign(self, features: ibis.Table) -> ibis.Table:
        return self.fit(features).assign(features)


class Segmenter(Model):
    """A model whose ``assign`` gives every customer exactly one ``segment_id``.

    After ``fit``, ``segments_`` lists the segments in display order; ``assign`` returns
    ``customer_id, segment_id`` (more columns are allowed, e.g. scores or the matched rule).
    """

    segments_: list[Segment]

    def required_features(self) -> list[str] | None:
        """The feature columns ``fit`` and ``assign`` read, known before fitting; ``None``
        means all of them. The pipeline computes only these, and the engine then skips every
        aggregate nobody reads (a distinct count over 10M orders is the costly part)."""
        return None
