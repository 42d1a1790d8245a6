"""The churn classifier's 1 − P(alive) baseline: same labels, only orders up to D − N."""

import warnings
from datetime import timedelta

import ibis
import pytest

from custseg.clv import ConvergenceWarning
from custseg.features import customer_features
from custseg.predict import compare_with_baseline, p_alive_baseline, purchases, with_label
from tests.features.tiny import tables
from tests.predict.data import D, after_d, planted_orders

N = 90
D2 = D - timedelta(days=N)


@pytest.fixture(scope="module")
def planted():
    return planted_orders(200, seed=3, dropout=0.3)


def _labels(t):
    return with_label(customer_features(t, as_of=D2).select("customer_id"),
                      purchases(t["orders"]), as_of=D2, days=N, purchased=False)


def test_baseline_ignores_orders_after_d_minus_n(planted):
    ids, rows = planted
    t = tables(ids, rows)
    labels = _labels(t)
    base = p_alive_baseline(labels, purchases(t["orders"]), as_of=D2, time_unit="W")
    # planted after D − N: the light buyers buy every 30 days up to D, then 20 times after D
    late = [{"customer_id": c, "order_date": D2 + timedelta(days=k), "amount": 500.0}
            for c in ids if c.startswith("l") for k in range(1, N + 1, 30)]
    leaked_orders = tables(ids, rows + late + after_d(ids))["orders"]
    leaked = p_alive_baseline(labels, purchases(leaked_orders), as_of=D2, time_unit="W")
    assert 0 <= base["auc"] <= 1 and 0 <= base["top_decile_precision"] <= 1
    for key in ("auc", "top_decile_precision", "customers", "without_purchase", "params"):
        assert base[key] == leaked[key], key
    # the planted orders matter when a baseline may read them (fitted up to D instead; the
    # optimiser may stop early on them, which does not matter here)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        read = p_alive_baseline(labels, purchases(leaked_orders), as_of=D, time_unit="W")
    assert read["params"] != base["params"]
    assert base["customers"] == labels.count().execute() == len(ids)
    assert base["fitted_up_to"] == D2 and base["without_purchase"] == 0
    assert base["method"] == "1 - P(alive), BG/NBD fitted up to D-N"


def test_customer_without_purchase_gets_p_alive_one(planted):
    ids, rows = planted
    t = tables(ids, rows)
    labels = _labels(t).union(ibis.memtable(
        {"customer_id": ["ghost"], "label": [1]}, schema={"customer_id": "string",
                                                          "label": "int8"}))
    out = p_alive_baseline(labels, purchases(t["orders"]), as_of=D2, time_unit="D")
    assert out["customers"] == len(ids) + 1 and out["without_purchase"] == 1
    assert out["time_unit"] == "D"


def test_comparison_verdict():
    report = {"auc": 0.8}
    won = compare_with_baseline(report, {"auc": 0.7})
    assert won["beats_baseline"] is True and "beats" in won["verdict"]["en"]
    assert won["verdict"]["zh"] and won["baseline"] == {"auc": 0.7}
    lost = compare_with_baseline(report, {"auc": 0.8})
    assert lost["beats_baseline"] is False and "does NOT beat" in lost["verdict"]["en"]
    none = compare_with_baseline({"auc": None}, {"auc": 0.7})
    assert none["beats_baseline"] is False and "cannot be compared" in none["verdict"]["en"]
