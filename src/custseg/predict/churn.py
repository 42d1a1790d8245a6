"""Churn risk: levels from the BG/NBD probability alive, and a supervised churn classifier.

Levels (SPEC §5 "churn-risk level"), with cut points ``low_from`` and ``high_below`` (default
0.7 and 0.3)::

    P(alive) ≥ low_from                 → low     低
    high_below ≤ P(alive) < low_from    → medium  中
    P(alive) < high_below               → high    高

BG/NBD gives P(alive) = 1 to a customer without a repeat purchase (they cannot have dropped
out after a purchase they never repeated), so every one-time buyer is "low" risk however long
ago they bought; the classifier's ``churn_probability`` ranks them by recency as well.

The classifier predicts "no purchase in the next N days" (default 90) and is validated on a
later period than it is trained on (`custseg.predict._supervised`). `p_alive_baseline` scores
the same validation customers with 1 − P(alive) of a BG/NBD fitted on the purchases up to
D − N, and `compare_with_baseline` says whether the classifier beats it.
"""

from __future__ import annotations

from datetime import date
from typing import Self

import ibis
import numpy as np

from custseg.errors import CustsegError
from custseg.model import Model
from custseg.predict._supervised import TimeSplitClassifier, top_decile_precision

LEVELS: dict[str, tuple[str, str]] = {"low": ("低", "low"), "medium": ("中", "medium"),
                                      "high": ("高", "high")}


def _check_cuts(low_from: float, high_below: float) -> None:
    if not 0 <= high_below <= low_from <= 1:
        raise CustsegError(f"churn level cut points need 0 ≤ high_below ≤ low_from ≤ 1; got "
                           f"high_below={high_below}, low_from={low_from}")


def churn_levels(p_alive, *, low_from: float = 0.7, high_below: float = 0.3) -> np.ndarray:
    """The churn-risk level of each P(alive): ``"low"``, ``"medium"`` or ``"high"``.

    >>> churn_levels([0.7, 0.69, 0.3, 0.29]).tolist()
    ['low', 'medium', 'medium', 'high']
    """
    _check_cuts(low_from, high_below)
    p = np.asarray(p_alive, dtype=float)
    return np.where(p >= low_from, "low", np.where(p < high_below, "high", "medium"))


def churn_level_expr(p_alive: ibis.Value, *, low_from: float = 0.7,
                     high_below: float = 0.3) -> ibis.Value:
    """`churn_levels` in the engine; NULL where ``p_alive`` is NULL."""
    _check_cuts(low_from, high_below)
    return ibis.cases((p_alive >= low_from, "low"), (p_alive < high_below, "high"),
                      (p_alive.notnull(), "medium"), else_=ibis.null("string"))


class ChurnLevels(Model):
    """Churn-risk levels from ``p_alive`` (see the module docstring); nothing is learned.

    >>> t = ibis.memtable({"customer_id": ["a", "b"], "p_alive": [0.9, 0.1]})
    >>> ChurnLevels().fit(t).assign(t).order_by("customer_id").execute().churn_level.tolist()
    ['low', 'high']
    """

    def __init__(self, *, low_from: float = 0.7, high_below: float = 0.3):
        self.low_from = low_from
        self.high_below = high_below

    def fit(self, features: ibis.Table | None = None) -> Self:
        _check_cuts(self.low_from, self.high_below)
        self.cuts_ = {"low_from": self.low_from, "high_below": self.high_below}
        return self

    def assign(self, features: ibis.Table) -> ibis.Table:
        """``customer_id, churn_level`` from ``features.p_alive``, in the engine."""
        self.check_fitted()
        return features.select("customer_id", churn_level=churn_level_expr(
            features.p_alive, low_from=self.low_from, high_below=self.high_below))


class ChurnClassifier(TimeSplitClassifier):
    """P(no purchase in the next ``horizon_days`` days) from the features as of D.

    Fit it with `fit_time_split` (train on D − 2N, validate on D − N, refit on D − N) or with
    ``fit`` on features that carry a ``label`` (`custseg.predict.with_label` with
    ``purchased=False``). ``assign`` gives ``customer_id, churn_probability``; it pulls the
    feature columns to Python in batches (scikit-learn scores in memory) and returns an
    in-memory table. Parameters as in `TimeSplitClassifier`.
    """

    purchased = False
    output = "churn_probability"


BASELINE_METHOD = "1 - P(alive), BG/NBD fitted up to D-N"


def p_alive_baseline(labels: ibis.Table, orders: ibis.Table, *, as_of: date,
                     time_unit: str = "W") -> dict:
    """AUC and top-decile precision of 1 − P(alive) as a churn score, on ``labels``.

    ``labels`` holds ``customer_id, label`` (1 = no purchase in the label period) of the
    validation customers, whose features are as of ``as_of`` (D − N); ``orders`` are
    purchases (`custseg.predict.purchases`). A BG/NBD (`custseg.clv.BetaGeoModel`, in
    ``time_unit``) is fitted on the summary of the orders on or before ``as_of`` only, and
    P(alive) is taken as of ``as_of``. A validation customer without a purchase by then has no
    summary row and gets P(alive) = 1, BG/NBD's value for a customer without repeat
    purchases (their number is ``without_purchase``).
    """
    from sklearn.metrics import roc_auc_score

    from custseg.clv import BetaGeoModel, rfm_summary

    seen = orders.filter(orders.order_date.cast("date") <= as_of)
    summary = rfm_summary(seen, calibration_end=as_of, time_unit=time_unit).execute()
    if summary.empty:
        raise CustsegError(f"no purchase on or before {as_of}: no BG/NBD baseline")
    model = BetaGeoModel(time_unit=time_unit).fit(summary)
    frame = labels.select("customer_id", "label").execute()
    frame = frame.merge(summary[["customer_id", "frequency", "recency", "T"]],
                        on="customer_id", how="left").sort_values("customer_id", kind="stable")
    known = frame.frequency.notna().to_numpy()
    p_alive = np.ones(len(frame))
    p_alive[known] = model.probability_alive(frame.frequency[known], frame.recency[known],
                                             frame["T"][known])
    y = frame.label.to_numpy().astype(int)
    score = 1.0 - p_alive
    return {"method": BASELINE_METHOD, "fitted_up_to": as_of, "time_unit": time_unit,
            "customers": len(y), "without_purchase": int((~known).sum()),
            "params": dict(model.params_),
            "auc": float(roc_auc_score(y, score)) if len(np.unique(y)) == 2 else None,
            "top_decile_precision": top_decile_precision(y, score) if len(y) else None}


def compare_with_baseline(report: dict, baseline: dict) -> dict:
    """``report`` plus ``baseline``, ``beats_baseline`` (classifier AUC > baseline AUC) and a
    one-sentence ``verdict`` in ``en`` and ``zh``."""
    auc, base = report.get("auc"), baseline.get("auc")
    if auc is None or base is None:
        beats = False
        verdict = {"en": "The classifier cannot be compared with the 1 - P(alive) baseline: "
                         "every validation customer has the same label.",
                   "zh": "无法与 1 - P(alive) 基线比较：验证期所有客户的标签相同。"}
    elif auc > base:
        beats = True
        verdict = {"en": f"The churn classifier beats the 1 - P(alive) baseline: AUC "
                         f"{auc:.3f} vs {base:.3f} on the same validation customers.",
                   "zh": f"流失分类器优于 1 - P(alive) 基线：同一批验证客户上 AUC "
                         f"{auc:.3f} 对 {base:.3f}。"}
    else:
        beats = False
        verdict = {"en": f"The churn classifier does NOT beat the 1 - P(alive) baseline: AUC "
                         f"{auc:.3f} vs {base:.3f} on the same validation customers.",
                   "zh": f"流失分类器未能超过 1 - P(alive) 基线：同一批验证客户上 AUC "
                         f"{auc:.3f} 对 {base:.3f}。"}
    return {**report, "baseline": baseline, "beats_baseline": beats, "verdict": verdict}
