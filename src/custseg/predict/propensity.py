"""Purchase propensity: the probability of a purchase in the next H days (30 and 90 by default).

A gradient-boosted classifier on the features as of D with the label "made a purchase in
(D, D + H]", trained on D − 2H and validated on D − H, never on a random split across time
(`custseg.predict._supervised`).
"""

from __future__ import annotations

from custseg.predict._supervised import TimeSplitClassifier

HORIZONS_DAYS = (30, 90)


class PurchasePropensity(TimeSplitClassifier):
    """P(purchase in the next ``horizon_days`` days) from the features as of D.

    ``assign`` gives ``customer_id, propensity_<horizon_days>d``; it pulls the feature columns
    to Python in batches (scikit-learn scores in memory) and returns an in-memory table.
    Parameters as in `TimeSplitClassifier`; fit with `fit_time_split` or with ``fit`` on
    labelled features (`custseg.predict.with_label`).
    """

    purchased = True

    @property
    def output(self) -> str:
        return f"propensity_{self.horizon_days}d"
