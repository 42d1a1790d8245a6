"""Gamma-Gamma against Fader & Hardie, note 025, on the CDNOW sample."""

from __future__ import annotations

import ibis
import numpy as np
import pytest

from custseg.clv import GammaGammaModel, fit_gamma_gamma, rfm_summary
from custseg.errors import CustsegError
from custseg.model import NotFittedError
from tests.clv.conftest import OBSERVATION_END

PUBLISHED = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def test_published_parameters_from_the_shared_file(published_spend):
    model = GammaGammaModel().fit(published_spend)
    assert model.n_customers_ == 946 and model.converged_
    # within one unit of the published last digit: zbar rounded to cents moves gamma to 15.448
    assert model.params_ == pytest.approx(PUBLISHED, abs=0.01)
    assert model.mean_spend() == pytest.approx(35.2, abs=0.05)


def test_exact_zbar_gives_the_published_digits(cdnow_summary):
    # The shared file rounds zbar to cents, which moves gamma to 15.448; our own summary
    # keeps the exact means and lands on the note's 15.44.
    model = GammaGammaModel().fit(cdnow_summary)
    assert model.n_customers_ == 946
    assert {k: round(v, 2) for k, v in model.params_.items()} == PUBLISHED


def test_full_78_weeks_is_another_data_set(cdnow_orders):
    model = GammaGammaModel().fit(rfm_summary(cdnow_orders, calibration_end=OBSERVATION_END))
    assert model.n_customers_ == 1139
    assert {k: round(v, 2) for k, v in model.params_.items()} == pytest.approx(
        {"p": 4.68, "q": 4.19, "gamma": 24.39})


def test_sufficient_statistics_equal_per_customer_fit(published_spend):
    rows = published_spend[published_spend.frequency > 0]
    model = GammaGammaModel().fit(rows)
    per_customer, ll, _ = fit_gamma_gamma(rows.frequency, rows.monetary_value)
    assert model.log_likelihood_ == pytest.approx(ll, rel=1e-10)
    for name, value in per_customer.items():
        assert model.params_[name] == pytest.approx(value, rel=1e-6)


def test_expected_spend_shrinks_towards_the_mean():
    model = GammaGammaModel().set_params(**PUBLISHED)
    spend = model.expected_average_spend([0, 1, 10, 10], [0.0, 100.0, 100.0, 5.0])
    assert spend[0] == pytest.approx(model.mean_spend())
    assert model.mean_spend() < spend[1] < spend[2] < 100
    assert 5 < spend[3] < model.mean_spend()


def test_assign_in_engine_equals_numpy(published_spend):
    model = GammaGammaModel().set_params(**PUBLISHED)
    out = model.assign(ibis.memtable(published_spend)).to_pandas()
    rows = published_spend.set_index("customer_id").loc[out.customer_id]
    np.testing.assert_allclose(
        out.expected_spend, model.expected_average_spend(rows.frequency, rows.monetary_value),
        rtol=1e-12)


def test_errors():
    with pytest.raises(NotFittedError):
        GammaGammaModel().assign(ibis.memtable({"customer_id": ["a"]}))
    with pytest.raises(CustsegError, match="repeat purchases"):
        fit_gamma_gamma([0, 0], [0.0, 0.0])
