"""Churn-risk levels from P(alive): inclusive bounds as written, engine equals numpy."""

import ibis
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custseg.config import parse_settings
from custseg.errors import ConfigError, CustsegError
from custseg.model import NotFittedError
from custseg.predict import ChurnLevels, churn_level_expr, churn_levels


def test_default_cut_points_are_inclusive_as_written():
    p = [1.0, 0.7, 0.6999999, 0.5, 0.3, 0.2999999, 0.0]
    assert churn_levels(p).tolist() == ["low", "low", "medium", "medium", "medium", "high",
                                        "high"]


def test_cut_points_are_configurable_and_checked():
    assert churn_levels([0.8, 0.5], low_from=0.9, high_below=0.6).tolist() == ["medium", "high"]
    assert churn_levels([0.5], low_from=0.5, high_below=0.5).tolist() == ["low"]
    with pytest.raises(CustsegError, match="high_below"):
        churn_levels([0.5], low_from=0.3, high_below=0.7)
    with pytest.raises(CustsegError):
        ChurnLevels(low_from=1.5).fit()
    with pytest.raises(NotFittedError):
        ChurnLevels().assign(ibis.memtable({"customer_id": ["a"], "p_alive": [0.5]}))


@settings(deadline=None, max_examples=30)
@given(st.lists(st.one_of(st.none(), st.floats(0, 1)), min_size=1, max_size=30))
def test_engine_levels_equal_numpy_and_null_stays_null(values):
    t = ibis.memtable({"customer_id": [str(i) for i in range(len(values))],
                       "p_alive": values}, schema={"customer_id": "string",
                                                   "p_alive": "float64"})
    got = t.mutate(level=churn_level_expr(t.p_alive)).order_by(
        t.customer_id.cast("int64")).execute().level.tolist()
    expected = [None if v is None else str(churn_levels([v])[0]) for v in values]
    assert [None if g is None or g != g else g for g in got] == expected


def test_prediction_settings_defaults_and_mistakes():
    cfg = parse_settings({}).prediction
    assert (cfg.time_unit, cfg.horizon, cfg.annual_discount_rate, cfg.churn_horizon_days,
            cfg.churn_levels.low_from, cfg.churn_levels.high_below) == ("W", 52, 0.1, 90,
                                                                         0.7, 0.3)
    with pytest.raises(ConfigError, match="high_below 0.8 is above low_from 0.7"):
        parse_settings({"prediction": {"churn_levels": {"high_below": 0.8}}})
    with pytest.raises(ConfigError, match="did you mean 'horizon'"):
        parse_settings({"prediction": {"horizn": 10}})
    with pytest.raises(ConfigError, match="time_unit"):
        parse_settings({"prediction": {"time_unit": "M"}})


def test_levels_model_in_the_engine():
    t = ibis.memtable({"customer_id": ["a", "b", "c"], "p_alive": [0.95, 0.5, 0.05]})
    model = ChurnLevels(low_from=0.9, high_below=0.1).fit(t)
    out = model.assign(t).order_by("customer_id").execute()
    assert out.churn_level.tolist() == ["low", "medium", "high"]
    assert model.cuts_ == {"low_from": 0.9, "high_below": 0.1}
    assert np.isclose(model.get_params()["low_from"], 0.9)
