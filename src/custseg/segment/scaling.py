"""Per-feature preprocessing for clustering, the same in pandas and in the engine.

`FeatureTransform.learn` fits one feature on a sample:

1. NULLs of customers who ordered (e.g. ``aov`` when F = 0) take the sample median;
2. values are clipped to the sample's 1st and 99th percentiles, so a few extreme customers do
   not pull a centre of their own (outlier orders are *not* removed by the feature table:
   ``orders.is_outlier`` is only a flag, so clipping is what limits their weight here);
3. ``log(1 + x − shift)`` when the clipped feature's skewness exceeds 1 (mode ``"auto"``;
   ``shift`` is the lower clip bound when that is negative, e.g. net refunds, else 0); bounded
   features (shares, rates, 1–5 scores: `kind` ``"bounded"``) are never logged, since their
   skew is a property of the scale, not a long tail of big spenders;
4. robust scaling ``(x − median) / IQR``; when the IQR is 0 (most CDNOW customers have F = 0)
   the standard deviation is used, and 1 when that is 0 too.

`FeatureTransform.frame` applies it with numpy and `FeatureTransform.expr` as an Ibis
expression, with the same operations in the same order; `FeatureTransform.report` says what
was chosen for the feature and why (kind, skewness, values clipped, log, scale).

>>> import pandas as pd
>>> t = FeatureTransform.learn("monetary", pd.Series([0.0, 10, 20, 30, 40, None]), "auto")
>>> (t.fill, t.lower, t.upper, t.log, t.center, t.scale, t.scale_kind)
(20.0, 0.5, 39.5, False, 20.0, 15.0, 'IQR')
>>> t.frame(pd.Series([20.0, 60.0, None])).tolist()  # 60 is clipped to 39.5
[0.0, 1.3, 0.0]
>>> FeatureTransform.learn("monetary", pd.Series([0.0] * 8 + [10, 5000]), "auto").steps()
'NULL → 0; clip [0, 4550.9] (p1, p99); log1p (skewness 2.67 > 1); (x − 0) / 2.549 (std)'
>>> share = FeatureTransform.learn("online_share", pd.Series([0.0] * 8 + [0.1, 1]), "auto")
>>> share.kind, share.log, share.report()["log_reason"]
('bounded', False, 'bounded feature: never logged')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd

CLIP_QUANTILES = (0.01, 0.99)
SKEW_LIMIT = 1.0
# feature → kind; unknown features are "other" (treated like money and counts)
KINDS = {
    **dict.fromkeys(("monetary", "aov", "ltv_historic", "refund_total", "profit"), "money"),
    **dict.fromkeys(("frequency", "orders_total", "order_days", "outlier_orders",
                     "category_breadth", "login_count", "activity_count", "complaint_count",
                     "referral_count", "prev_frequency", "company_size"), "count"),
    **dict.fromkeys(("recency_days", "tenure_days", "interpurchase_days", "age"), "days"),
    **dict.fromkeys(("online_share", "discount_share", "margin", "top_brand_share",
                     "repurchased", "satisfaction_mean"), "bounded"),
}


def kind(feature: str) -> str:
    """``money``, ``count``, ``days``, ``bounded`` (shares, rates, scores) or ``other``."""
    if feature in KINDS:
        return KINDS[feature]
    if feature.endswith(("_share", "_rate", "_ratio")):
        return "bounded"
    return "other"


@dataclass(frozen=True)
class FeatureTransform:
    """One feature's preprocessing: fill, clip, optional log, robust scaling."""

    feature: str
    fill: float
    lower: float
    upper: float
    skewness: float
    log: bool
    shift: float
    center: float
    scale: float
    scale_kind: str
    kind: str = "other"
    clipped: int = 0

    @classmethod
    def learn(cls, feature: str, values: pd.Series, mode: str) -> FeatureTransform:
        """Learn from a sample's ``values``; ``mode`` is "auto" (log when skewness > 1 and
        the feature is not bounded), "log" or "none"."""
        from scipy.stats import skew  # imported here: slow to import

        x = values.astype("float64")
        fill = float(x.median()) if x.notna().any() else 0.0
        x = x.fillna(fill).to_numpy()
        lower, upper = (float(q) for q in np.quantile(x, CLIP_QUANTILES))
        clipped = np.minimum(np.maximum(x, lower), upper)
        n_clipped = int(np.sum((x < lower) | (x > upper)))
        skewness = float(skew(clipped)) if np.ptp(clipped) > 0 else 0.0
        feature_kind = kind(feature)
        log = mode == "log" or (mode == "auto" and skewness > SKEW_LIMIT
                                and feature_kind != "bounded")
        shift = min(lower, 0.0) if log else 0.0
        shaped = _log_np(clipped, shift) if log else clipped
        q1, median, q3 = np.quantile(shaped, (0.25, 0.5, 0.75))
        scale, scale_kind = float(q3 - q1), "IQR"
        if scale <= 0:
            scale, scale_kind = float(np.std(shaped)), "std"
        if scale <= 0:
            scale, scale_kind = 1.0, "none"
        return cls(feature, fill, lower, upper, skewness, log, shift, float(median), scale,
                   scale_kind, feature_kind, n_clipped)

    def frame(self, values: pd.Series) -> np.ndarray:
        """The transformed values, in pandas/numpy."""
        x = values.astype("float64").fillna(self.fill).to_numpy()
        x = np.minimum(np.maximum(x, self.lower), self.upper)
        if self.log:
            x = _log_np(x, self.shift)
        return (x - self.center) / self.scale

    def expr(self, value: ibis.Value) -> ibis.Value:
        """The same transform as an Ibis expression, evaluated by the engine."""
        x = value.cast(dt.float64).coalesce(lit(self.fill))
        x = ibis.greatest(ibis.least(x, lit(self.upper)), lit(self.lower))
        if self.log:
            x = ((x - lit(self.shift)) if self.shift else x) + lit(1.0)
            x = x.ln()
        return (x - lit(self.center)) / lit(self.scale)

    def steps(self) -> str:
        """The steps as text, for reports."""
        out = [f"NULL → {self.fill:g}", f"clip [{self.lower:g}, {self.upper:g}] (p1, p99)"]
        if self.log:
            out.append(f"log1p (skewness {self.skewness:.2f} > {SKEW_LIMIT:g})"
                       if not self.shift else f"log(1 + x − ({self.shift:g}))")
        out.append(f"(x − {self.center:.4g}) / {self.scale:.4g} ({self.scale_kind})")
        return "; ".join(out)

    def report(self) -> dict:
        """Every learned parameter, why the log was (not) taken, and the steps as text."""
        if self.log:
            reason = (f"skewness {self.skewness:.2f} > {SKEW_LIMIT:g}"
                      if self.skewness > SKEW_LIMIT else "log requested")
        elif self.kind == "bounded":
            reason = "bounded feature: never logged"
        else:
            reason = f"skewness {self.skewness:.2f} ≤ {SKEW_LIMIT:g}"
        return asdict(self) | {"log_reason": reason, "steps": self.steps()}


def lit(v: float) -> ibis.Value:
    """A float literal typed as DOUBLE, so the engine computes in binary floating point."""
    return ibis.literal(float(v), type=dt.float64)


def _log_np(x: np.ndarray, shift: float) -> np.ndarray:
    return np.log(((x - shift) if shift else x) + 1.0)
