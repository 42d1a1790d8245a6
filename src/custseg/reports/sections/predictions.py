"""Predictions of the shown predict run: churn-risk levels with their CLV, the BG/NBD checks
on the holdout period (holdout purchases by calibration frequency, and cumulative repeat
purchases week by week over calibration and holdout), calibration of the classifiers and
their validation figures — all read from what `custseg.predict_runs.predict` stored."""

from __future__ import annotations

from custseg.io import report_data, results
from custseg.reports import charts
from custseg.reports import format as fmt
from custseg.reports.section import Chart, Figures, Section, Table, Text

KEY, ORDER, TITLE = "predictions", 60, "report_predictions"
FROM_RUNS = True
LEVELS = ("low", "medium", "high")


def _levels(ctx, run_id: str) -> list:
    rows = report_data.prediction_levels(ctx.con, run_id)
    rows.sort(key=lambda r: LEVELS.index(r["churn_level"]) if r["churn_level"] in LEVELS
              else len(LEVELS))
    if not rows:
        return []
    names = [ctx.t(f"report_level_{r['churn_level'] or 'unscored'}") for r in rows]
    return [Chart(charts.bars(names, {ctx.t("customers"): [r["customers"] for r in rows]},
                              title=ctx.t("report_levels_chart"))),
            Table([ctx.t("report_churn_level"), ctx.t("customers"), ctx.t("report_mean_clv"),
                   ctx.t("report_total_clv"), ctx.t("report_mean_p_alive")],
                  [[n, r["customers"], r["mean_clv"], r["total_clv"], r["mean_p_alive"]]
                   for n, r in zip(names, rows, strict=True)])]


def _tracking(ctx, holdout: dict | None) -> list:
    if not holdout or not holdout.get("by_frequency"):
        return [Text(ctx.t("report_no_holdout"), "note")]
    rows = holdout["by_frequency"]
    x = [r["frequency"] for r in rows]
    fig = charts.lines(x, {ctx.t("report_actual"): [r["actual"] for r in rows],
                           ctx.t("report_expected"): [r["expected"] for r in rows]},
                       title=ctx.t("report_tracking"), x_title=ctx.t("report_calib_frequency"),
                       y_title=ctx.t("report_holdout_purchases"))
    caption = ctx.t("report_tracking_caption", start=fmt.day(holdout["holdout_start"], ctx.lang),
                    end=fmt.day(holdout["observation_end"], ctx.lang),
                    mae=fmt.number(holdout["mae"], ctx.lang, 3))
    return [Chart(fig, caption=caption)]


def _cumulative(ctx, run_id: str, holdout: dict | None) -> list:
    """Actual vs expected cumulative repeat purchases per week (the run's ``tracking`` chart
    data; runs stored before it was kept have none and show nothing)."""
    rows = results.load_charts(ctx.con, run_id).get("tracking")
    if not rows:
        return []
    end = (holdout or {}).get("calibration_end") or max(
        (r["end_date"] for r in rows if not r["holdout"]), default=None)
    fig = charts.lines([r["end_date"] for r in rows],
                       {ctx.t("report_actual"): [r["actual_cumulative"] for r in rows],
                        ctx.t("report_expected"): [r["expected_cumulative"] for r in rows]},
                       title=ctx.t("report_cum_tracking"), x_title=ctx.t("report_week_ending"),
                       y_title=ctx.t("report_cum_repeat"), marker_at=end, markers=False)
    return [Chart(fig, caption=ctx.t("report_cum_tracking_caption",
                                     end=fmt.day(end, ctx.lang)))]


def _classifiers(validation: dict) -> dict[str, dict]:
    out = {"churn": validation.get("churn") or {}}
    out |= {f"propensity_{k}": v for k, v in (validation.get("propensity") or {}).items()}
    return {k: v for k, v in out.items() if v}


def _calibration(ctx, models: dict[str, dict]) -> list:
    curves = {ctx.t(f"report_pred_{k}"): ([d["predicted"] for d in v["calibration"]],
                                          [d["observed"] for d in v["calibration"]])
              for k, v in models.items() if v.get("calibration")}
    if not curves:
        return []
    return [Chart(charts.calibration(curves, title=ctx.t("report_calibration"),
                                     x_title=ctx.t("report_predicted"),
                                     y_title=ctx.t("report_observed"),
                                     ideal=ctx.t("report_ideal")),
                  caption=ctx.t("report_calibration_caption"))]


def _validation_table(ctx, models: dict[str, dict]) -> Table:
    columns = [ctx.t(k) for k in ("report_model", "customers", "report_auc",
                                  "report_top_decile", "report_base_rate", "report_lift")]
    rows = [[ctx.t(f"report_pred_{k}"), v.get("customers"), v.get("auc"),
             v.get("top_decile_precision"), v.get("positive_rate"), v.get("lift")]
            for k, v in models.items()]
    return Table(columns, rows, caption=ctx.t("report_validation_caption"))


def build(ctx) -> Section | None:
    run = ctx.predict_run
    if run is None:
        return None
    config = run["config"]
    validation = config.get("validation", {})
    unit = ctx.t("report_unit_" + str(config.get("time_unit", "W")))
    blocks = [Text(ctx.t("report_predict_heading", as_of=fmt.day(run["as_of"], ctx.lang),
                         run=run["run_id"]), "h3"),
              Figures([(ctx.t("customers"), fmt.number(validation.get("customers"), ctx.lang)),
                       (ctx.t("report_horizon"),
                        f"{fmt.number(config.get('horizon'), ctx.lang)} {unit}")]),
              *_levels(ctx, run["run_id"]), *_tracking(ctx, validation.get("holdout")),
              *_cumulative(ctx, run["run_id"], validation.get("holdout"))]
    models = _classifiers(validation)
    if models:
        blocks += [*_calibration(ctx, models), _validation_table(ctx, models)]
        verdict = models.get("churn", {}).get("verdict")
        if verdict:
            blocks.append(Text(verdict.get(ctx.lang, ""), "note"))
    return Section(KEY, ctx.t(TITLE), blocks)
