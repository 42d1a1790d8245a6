"""CLV: hand-checkable cases, units, and the engine against numpy."""

from __future__ import annotations

import numpy as np
import pytest

from custseg.clv import BetaGeoModel, CLVModel, GammaGammaModel, clv, clv_expr
from custseg.errors import CustsegError
from custseg.model import NotFittedError

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture(scope="module")
def models():
    return BetaGeoModel().set_params(**BG), GammaGammaModel().set_params(**GG)


def test_undiscounted_clv_is_purchases_times_spend(models):
    bg, gg = models
    value = clv(bg, gg, 2, 30.43, 38.86, 22.35, horizon=39, time_unit="W",
                annual_discount_rate=0.0, periods_per_year=1)
    assert value == pytest.approx(bg.expected_purchases(39, 2, 30.43, 38.86)
                                  * gg.expected_average_spend(2, 22.35), rel=1e-12)
    monthly = clv(bg, gg, 2, 30.43, 38.86, 22.35, horizon=39, time_unit="W",
                  annual_discount_rate=0.0)
    assert monthly == pytest.approx(value, rel=1e-12)


def test_discounting_and_margin(models):
    bg, gg = models
    args = (bg, gg, [0, 2, 10], [0.0, 30.43, 38.0], [38.86] * 3, [0.0, 22.35, 40.0])
    plain = clv(*args, horizon=104, time_unit="W", annual_discount_rate=0.0)
    discounted = clv(*args, horizon=104, time_unit="W", annual_discount_rate=0.15)
    assert (discounted < plain).all() and (discounted > 0).all()
    half = clv(*args, horizon=104, time_unit="W", annual_discount_rate=0.15, margin=0.5)
    np.testing.assert_allclose(half, discounted / 2)


def test_time_unit_must_match_the_model(models):
    bg, gg = models
    with pytest.raises(CustsegError, match="'W'"):
        clv(bg, gg, 1, 1.0, 2.0, 10.0, horizon=365, time_unit="D")


def test_engine_equals_numpy(cdnow_summary):
    model = CLVModel(horizon=52, annual_discount_rate=0.1).fit(cdnow_summary)
    out = model.assign(cdnow_summary).to_pandas().set_index("customer_id")
    rows = cdnow_summary.to_pandas().set_index("customer_id").loc[out.index]
    args = (rows.frequency, rows.recency, rows["T"])
    expected = clv(model.transactions_, model.spend_, *args, rows.monetary_value,
                   horizon=52, time_unit="W", annual_discount_rate=0.1)
    np.testing.assert_allclose(out.clv, expected, rtol=1e-10)
    np.testing.assert_allclose(out.expected_purchases,
                               model.transactions_.expected_purchases(52, *args), rtol=1e-10)
    assert list(out.columns) == ["p_alive", "expected_purchases", "expected_spend", "clv"]


def test_unfitted(models):
    bg, _ = models
    with pytest.raises(NotFittedError):
        clv_expr(bg, GammaGammaModel(), None, horizon=52, time_unit="W")
    with pytest.raises(NotFittedError):
        CLVModel().assign(None)
