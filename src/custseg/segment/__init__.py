"""Segmentations on the `custseg.model.Segmenter` contract, and the registry of models.

`MODELS` maps the name a user types (``custseg segment --model NAME``) to the class; each
class builds itself from the ``[segmentation]`` settings with ``from_settings``. Later models
(value matrix, tiers, lifecycle, clustering) add themselves here.

>>> sorted(MODELS)
['demographic', 'hierarchical', 'kmeans', 'kprototypes', 'lifecycle', 'rfm-rules', \
'rfm-scores', 'tiers', 'value-matrix']
>>> build("rfm-rule")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
custseg.errors.CustsegError: unknown model 'rfm-rule' (did you mean 'rfm-rules'?); models: ...
"""

from __future__ import annotations

import difflib
from typing import Any

from custseg.errors import CustsegError
from custseg.model import Segmenter
from custseg.segment.demographic import Demographic
from custseg.segment.hierarchical import HierarchicalSegmenter
from custseg.segment.kmeans import KMeansSegmenter
from custseg.segment.kprototypes import KPrototypesSegmenter
from custseg.segment.lifecycle import Lifecycle
from custseg.segment.result import SegmentResult, describe, segment_stats
from custseg.segment.rfm_rules import RFMRules
from custseg.segment.rfm_scores import RFMScores
from custseg.segment.tiers import Tiers
from custseg.segment.value_matrix import ValueMatrix

MODELS: dict[str, type[Segmenter]] = {"rfm-rules": RFMRules, "rfm-scores": RFMScores,
                                      "kmeans": KMeansSegmenter}
MODELS.update({"value-matrix": ValueMatrix, "tiers": Tiers, "lifecycle": Lifecycle,
               "demographic": Demographic})
MODELS.update({"hierarchical": HierarchicalSegmenter, "kprototypes": KPrototypesSegmenter})


def build(name: str, settings: Any = None) -> Segmenter:
    """The model called ``name``, configured from ``[segmentation]`` settings when given."""
    if name not in MODELS:
        close = difflib.get_close_matches(name, MODELS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise CustsegError(f"unknown model {name!r}{hint}; models: {', '.join(MODELS)}")
    cls = MODELS[name]
    return cls.from_settings(settings) if settings is not None else cls()


__all__ = ["MODELS", "Demographic", "HierarchicalSegmenter", "KMeansSegmenter",
           "KPrototypesSegmenter", "Lifecycle", "Tiers", "ValueMatrix",
           "RFMRules", "RFMScores", "SegmentResult", "build",
           "describe", "segment_stats"]
