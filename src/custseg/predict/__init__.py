"""Predictions per customer: churn risk, purchase propensity (SPEC §5 "Predictions").

CLV, P(alive) and expected purchases come from `custseg.clv` (buy-till-you-die models on
sufficient statistics, scipy only). This package adds what needs labels and scikit-learn:
churn-risk levels, a churn classifier and purchase propensities, each validated on a period
later than the one it is trained on.
"""

from custseg.predict._supervised import (
    TimeSplitClassifier,
    calibration_deciles,
    purchases,
    top_decile_precision,
    with_label,
)
from custseg.predict.churn import (
    LEVELS,
    ChurnClassifier,
    ChurnLevels,
    churn_level_expr,
    churn_levels,
    compare_with_baseline,
    p_alive_baseline,
)
from custseg.predict.propensity import HORIZONS_DAYS, PurchasePropensity

__all__ = [
    "HORIZONS_DAYS", "LEVELS", "ChurnClassifier", "ChurnLevels", "PurchasePropensity",
    "TimeSplitClassifier", "calibration_deciles", "churn_level_expr", "churn_levels",
    "compare_with_baseline", "p_alive_baseline", "purchases", "top_decile_precision", "with_label",
]
