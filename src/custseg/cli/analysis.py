"""Commands that segment customers and predict their value, churn and next purchase."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from custseg.cli._app import (
    AsOfOpt,
    JsonOpt,
    Lang,
    ProjectOpt,
    app,
    console,
    export_path,
    handle_errors,
    parse_date,
)
from custseg.errors import CustsegError
from custseg.i18n import t
from custseg.io.results import EXPORT_FORMATS
from custseg.pipeline import Project


def _print_segments(result, lang: str) -> None:
    """Template 1 as a table, or one block per segment when the terminal is narrow."""
    frame = result.template(lang)
    title = (f"{t('segments_title', lang)} · {result.model} · {t('as_of', lang)} "
             f"{result.as_of}")
    cells = [[f"{v:,}" if isinstance(v, int) else f"{v:.1f}" if isinstance(v, float)
              else str(v) for v in row] for row in frame.itertuples(index=False)]
    if console.width >= 120:
        table = Table(title=title)
        for i, name in enumerate(frame.columns):
            numeric = i in (4, 5)
            table.add_column(name, justify="right" if numeric else "left",
                             no_wrap=numeric or i < 2, ratio=(None, None, 3, 4, None, None, 3,
                                                              1)[i])
        for row in cells:
            table.add_row(*row)
        console.print(table)
    else:
        console.print(f"[bold]{title}[/]", highlight=False)
        for seg_id, name, dims, text, count, share, keywords, owner in cells:
            console.print(f"[bold]{seg_id} {name}[/]  {count} ({share}%)", highlight=False)
            for label, value in zip(frame.columns[[2, 3, 6, 7]], (dims, text, keywords, owner),
                                    strict=True):
                if value:
                    console.print(f"  {label}: {value}", highlight=False, soft_wrap=True)
    for notice in result.warnings:
        colour = "red" if notice.level == "strong" else "yellow"
        console.print(f"[{colour}]![/] {notice.text(lang)}", soft_wrap=True, highlight=False)
    console.print(f"{t('run', lang)}: {result.run_id}    {t('customers', lang)}: "
                  f"{result.total:,}", highlight=False)


@app.command()
@handle_errors
def segment(
    model: Annotated[str | None, typer.Option(
        "--model", "-m", help="rfm-rules, rfm-scores, kmeans, hierarchical, kprototypes, "
        "value-matrix, tiers, lifecycle or demographic (default: [segmentation] model).")
                     ] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="As-of date D, YYYY-MM-DD (default: the latest order date).")] = None,
    export: Annotated[Path | None, typer.Option(
        help="Write customer_id,segment_id,segment_name to a .csv, .xlsx or .parquet file.")
                      ] = None,
    project_dir: ProjectOpt = Path("."),
    lang: Annotated[Lang | None, typer.Option(
        "--lang", help="Language of labels (default: the project's).")] = None,
    k: Annotated[str | None, typer.Option(
        "--k", help="Clustering: auto (chosen within [segmentation] k_range) or a number of "
        "clusters.")] = None,
    features: Annotated[str | None, typer.Option(
        "--features", help="Clustering: features a,b,c (default: [segmentation] "
        "cluster_features).")] = None,
    objective: Annotated[str | None, typer.Option(
        "--objective", help="repurchase-high-value, cut-churn, launch-product or "
        "allocate-service: chooses the model and dimensions (--model wins).")] = None,
) -> None:
    """Segment every customer, print the segment result table and store the run."""
    day = parse_date(as_of, "--as-of")
    if export is not None and export.suffix.lower() not in EXPORT_FORMATS:
        raise CustsegError(f"--export {export}: use a {', '.join(EXPORT_FORMATS)} file")
    with Project.open(project_dir) as project:
        lang = lang or project.settings.project.language
        if k is not None or features is not None:
            from custseg.segment.k_choice import parse_features, parse_k

            seg = project.settings.segmentation
            seg.k = parse_k(k) if k is not None else seg.k
            seg.cluster_features = (parse_features(features) if features is not None
                                    else seg.cluster_features)
        if objective:
            from custseg.segment.objectives import choose

            console.print(choose(objective, model).text(lang), highlight=False, soft_wrap=True)
        result = project.segment(model, as_of=day, lang=lang, objective=objective)
        _print_segments(result, lang)
        from custseg.cli.clustering import print_clustering

        print_clustering(project.connect(), result.run_id, lang)
        if export is not None:
            rows = project.export_segments(result.run_id, export)
            console.print(f"{t('exported', lang)}: {export} ({rows:,})", highlight=False)


def _f(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _validation_table(result, parts: tuple[str, ...]) -> Table:
    """Validation figures of a `PredictionResult`: the BG/NBD holdout, churn, propensities."""
    from custseg.predict_runs import UNIT_NAMES

    unit = UNIT_NAMES[result.time_unit]
    table = Table("model", "validation period", "customers", "AUC", "top-decile precision",
                  "base rate", "MAE", title="validation on a later period")
    h = result.holdout
    if h is not None and "holdout" in parts:
        table.add_row("BG/NBD purchases", f"{h['holdout_start']} → {h['observation_end']} "
                      f"({h['duration']:.1f} {unit})", f"{h['customers']:,}", "-", "-", "-",
                      f"{h['mae']:.3f} purchases / customer")
    reports = [("churn", result.churn)] if "churn" in parts else []
    if "propensity" in parts:
        reports += [(f"propensity {k}", v) for k, v in result.propensity.items()]
    for name, rep in reports:
        start, end = rep["validation_labels"]
        table.add_row(f"{name}: {rep['label']}", f"{start} → {end}",
                      f"{rep['customers']:,}", _f(rep["auc"]),
                      _f(rep["top_decile_precision"]), _f(rep["positive_rate"]), "-")
        base = rep.get("baseline")
        if base is not None:
            table.add_row(f"{name} baseline: {base['method']}", f"{start} → {end}",
                          f"{base['customers']:,}", _f(base["auc"]),
                          _f(base["top_decile_precision"]), _f(rep["positive_rate"]), "-")
    return table


def _print_verdict(result, lang: str) -> None:
    """The churn classifier against the 1 − P(alive) baseline, in one sentence."""
    verdict = result.churn.get("verdict")
    if verdict:
        mark = "[green]✓[/]" if result.churn["beats_baseline"] else "[yellow]![/]"
        console.print(f"{mark} {verdict.get(lang, verdict['en'])}", highlight=False,
                      soft_wrap=True)


def _print_left_out(count: int, lang: str) -> None:
    """The line saying how many objectors to profiling the predictions left out."""
    from custseg.privacy.consent import objection_notice

    if count:
        console.print(objection_notice(count, "predictions").text(lang), highlight=False)


def _print_predictions(result, lang: str) -> None:
    """Fitted BG/NBD and Gamma-Gamma parameters, validation figures, churn-risk levels."""
    from custseg.predict import LEVELS
    from custseg.predict_runs import UNIT_NAMES

    unit = UNIT_NAMES[result.time_unit]
    console.print(f"[bold]Predictions as of {result.as_of}[/] · time unit: {unit} "
                  f"({result.time_unit}) · CLV horizon {result.horizon:g} {unit} · "
                  f"{result.customers:,} customers", highlight=False)
    _print_left_out(result.excluded_objects_profiling, lang)
    bg, gg = result.bgnbd, result.gamma_gamma
    console.print(f"BG/NBD ({bg['customers']:,} customers): r = {_f(bg['params']['r'])}, "
                  f"α = {_f(bg['params']['alpha'])} {unit}, a = {_f(bg['params']['a'])}, "
                  f"b = {_f(bg['params']['b'])}, log-likelihood {bg['log_likelihood']:,.1f}",
                  highlight=False)
    console.print(f"Gamma-Gamma ({gg['customers']:,} repeat customers): "
                  f"p = {_f(gg['params']['p'])}, q = {_f(gg['params']['q'])}, "
                  f"γ = {_f(gg['params']['gamma'])}", highlight=False)
    console.print(_validation_table(result, ("holdout", "churn", "propensity")))
    _print_verdict(result, lang)
    cuts = result.cuts
    ranges = {"low": f"≥ {cuts['low_from']:g}", "high": f"< {cuts['high_below']:g}",
              "medium": f"{cuts['high_below']:g} – {cuts['low_from']:g}"}
    levels = Table("churn risk", "P(alive)", "customers", "share %", "mean P(alive)",
                   f"mean P(no purchase in {result.churn['horizon_days']} days)",
                   title="churn-risk levels (BG/NBD P(alive))")
    for row in result.levels:
        name = row["churn_level"]
        label = LEVELS[name][0 if lang == "zh" else 1] if name in LEVELS else "-"
        levels.add_row(label, ranges.get(name, "-"), f"{row['customers']:,}",
                       f"{row['share_pct']:.1f}", _f(row["mean_p_alive"]),
                       _f(row["mean_churn_probability"]))
    console.print(levels)
    console.print(f"run: {result.run_id}", highlight=False)


predict_app = typer.Typer(
    help="Predict CLV (BG/NBD + Gamma-Gamma), churn risk and purchase propensity.",
    no_args_is_help=True)
app.add_typer(predict_app, name="predict")

TIME_UNITS = {"w": "W", "week": "W", "weeks": "W", "d": "D", "day": "D", "days": "D"}


def _parse_unit(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return TIME_UNITS[text.strip().lower()]
    except KeyError:
        raise CustsegError(f"--time-unit: {text!r} is not a unit; use weeks (W) or days (D)"
                           ) from None


def _print_clv(fit, lang: str) -> None:
    from custseg.predict_runs import UNIT_NAMES

    unit = UNIT_NAMES[fit.time_unit]
    one = unit.removesuffix("s")
    bg, gg = fit.bgnbd["params"], fit.gamma_gamma["params"]
    console.print(f"[bold]CLV models[/] fitted on purchases up to {fit.calibration_end} "
                  f"(calibration end; as of {fit.as_of}) · time unit: {unit} "
                  f"({fit.time_unit}) · CLV horizon {fit.horizon:g} {unit}", highlight=False)
    console.print(
        f"BG/NBD ({fit.bgnbd['customers']:,} customers): r = {_f(bg['r'])}, "
        f"α = {_f(bg['alpha'])} {unit} (purchase rate while active ~ gamma(r, α), mean "
        f"r/α = {bg['r'] / bg['alpha']:.4f} per {one}); a = {_f(bg['a'])}, b = {_f(bg['b'])} "
        f"(dropout after a purchase ~ beta(a, b), mean a/(a+b) = "
        f"{bg['a'] / (bg['a'] + bg['b']):.3f}); log-likelihood "
        f"{fit.bgnbd['log_likelihood']:,.1f}", highlight=False, soft_wrap=True)
    _print_left_out(fit.excluded_objects_profiling, lang)
    q = gg["q"]
    mean = f"{gg['p'] * gg['gamma'] / (q - 1):,.2f}" if q > 1 else "∞"
    console.print(
        f"Gamma-Gamma ({fit.gamma_gamma['customers']:,} repeat customers): p = {_f(gg['p'])}, "
        f"q = {_f(gg['q'])}, γ = {_f(gg['gamma'])} (currency; mean spend per purchase "
        f"pγ/(q-1) = {mean}); log-likelihood {fit.gamma_gamma['log_likelihood']:,.1f}",
        highlight=False, soft_wrap=True)
    if not (fit.bgnbd["converged"] and fit.gamma_gamma["converged"]):
        console.print("[yellow]![/] an optimiser stopped before converging", highlight=False)


@predict_app.command("clv")
@handle_errors
def predict_clv(
    as_of: AsOfOpt = None,
    calibration_end: Annotated[str | None, typer.Option(
        "--calibration-end", help="Fit on purchases up to this day, YYYY-MM-DD (default: the "
        "as-of date).")] = None,
    time_unit: Annotated[str | None, typer.Option(
        "--time-unit", help="weeks (W) or days (D) (default: [prediction] time_unit).")
                         ] = None,
    horizon: Annotated[float | None, typer.Option(
        "--horizon", help="CLV horizon in --time-unit (default: [prediction] horizon).")
                       ] = None,
    as_json: JsonOpt = False,
    export: Annotated[Path | None, typer.Option(
        help="Write customer_id, p_alive, expected_purchases, expected_spend, clv to a .csv, "
        ".xlsx or .parquet file.")] = None,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Fit only BG/NBD + Gamma-Gamma and print their parameters (fast; nothing is stored)."""
    from custseg.predict_runs import fit_clv

    day = parse_date(as_of, "--as-of")
    end = parse_date(calibration_end, "--calibration-end")
    unit = _parse_unit(time_unit)
    export = export_path(export)
    with Project.open(project_dir) as project:
        fit = fit_clv(project.connect(), project.settings, as_of=day, calibration_end=end,
                      horizon=horizon, time_unit=unit, export=export)
        lang = project.settings.project.language
    if as_json:
        console.print_json(json.dumps(fit.to_dict(), default=str, ensure_ascii=False))
        return
    _print_clv(fit, lang)
    if export is not None:
        console.print(f"exported: {export} ({fit.exported:,})", highlight=False)


def _predict_part(part: str, columns: tuple[str, ...], as_of: str | None,
                  export: Path | None, as_json: bool, project_dir: Path) -> None:
    """Run the full prediction (stored as a "predict" run) and report one model of it."""
    from custseg.io.results import export_predictions

    day = parse_date(as_of, "--as-of")
    export = export_path(export)
    with Project.open(project_dir) as project:
        result = project.predict(as_of=day)
        lang = project.settings.project.language
        rows = (export_predictions(project.connect(), result.run_id, columns, export)
                if export is not None else None)
    if as_json:
        data = result.to_dict()
        out = {k: data[k] for k in ("run_id", "as_of", "customers",
                                    "excluded_objects_profiling", part)}
        if part == "churn":
            out |= {"levels": data["levels"], "cuts": data["cuts"]}
        console.print_json(json.dumps(out, default=str, ensure_ascii=False))
        return
    console.print(f"[bold]{part} as of {result.as_of}[/] · {result.customers:,} customers",
                  highlight=False)
    _print_left_out(result.excluded_objects_profiling, lang)
    console.print(_validation_table(result, (part,)))
    if part == "churn":
        _print_verdict(result, lang)
        counts = ", ".join(f"{r['churn_level']} {r['customers']:,}" for r in result.levels)
        console.print(f"churn-risk levels (BG/NBD P(alive)): {counts}", highlight=False)
    console.print(f"run: {result.run_id}", highlight=False)
    if rows is not None:
        console.print(f"exported: {export} ({rows:,})", highlight=False)


@predict_app.command("churn")
@handle_errors
def predict_churn(
    as_of: AsOfOpt = None,
    export: Annotated[Path | None, typer.Option(
        help="Write customer_id, churn_probability, churn_level, p_alive to a .csv, .xlsx or "
        ".parquet file.")] = None,
    as_json: JsonOpt = False,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Churn classifier and churn-risk levels; stores the full predict run."""
    _predict_part("churn", ("churn_probability", "churn_level", "p_alive"), as_of, export,
                  as_json, project_dir)


@predict_app.command("propensity")
@handle_errors
def predict_propensity(
    as_of: AsOfOpt = None,
    export: Annotated[Path | None, typer.Option(
        help="Write customer_id, propensity_30d, propensity_90d to a .csv, .xlsx or .parquet "
        "file.")] = None,
    as_json: JsonOpt = False,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """30- and 90-day purchase propensity; stores the full predict run."""
    _predict_part("propensity", ("propensity_30d", "propensity_90d"), as_of, export, as_json,
                  project_dir)


@predict_app.command("all")
@handle_errors
def predict_all(
    as_of: AsOfOpt = None,
    horizon: Annotated[float | None, typer.Option(
        "--horizon", help="CLV horizon in --unit (default: [prediction] horizon).")] = None,
    unit: Annotated[Literal["W", "D"] | None, typer.Option(
        "--unit", help="Time unit: W (weeks) or D (days) (default: [prediction] time_unit).")
                    ] = None,
    project_dir: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
    export: Annotated[Path | None, typer.Option(
        help="Write every prediction column per customer to a .csv, .xlsx or .parquet file.")
                      ] = None,
) -> None:
    """Predict CLV, churn risk and purchase propensity (30/90 days); store the run."""
    from custseg.io.results import PREDICTION_COLUMNS, export_predictions

    day = parse_date(as_of, "--as-of")
    export = export_path(export)
    with Project.open(project_dir) as project:
        result = project.predict(as_of=day, horizon=horizon, time_unit=unit)
        rows = (export_predictions(project.connect(), result.run_id, PREDICTION_COLUMNS[1:],
                                   export) if export is not None else None)
        if as_json:
            console.print_json(json.dumps(result.to_dict(), default=str, ensure_ascii=False))
            return
        _print_predictions(result, project.settings.project.language)
    if rows is not None:
        console.print(f"exported: {export} ({rows:,})", highlight=False)


