"""Supervised purchase models validated on a later period, never on a random split across time.

Shared by `custseg.predict.churn` and `custseg.predict.propensity`. With the as-of date D and
the label horizon N (days):

- training: features as of D1 = D − 2N, labels from orders in (D1, D1 + N];
- validation: features as of D2 = D − N, labels from orders in (D2, D];
- scoring: the model is fitted again on the validation period (the latest one whose labels
  are known) and applied to the features as of D.

A label period never overlaps the features it is paired with, and no order after D is read.
A purchase is an order that is neither cancelled nor a refund (`custseg.features.orders`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import Self

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from custseg.errors import CustsegError
from custseg.features.orders import order_kind
from custseg.model import Model

NOT_FEATURES = ("customer_id", "label", "as_of")
BATCH_ROWS = 100_000
MAX_IMPORTANCE_ROWS = 5_000
SINGLE_THREAD_ROWS = 200_000


def _threads(rows: int):
    """One OpenMP thread below `SINGLE_THREAD_ROWS` rows: faster there, and immune to the
    spin-waiting that makes multi-threaded fits many times slower on a busy machine."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1 if rows < SINGLE_THREAD_ROWS else None,
                             user_api="openmp")


def purchases(orders: ibis.Table) -> ibis.Table:
    """Orders that count as purchases: not cancelled, not a refund (status or amount < 0)."""
    status = orders.status if "status" in orders.columns else ibis.null("string")
    return orders.filter(order_kind(status, orders.amount) == "order")


def with_label(features: ibis.Table, orders: ibis.Table, *, as_of: date, days: int,
               purchased: bool = True) -> ibis.Table:
    """``features`` plus ``label``: 1 when the customer made (``purchased``) or did not make
    (``not purchased``) a purchase with ``as_of < order_date ≤ as_of + days``, else 0.

    >>> import datetime as dt
    >>> f = ibis.memtable({"customer_id": ["a", "b"], "x": [1.0, 2.0]})
    >>> o = ibis.memtable({"customer_id": ["a", "b"], "amount": [5.0, 5.0],
    ...                    "order_date": [dt.date(2020, 1, 10), dt.date(2020, 3, 1)]})
    >>> t = with_label(f, o, as_of=dt.date(2020, 1, 1), days=30)
    >>> t.order_by("customer_id").execute().label.tolist()
    [1, 0]
    """
    p = purchases(orders)
    day = p.order_date.cast("date")
    end = as_of + timedelta(days=days)
    bought = (p.filter((day > as_of) & (day <= end)).select("customer_id").distinct()
              .mutate(_bought=ibis.literal(True)))
    joined = features.left_join(bought, "customer_id")
    hit = joined._bought.notnull()
    return joined.select(*[joined[c] for c in features.columns if c != "label"],
                         label=(hit if purchased else ~hit).cast("int8"))


def numeric_columns(features: ibis.Table) -> list[str]:
    """The numeric and boolean columns of ``features`` a classifier can use."""
    return [name for name, typ in features.schema().items()
            if name not in NOT_FEATURES and (typ.is_numeric() or typ.is_boolean())]


def _matrix(table: pa.Table, columns: list[str]) -> np.ndarray:
    if not columns:
        return np.empty((table.num_rows, 0))
    return np.column_stack([table[c].cast(pa.float64()).to_numpy(zero_copy_only=False)
                            for c in columns])


def top_decile_precision(y: np.ndarray, score: np.ndarray) -> float:
    """Share of positives among the 10 % highest scores (at least one customer).

    >>> top_decile_precision(np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1]), np.arange(10.0))
    1.0
    """
    k = max(1, math.ceil(len(y) / 10))
    order = np.argsort(-score, kind="stable")
    return float(np.mean(y[order[:k]]))


def calibration_deciles(y: np.ndarray, score: np.ndarray) -> list[dict]:
    """Deciles of the predicted probability (1 = lowest): customers, mean predicted, observed."""
    frame = pd.DataFrame({"y": y, "p": score})
    groups = min(10, len(frame))
    frame["decile"] = pd.qcut(frame.p.rank(method="first"), groups, labels=False) + 1
    out = frame.groupby("decile").agg(customers=("y", "size"), predicted=("p", "mean"),
                                      observed=("y", "mean")).reset_index()
    return [{"decile": int(r.decile), "customers": int(r.customers),
             "predicted": float(r.predicted), "observed": float(r.observed)}
            for r in out.itertuples(index=False)]


class TimeSplitClassifier(Model):
    """A gradient-boosted classifier of a purchase label, fitted and validated over time.

    Subclasses set ``purchased`` (the positive class: a purchase, or no purchase) and
    ``output`` (the name of the predicted probability column).

    ``fit`` and ``assign`` pull the feature columns into Python (``assign`` in batches of
    `BATCH_ROWS` rows, as Arrow) because scikit-learn scores in memory; ``assign`` returns
    the scores as an in-memory Ibis table (a memtable) keyed by ``customer_id``.

    Parameters
    ----------
    horizon_days
        N: the label looks at the N days after the features' as-of date.
    columns
        Feature columns to use; default every numeric and boolean column (`numeric_columns`).
        Columns without any value in the training rows are left out (see ``columns_``).
    max_iter, learning_rate
        Of scikit-learn's ``HistGradientBoostingClassifier``.
    random_state
        Seed of the classifier and of the permutation importance.

    Attributes
    ----------
    estimator_ : HistGradientBoostingClassifier
    columns_ : list of str
    n_train_, positive_rate_ : int, float
        Training rows and their share of positives.
    validation_ : dict
        After `fit_time_split`: the validation report (see `evaluate`) and the periods.
    """

    purchased: bool = True
    output: str = "probability"

    def __init__(self, *, horizon_days: int = 90, columns: list[str] | None = None,
                 max_iter: int = 100, learning_rate: float = 0.1, random_state: int = 0):
        self.horizon_days = horizon_days
        self.columns = columns
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _new(self) -> Self:
        return type(self)(**self.get_params())

    def fit(self, features: ibis.Table) -> Self:
        """Fit on a feature table with a ``label`` column (see `with_label`)."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        if self.horizon_days < 1:
            raise CustsegError(f"horizon_days must be at least 1, not {self.horizon_days}")
        if "label" not in features.columns:
            raise CustsegError("the training features need a label column (see with_label)")
        columns = list(self.columns) if self.columns else numeric_columns(features)
        # sorted, so the fit (early stopping draws rows) is independent of the row order
        data = features.order_by("customer_id").select(*columns, "label").to_pyarrow()
        y = data["label"].to_numpy(zero_copy_only=False).astype(int)
        # a column without any value (e.g. no channel data) carries nothing and breaks binning
        columns = [c for c in columns if data[c].null_count < len(y)]
        if len(np.unique(y)) < 2:
            raise CustsegError(
                f"every customer of the training period has the same label ({y[:1].tolist()}); "
                f"a {self.horizon_days}-day model needs customers who bought and who did not")
        with _threads(len(y)):
            self.estimator_ = HistGradientBoostingClassifier(
                max_iter=self.max_iter, learning_rate=self.learning_rate,
                random_state=self.random_state).fit(_matrix(data, columns), y)
        self.columns_ = columns
        self.n_train_ = len(y)
        self.positive_rate_ = float(y.mean())
        return self

    def predict_proba(self, data: pa.Table) -> np.ndarray:
        """Probability of the positive class for the rows of an Arrow table of features."""
        self.check_fitted()
        with _threads(data.num_rows):
            return self.estimator_.predict_proba(_matrix(data, self.columns_))[:, 1]

    def assign(self, features: ibis.Table) -> ibis.Table:
        """``customer_id`` and the probability column ``output``, scored in batches."""
        self.check_fitted()
        ids, scores = [], []
        for batch in features.select("customer_id", *self.columns_).to_pyarrow_batches(
                chunk_size=BATCH_ROWS):
            table = pa.Table.from_batches([batch])
            ids.append(table["customer_id"].cast(pa.string()))
            scores.append(self.predict_proba(table))
        column_ids = pa.chunked_array([c for a in ids for c in a.chunks], type=pa.string())
        values = np.concatenate(scores) if scores else np.empty(0)
        return ibis.memtable(pa.table({"customer_id": column_ids,
                                       self.output: pa.array(values, pa.float64())}))

    def evaluate(self, features: ibis.Table, *, top: int = 5) -> dict:
        """Validation figures on a labelled feature table of a later period.

        Returns ``customers``, ``positive_rate``, ``auc`` (None when every label is the
        same), ``top_decile_precision`` and its ``lift`` over the positive rate,
        ``calibration`` (`calibration_deciles`) and ``top_factors``: the ``top`` features
        whose permutation lowers the AUC most (``importance`` = mean AUC drop).
        """
        from sklearn.inspection import permutation_importance
        from sklearn.metrics import roc_auc_score

        self.check_fitted()
        data = features.order_by("customer_id").select(*self.columns_, "label").to_pyarrow()
        y = data["label"].to_numpy(zero_copy_only=False).astype(int)
        if len(y) == 0:
            raise CustsegError("no customers in the validation period")
        score = self.predict_proba(data)
        both = len(np.unique(y)) == 2
        rate = float(y.mean())
        precision = top_decile_precision(y, score)
        factors = []
        if both:
            with _threads(min(len(y), MAX_IMPORTANCE_ROWS)):
                imp = permutation_importance(
                    self.estimator_, _matrix(data, self.columns_), y, scoring="roc_auc",
                    n_repeats=3, random_state=self.random_state,
                    max_samples=min(1.0, MAX_IMPORTANCE_ROWS / len(y)))
            order = np.argsort(-imp.importances_mean, kind="stable")[:top]
            factors = [{"feature": self.columns_[i],
                        "importance": float(imp.importances_mean[i]),
                        "std": float(imp.importances_std[i])} for i in order]
        return {
            "customers": len(y), "positive_rate": rate,
            "auc": float(roc_auc_score(y, score)) if both else None,
            "top_decile_precision": precision,
            "lift": precision / rate if rate > 0 else None,
            "calibration": calibration_deciles(y, score),
            "top_factors": factors,
        }

    def fit_time_split(self, features_at: Callable[[date], ibis.Table], orders: ibis.Table,
                       *, as_of: date) -> Self:
        """Fit on D − 2N, validate on D − N, then refit on D − N for scoring as of D.

        ``features_at(day)`` returns the feature table as of ``day`` (no order after ``day``
        may feed it); ``orders`` gives the labels. Sets ``validation_`` (the `evaluate`
        report on the later period, plus ``label``, ``horizon_days`` and the periods).
        """
        n = self.horizon_days
        d1, d2 = as_of - timedelta(days=2 * n), as_of - timedelta(days=n)
        label = {"orders": orders, "days": n, "purchased": self.purchased}
        train = with_label(features_at(d1), **label, as_of=d1)
        valid = with_label(features_at(d2), **label, as_of=d2)
        if train.count().to_pyarrow().as_py() == 0:
            raise CustsegError(f"no customer had ordered by {d1} (D − {2 * n} days): a "
                               f"{n}-day model needs {2 * n} days of history before D")
        report = self._new().fit(train).evaluate(valid)
        self.fit(valid)
        self.validation_ = {
            "label": ("purchase" if self.purchased else "no purchase") + f" in the next {n} days",
            "horizon_days": n,
            "train_features_as_of": d1, "train_labels": [d1 + timedelta(days=1), d2],
            "validation_features_as_of": d2, "validation_labels": [d2 + timedelta(days=1), as_of],
            "scoring_as_of": as_of, **report,
        }
        return self
