"""Supervised models on generated data: planted answers, time-split correctness, contract."""

from datetime import date, timedelta

import ibis
import numpy as np
import pytest

from custseg.errors import CustsegError
from custseg.features import customer_features
from custseg.model import NotFittedError
from custseg.predict import (
    ChurnClassifier,
    PurchasePropensity,
    calibration_deciles,
    top_decile_precision,
    with_label,
)
from tests.features.tiny import tables
from tests.predict.data import D, after_d, planted_orders


@pytest.fixture(scope="module")
def planted():
    ids, rows = planted_orders()
    return ids, rows


def _fit(model, ids, rows, *, as_of=D, seen=None):
    t = tables(ids, rows)

    def features_at(day):
        if seen is not None:
            seen.append(day)
        return customer_features(t, as_of=day)

    return model.fit_time_split(features_at, t["orders"], as_of=as_of), t


def _scores(model, t, as_of=D):
    out = model.assign(customer_features(t, as_of=as_of)).to_pandas()
    return out.set_index("customer_id")[model.output].sort_index()


def test_propensity_ranks_the_planted_heavy_buyers_first(planted):
    ids, rows = planted
    model, t = _fit(PurchasePropensity(horizon_days=30), ids, rows)
    report = model.validation_
    assert report["auc"] > 0.8
    # truth: a heavy buyer buys within 30 days with P = 1 − e^(−30/12) ≈ 0.92, a light one 0.14
    assert report["top_decile_precision"] > 0.8 > report["positive_rate"] + 0.25
    scores = _scores(model, t)
    heavy = scores[scores.index.str.startswith("h")]
    light = scores[scores.index.str.startswith("l")]
    assert len(scores) == len(ids) and heavy.mean() > light.mean() + 0.3
    assert report["top_factors"] and {"feature", "importance", "std"} <= set(
        report["top_factors"][0])
    assert [c["decile"] for c in report["calibration"]] == list(range(1, 11))
    assert sum(c["customers"] for c in report["calibration"]) == report["customers"]


def test_churn_is_high_for_the_light_buyers(planted):
    ids, rows = planted
    model, t = _fit(ChurnClassifier(horizon_days=90), ids, rows)
    assert model.validation_["auc"] > 0.8
    assert model.validation_["label"] == "no purchase in the next 90 days"
    scores = _scores(model, t)
    # truth: P(no purchase in 90 days) ≈ e^(−90/200) ≈ 0.64 for light, e^(−90/12) ≈ 0 for heavy
    assert scores[scores.index.str.startswith("l")].mean() > 0.5
    assert scores[scores.index.str.startswith("h")].mean() < 0.1


def test_periods_never_overlap_and_never_pass_d(planted):
    ids, rows = planted
    seen: list[date] = []
    model, _ = _fit(PurchasePropensity(horizon_days=60), ids, rows, seen=seen)
    v = model.validation_
    d1, d2 = D - timedelta(days=120), D - timedelta(days=60)
    assert set(seen) == {d1, d2} and max(seen) < D
    assert v["train_features_as_of"] == d1 and v["train_labels"] == [d1 + timedelta(1), d2]
    assert v["validation_features_as_of"] == d2
    assert v["validation_labels"] == [d2 + timedelta(1), D]
    # a label period starts the day after its features and the last one ends on D
    assert v["train_labels"][0] > v["train_features_as_of"]
    assert v["validation_labels"][0] > v["validation_features_as_of"]


def test_orders_after_d_change_nothing(planted):
    ids, rows = planted
    base, t = _fit(PurchasePropensity(horizon_days=30), ids, rows)
    leaked, t2 = _fit(PurchasePropensity(horizon_days=30), ids, rows + after_d(ids))
    # the planted orders would flip the ranking if they were read (light buyers buy 20 times)
    assert with_label(customer_features(t2, as_of=D), t2["orders"], as_of=D, days=30).filter(
        ibis._.customer_id.startswith("l") & (ibis._.label == 1)).count().execute() > 0
    for key in ("auc", "top_decile_precision", "positive_rate", "calibration"):
        assert base.validation_[key] == leaked.validation_[key]
    np.testing.assert_array_equal(_scores(base, t).to_numpy(), _scores(leaked, t2).to_numpy())


def test_labels_bounds_and_what_counts_as_a_purchase():
    d = date(2024, 1, 1)
    rows = [{"customer_id": "on_d", "order_date": d, "amount": 1.0},
            {"customer_id": "last_day", "order_date": d + timedelta(30), "amount": 1.0},
            {"customer_id": "too_late", "order_date": d + timedelta(31), "amount": 1.0},
            {"customer_id": "cancelled", "order_date": d + timedelta(5), "amount": 1.0,
             "status": "cancelled"},
            {"customer_id": "refund", "order_date": d + timedelta(5), "amount": -1.0}]
    t = tables([r["customer_id"] for r in rows], rows)
    f = t["customers"].select("customer_id")
    got = dict(with_label(f, t["orders"], as_of=d, days=30).execute()
               [["customer_id", "label"]].itertuples(index=False))
    assert got == {"on_d": 0, "last_day": 1, "too_late": 0, "cancelled": 0, "refund": 0}
    churn = dict(with_label(f, t["orders"], as_of=d, days=30, purchased=False).execute()
                 [["customer_id", "label"]].itertuples(index=False))
    assert churn == {k: 1 - v for k, v in got.items()}


def test_contract_and_user_errors(planted):
    ids, rows = planted
    t = tables(ids, rows)
    features = customer_features(t, as_of=D - timedelta(30))
    labelled = with_label(features, t["orders"], as_of=D - timedelta(30), days=30)
    with pytest.raises(NotFittedError):
        PurchasePropensity().assign(features)
    with pytest.raises(CustsegError, match="label"):
        PurchasePropensity().fit(features)
    with pytest.raises(CustsegError, match="same label"):
        PurchasePropensity().fit(labelled.mutate(label=ibis.literal(1).cast("int8")))
    model = PurchasePropensity(horizon_days=30, max_iter=20)
    assert model.get_params()["horizon_days"] == 30 and model.output == "propensity_30d"
    a = model.fit(labelled).assign(features).to_pandas()
    b = model.fit_assign(labelled).to_pandas()
    a, b = (x.sort_values("customer_id", ignore_index=True) for x in (a, b))
    assert a.columns.tolist() == ["customer_id", "propensity_30d"]
    assert a.equals(b) and a.customer_id.is_unique and len(a) == len(ids)
    assert a.propensity_30d.between(0, 1).all()
    assert "margin" not in model.columns_  # no cost data: a column without values is left out
    with pytest.raises(CustsegError, match="days of history"):
        _fit(PurchasePropensity(horizon_days=400), ids, rows)


def test_metrics_by_hand():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    score = np.linspace(1, 0, 20)  # the two highest scores are the first two customers
    assert top_decile_precision(y, score) == 1.0
    assert top_decile_precision(y, -score) == 0.5
    cal = calibration_deciles(y, score)
    assert [c["customers"] for c in cal] == [2] * 10
    assert cal[-1]["observed"] == 1.0 and cal[0]["observed"] == 0.5
