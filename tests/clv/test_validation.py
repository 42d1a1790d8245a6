"""The holdout validation report on CDNOW (calibration 39 weeks, holdout 39 weeks)."""

from __future__ import annotations

import pytest

from custseg.clv import BetaGeoModel, validation_report
from tests.clv.conftest import CALIBRATION_END, OBSERVATION_END


@pytest.fixture(scope="module")
def report(cdnow_orders):
    return validation_report(BetaGeoModel(), cdnow_orders, calibration_end=CALIBRATION_END,
                             observation_end=OBSERVATION_END)


def test_report_figures(report):
    assert report["customers"] == 2357 and report["time_unit"] == "W"
    assert round(report["params"]["r"], 3) == 0.243
    by_frequency = report["by_frequency"]
    assert by_frequency.frequency.tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert by_frequency.customers.sum() == 2357
    assert report["holdout_actual"] == 1882
    # BG/NBD under-forecasts this holdout by about 12 %, as in FHL (2005), figure 2
    assert report["holdout_expected"] == pytest.approx(1653.4, abs=0.5)
    assert 0 < report["mae"] < 1


def test_tracking(report):
    tracking = report["tracking"]
    assert len(tracking) == 78 and tracking.holdout.sum() == 39
    last = tracking.iloc[-1]
    assert str(last.end_date) == "1998-06-30"
    assert last.actual_cumulative == 2457 + 1882
    calibration = tracking[~tracking.holdout].iloc[-1]
    assert calibration.actual_cumulative == 2457
    # the model is fitted on the calibration period, so it tracks it closely
    assert calibration.expected_cumulative == pytest.approx(2457, rel=0.05)
    assert report["tracking_mae"] > 0
