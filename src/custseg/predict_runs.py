"""Prediction runs: summary and features as of D → CLV, churn and propensity models → store.

Pipeline-level orchestration (it executes expressions and stages tables); `Project.predict`
exposes it. Every model reads only orders on or before D: the BG/NBD/Gamma-Gamma summary ends
at D, the classifiers' latest labels end at D (`custseg.predict._supervised`), and the BG/NBD
holdout check is a calibration period ending before D with D as the end of its holdout.
The churn classifier's 1 − P(alive) baseline sees only the orders up to D − N.

Customers who object to profiling are left out of every model, fitted or scored, and
counted (SPEC §10, `custseg.privacy.consent.without_objectors`), as segmentations do:
stored predictions, their exports and what the API answers hold none of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import ibis

from custseg.clv import BetaGeoModel, CLVModel, rfm_summary, validation_report
from custseg.clv.summary import days_per_unit
from custseg.config import Settings
from custseg.errors import CustsegError
from custseg.features import customer_features
from custseg.io import results
from custseg.predict import (
    ChurnClassifier,
    ChurnLevels,
    PurchasePropensity,
    churn_level_expr,
    compare_with_baseline,
    p_alive_baseline,
    purchases,
    with_label,
)
from custseg.predict.propensity import HORIZONS_DAYS
from custseg.privacy.consent import marketing_excluded, without, without_objectors
from custseg.runs import _config, resolve_as_of

UNIT_NAMES = {"W": "weeks", "D": "days"}


@dataclass
class PredictionResult:
    """What `Project.predict` fitted, how it validated, and where the predictions are stored.

    ``bgnbd`` and ``gamma_gamma`` hold the fitted parameters (BG/NBD ``alpha`` in
    ``time_unit``); ``holdout`` the BG/NBD check on the period before D (None when the
    history is too short); ``churn`` and ``propensity`` the classifiers' validation reports
    (``churn`` also holds ``baseline``: 1 − P(alive) of a BG/NBD fitted up to D − N on the same
    validation customers, ``beats_baseline`` and a ``verdict`` in en/zh);
    ``levels`` the customers per churn-risk level; ``excluded_objects_profiling`` the
    customers left out because they object to profiling.
    """

    run_id: str
    as_of: date
    time_unit: str
    horizon: float
    customers: int
    bgnbd: dict
    gamma_gamma: dict
    holdout: dict | None
    churn: dict
    propensity: dict[str, dict]
    levels: list[dict]
    cuts: dict = field(default_factory=dict)
    excluded_objects_profiling: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _inputs(con) -> tuple[dict[str, ibis.Table], int]:
    """The input tables every prediction model reads, without objectors to profiling, and
    how many customers that leaves out."""
    tables, left_out = without_objectors(results.input_tables(con))
    return tables, int(left_out.to_pyarrow().as_py())


def _stage(con, expr: ibis.Table, name: str) -> ibis.Table:
    """Materialise ``expr`` as a temporary table; in-memory tables it uses are registered."""
    results.drop(con, name)  # ibis 12 fails on temp=True with overwrite=True
    return con.create_table(name, expr, temp=True)


def _history_days(orders: ibis.Table, as_of: date) -> int:
    first = orders.order_date.cast("date").min().to_pyarrow().as_py()
    if first is None or first > as_of:
        raise CustsegError(f"no purchases on or before {as_of}: nothing to predict from")
    return (as_of - first).days


def _holdout(orders: ibis.Table, *, as_of: date, unit: str, holdout: float,
             history_days: int) -> tuple[dict | None, list[dict]]:
    """Fit BG/NBD on the period before ``as_of - holdout`` and compare with the holdout: the
    summary, and the weekly cumulative tracking rows (stored as chart data, too long for the
    run's config)."""
    days = min(round(holdout * days_per_unit(unit)), history_days // 2)
    if days < days_per_unit(unit):
        return None, []
    calibration_end = as_of - timedelta(days=days)
    report = validation_report(BetaGeoModel(time_unit=unit), orders,
                               calibration_end=calibration_end, observation_end=as_of)
    summary = {"calibration_end": calibration_end,
               "holdout_start": calibration_end + timedelta(days=1), "observation_end": as_of,
               "duration": days / days_per_unit(unit), "time_unit": unit,
               "customers": report["customers"], "params": report["params"],
               "mae": report["mae"], "actual": report["holdout_actual"],
               "expected": report["holdout_expected"],
               "by_frequency": report["by_frequency"].to_dict("records")}
    tracking = report["tracking"].assign(end_date=report["tracking"].end_date.astype(str))
    return summary, tracking.to_dict("records")


def _fit_clv(con, bought: ibis.Table, *, as_of: date, unit: str, horizon: float,
             rate: float) -> tuple[CLVModel, ibis.Table]:
    summary = _stage(con, rfm_summary(bought, calibration_end=as_of, time_unit=unit),
                            "_pred_summary")
    model = CLVModel(horizon=horizon, time_unit=unit, annual_discount_rate=rate).fit(summary)
    return model, _stage(con, model.assign(summary), "_pred_clv")


def _model_params(model) -> dict:
    return {"params": dict(model.params_), "log_likelihood": model.log_likelihood_,
            "converged": model.converged_, "customers": model.n_customers_}


def _churn_baseline(churn: ChurnClassifier, features_at, bought: ibis.Table, *,
                    unit: str) -> dict:
    """The churn classifier's validation report plus the 1 − P(alive) baseline on the same
    validation customers and labels (BG/NBD fitted on the purchases up to D − N only)."""
    report = churn.validation_
    d2 = report["validation_features_as_of"]
    labels = with_label(features_at(d2).select("customer_id"), bought, as_of=d2,
                        days=churn.horizon_days, purchased=churn.purchased)
    baseline = p_alive_baseline(labels, bought, as_of=d2, time_unit=unit)
    return compare_with_baseline(report, baseline)


def _classifiers(con, settings: Settings, tables: dict, bought: ibis.Table, as_of: date,
                 unit: str = "W"):
    """Fit churn and propensity classifiers over time; return them and the scoring features.

    The churn classifier's ``validation_`` gets the 1 − P(alive) baseline (`_churn_baseline`).
    """
    window = settings.features.window_months
    staged: dict[date, ibis.Table] = {}

    def features_at(day: date) -> ibis.Table:
        if day not in staged:
            staged[day] = _stage(
                con, customer_features(tables, as_of=day, window_months=window),
                f"_pred_features_{day:%Y%m%d}")
        return staged[day]

    try:
        churn = ChurnClassifier(horizon_days=settings.prediction.churn_horizon_days)
        churn.fit_time_split(features_at, bought, as_of=as_of)
        churn.validation_ = _churn_baseline(churn, features_at, bought, unit=unit)
        propensity = [PurchasePropensity(horizon_days=h).fit_time_split(
            features_at, bought, as_of=as_of) for h in HORIZONS_DAYS]
        # scikit-learn scores in Python: its in-memory results become temporary tables
        scored = [_stage(con, m.assign(features_at(as_of)), f"_pred_{m.output}")
                  for m in (churn, *propensity)]
    finally:
        results.drop(con, *[f"_pred_features_{d:%Y%m%d}" for d in staged if d != as_of])
    return churn, propensity, features_at(as_of), scored


def _join(base: ibis.Table, parts: list[ibis.Table]) -> ibis.Table:
    out = base
    for part in parts:
        joined = out.left_join(part, "customer_id")
        out = joined.select(*[joined[c] for c in out.columns],
                            *[joined[c] for c in part.columns if c != "customer_id"])
    return out


def _levels(con, predictions: ibis.Table) -> list[dict]:
    total = predictions.count()
    frame = con.execute(predictions.group_by("churn_level").aggregate(
        customers=predictions.count(), mean_p_alive=predictions.p_alive.mean(),
        mean_churn_probability=predictions.churn_probability.mean(),
        share_pct=100.0 * predictions.count() / total.as_scalar()))
    order = {"low": 0, "medium": 1, "high": 2}
    records = frame.to_dict("records")
    return sorted(records, key=lambda r: order.get(r["churn_level"], 3))


def _unit_horizon(settings: Settings, horizon: float | None,
                  time_unit: str | None) -> tuple[str, float]:
    cfg = settings.prediction
    unit = time_unit or cfg.time_unit
    days_per_unit(unit)
    if horizon is None:  # the configured horizon, converted when another unit is asked for
        horizon = cfg.horizon * days_per_unit(cfg.time_unit) / days_per_unit(unit)
    return unit, horizon


@dataclass
class CLVFit:
    """BG/NBD + Gamma-Gamma fitted on the summary up to ``calibration_end`` (`fit_clv`)."""

    as_of: date
    calibration_end: date
    time_unit: str
    horizon: float
    customers: int
    bgnbd: dict
    gamma_gamma: dict
    exported: int | None = None
    excluded_objects_profiling: int = 0

    def to_dict(self) -> dict:
        """The contract of ``custseg predict clv --json``: ``bgnbd`` {r, alpha, a, b, loglik},
        ``gamma_gamma`` {p, q, gamma, loglik}, plus dates, units and customer counts (those
        left out as objectors to profiling too)."""
        def flat(fit: dict) -> dict:
            return {**fit["params"], "loglik": fit["log_likelihood"],
                    "converged": fit["converged"], "n_customers": fit["customers"]}

        return {"as_of": self.as_of, "calibration_end": self.calibration_end,
                "time_unit": self.time_unit, "time_unit_name": UNIT_NAMES[self.time_unit],
                "horizon": self.horizon, "n_customers": self.customers,
                "excluded_objects_profiling": self.excluded_objects_profiling,
                "bgnbd": flat(self.bgnbd), "gamma_gamma": flat(self.gamma_gamma)}


CLV_EXPORT_COLUMNS = ("customer_id", "p_alive", "expected_purchases", "expected_spend", "clv")


def fit_clv(con, settings: Settings, *, as_of: date | None = None,
            calibration_end: date | None = None, horizon: float | None = None,
            time_unit: str | None = None, export=None) -> CLVFit:
    """Fit only BG/NBD + Gamma-Gamma on the purchases up to ``calibration_end`` (default D).

    Nothing is stored; ``export`` (a .csv/.xlsx/.parquet path) receives `CLV_EXPORT_COLUMNS`
    per customer of the summary, objectors to marketing left out.
    """
    unit, horizon = _unit_horizon(settings, horizon, time_unit)
    as_of = resolve_as_of(con, settings, as_of)
    end = calibration_end or as_of
    if end > as_of:
        raise CustsegError(f"--calibration-end {end} is after the as-of date {as_of}")
    tables, left_out = _inputs(con)
    orders = tables["orders"]
    bought = purchases(orders.filter(orders.order_date.cast("date") <= end))
    _history_days(bought, end)
    try:
        model, clv = _fit_clv(con, bought, as_of=end, unit=unit, horizon=horizon,
                              rate=settings.prediction.annual_discount_rate)
        exported = None
        if export is not None:
            rows = without(clv.select(*CLV_EXPORT_COLUMNS), marketing_excluded(con))
            exported = results.export_rows(con, rows, export, sheet="clv")
        return CLVFit(as_of=as_of, calibration_end=end, time_unit=unit, horizon=horizon,
                      customers=model.n_customers_, bgnbd=_model_params(model.transactions_),
                      gamma_gamma=_model_params(model.spend_), exported=exported,
                      excluded_objects_profiling=left_out)
    finally:
        results.drop(con, "_pred_summary", "_pred_clv")


def predict(con, settings: Settings, *, as_of: date | None = None,
            horizon: float | None = None, time_unit: str | None = None) -> PredictionResult:
    """Fit every prediction model as of D and store a "predict" run; see `Project.predict`."""
    cfg = settings.prediction
    unit, horizon = _unit_horizon(settings, horizon, time_unit)
    as_of = resolve_as_of(con, settings, as_of)
    tables, left_out = _inputs(con)
    orders = tables["orders"]
    bought = purchases(orders.filter(orders.order_date.cast("date") <= as_of))
    history = _history_days(bought, as_of)
    temps = ["_pred_summary", "_pred_clv", "_pred_predictions"]
    try:
        holdout, tracking = _holdout(bought, as_of=as_of, unit=unit,
                                     holdout=cfg.holdout or horizon, history_days=history)
        clv_model, clv = _fit_clv(con, bought, as_of=as_of, unit=unit, horizon=horizon,
                                  rate=cfg.annual_discount_rate)
        churn, propensity, features, scored = _classifiers(con, settings, tables, bought, as_of,
                                                        unit=unit)
        temps += [f"_pred_features_{as_of:%Y%m%d}", *[f"_pred_{m.output}"
                                                       for m in (churn, *propensity)]]
        levels = ChurnLevels(**cfg.churn_levels.model_dump()).fit()
        joined = _join(features.select("customer_id"), [clv, *scored])
        joined = joined.mutate(churn_level=churn_level_expr(joined.p_alive, **levels.cuts_))
        predictions = _stage(con, joined, "_pred_predictions")
        run_id = results.new_run_id()
        result = PredictionResult(
            run_id=run_id, as_of=as_of, time_unit=unit, horizon=horizon,
            customers=predictions.count().to_pyarrow().as_py(),
            bgnbd=_model_params(clv_model.transactions_),
            gamma_gamma=_model_params(clv_model.spend_), holdout=holdout,
            churn=churn.validation_,
            propensity={f"{m.horizon_days}d": m.validation_ for m in propensity},
            levels=_levels(con, predictions), cuts=levels.cuts_,
            excluded_objects_profiling=left_out)
        config = _config(settings, "predict", as_of, settings.project.language)
        config |= {"time_unit": unit, "horizon": horizon,
                   "excluded_objects_profiling": left_out,
                   "validation": {k: v for k, v in result.to_dict().items()
                                  if k not in ("run_id", "levels", "excluded_objects_profiling")}}
        results.save_predictions(con, run_id=run_id, as_of=as_of, config=config,
                                 predictions=predictions,
                                 charts={"tracking": tracking} if tracking else None)
    finally:
        results.drop(con, *temps)
    return result
