"""The ``custseg`` command line: parse options, call the pipeline, render the outcome.

User mistakes (`CustsegError`) end with one line on stderr and exit code 1; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from custseg import schema
from custseg.errors import CustsegError
from custseg.i18n import t
from custseg.io.database import LoadReport
from custseg.io.results import EXPORT_FORMATS
from custseg.pipeline import Project

app = typer.Typer(
    help="custseg — customer segmentation and tiering (客户细分 / 客户分级).",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
)
console = Console()
err = Console(stderr=True)

ProjectOpt = Annotated[Path, typer.Option("--project", "-p", help="Project folder.",
                                          show_default=True)]
Lang = Literal["zh", "en"]


def handle_errors(fn: Callable) -> Callable:
    """Turn user errors into one line on stderr and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CustsegError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                      soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=err, transient=True)


def _print_load(report: LoadReport, *, show_mapping: bool = True) -> None:
    if report.status == "unchanged":
        console.print(f"[yellow]=[/] {report.source} → {report.table}: unchanged since load "
                      f"{report.load_id}, nothing added", soft_wrap=True)
        return
    console.print(
        f"[green]✓[/] {report.source} → {report.table}: {report.rows_loaded:,} loaded, "
        f"{report.rows_duplicate:,} already present, {report.rows_rejected:,} rejected "
        f"({report.rows_read:,} read, {report.seconds:.1f}s)", soft_wrap=True)
    if show_mapping and report.mapping:
        table = Table("source header", "table", "column", box=None, padding=(0, 2))
        for row in report.mapping:
            table.add_row(*row)
        console.print(table)
    for note in report.notes:
        console.print(f"  note: {note}")


def _ingest_with_progress(project: Project, items: list, run: Callable) -> list[LoadReport]:
    reports = []
    with _progress() as progress:
        task = progress.add_task("loading", total=len(items))
        for item in items:
            progress.update(task, description=f"loading {item}")
            report = run(item)
            progress.advance(task)
            reports.append(report)
            _print_load(report)
    hits = project.rule_hits()
    if hits:
        console.print("cleaning: " + ", ".join(f"{rule} {n:,}" for rule, n in hits.items())
                      + "  (custseg quality / quarantine list for details)", soft_wrap=True)
    return reports


def _summary(project: Project, lang: str) -> None:
    status = project.status()
    table = Table(t("table", lang), t("rows", lang), title=t("summary_title", lang))
    for name, count in status["tables"].items():
        table.add_row(f"{name} ({t(name, lang)})", f"{count:,}")
    console.print(table)
    first, last = status["order_dates"]
    console.print(f"{t('customers', lang)}: {status['customers']:,}    "
                  f"{t('date_range', lang)}: {first or '-'} … {last or '-'}    "
                  f"{t('quarantined', lang)}: {status['quarantined_rows']:,}")
    console.print(f"{t('database', lang)}: {status['database']}")


@app.command()
@handle_errors
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the project in.")],
    name: Annotated[str | None, typer.Option(help="Project name.")] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of labels.")] = "zh",
) -> None:
    """Create a project folder with a commented custseg.toml and an empty database."""
    project = Project.init(directory, name=name, language=lang)
    project.close()
    console.print(f"created {directory / 'custseg.toml'} and {project.database_path}")
    console.print(f"next: custseg ingest FILE --table orders --project {directory}")


@app.command()
@handle_errors
def ingest(
    files: Annotated[list[Path] | None, typer.Argument(
        help="Files to load; without files, every [[sources]] entry of custseg.toml.")] = None,
    table: Annotated[str | None, typer.Option(
        "--table", "-t", help=f"Target table: {', '.join(schema.TABLES)}.")] = None,
    derive_order_id: Annotated[bool, typer.Option(
        help="Derive order ids from customer, date and line when the file has none.")] = False,
    encoding: Annotated[str, typer.Option(help="File encoding, or auto.")] = "auto",
    delimiter: Annotated[str, typer.Option(help="Field separator, or auto.")] = "auto",
    sheet: Annotated[str | None, typer.Option(help="Excel sheet (default: the first).")] = None,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Load files into the customer database; re-loading an unchanged file adds nothing."""
    with Project.open(project_dir) as project:
        if not files:
            if not project.settings.sources:
                raise CustsegError("no files given and no [[sources]] in custseg.toml")
            _ingest_with_progress(project, project.settings.sources,
                                  lambda src: project.load_source(src))
        else:
            if table is None:
                raise CustsegError(f"say which table the files are: --table "
                                   f"{'|'.join(schema.TABLES)}")
            _ingest_with_progress(project, files, lambda f: project.ingest(
                [f], table=table, derive_order_id=derive_order_id, encoding=encoding,
                delimiter=delimiter, sheet=sheet)[0])


@app.command()
@handle_errors
def status(
    project_dir: ProjectOpt = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Tables, row counts and the load history of a project."""
    with Project.open(project_dir) as project:
        lang = project.settings.project.language
        if as_json:
            console.print_json(json.dumps(project.status(), default=str, ensure_ascii=False))
            return
        _summary(project, lang)
        loads = project.status()["loads"]
        if loads:
            table = Table("#", t("table", lang), t("source", lang), t("loaded", lang),
                          t("duplicate", lang), t("rejected", lang), t("status", lang),
                          title=t("loads_title", lang))
            for ld in loads:
                table.add_row(str(ld["load_id"]), ld["table"], ld["source"],
                              f"{ld['rows_loaded']:,}", f"{ld['rows_duplicate']:,}",
                              f"{ld['rows_rejected']:,}", ld["status"])
            console.print(table)


@app.command()
@handle_errors
def demo(
    dataset: Annotated[str, typer.Option(help="retail (generated, with dirt) or cdnow (real).")
                       ] = "retail",
    directory: Annotated[Path, typer.Option("--dir", help="Folder for the demo project.")
                         ] = Path("custseg-demo"),
    lang: Annotated[Lang, typer.Option("--lang", help="Language of labels.")] = "zh",
    customers: Annotated[int, typer.Option(help="Customers to generate (retail).", min=50)
                         ] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed (retail).")] = 7,
) -> None:
    """Create a demo project, load its data and print a summary."""
    from custseg.demo import create_demo

    with _progress() as progress:
        progress.add_task(f"preparing the {dataset} data in {directory}")
        project = create_demo(dataset, directory, language=lang, customers=customers,
                              seed=seed)
    with project:
        _ingest_with_progress(project, project.settings.sources,
                              lambda src: project.load_source(src))
        _summary(project, lang)


def _parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CustsegError(f"{option}: {text!r} is not a date; use YYYY-MM-DD") from None


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
        "--model", "-m", help="rfm-rules, rfm-scores, kmeans, value-matrix, tiers, lifecycle or "
        "demographic (default: [segmentation] model).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="As-of date D, YYYY-MM-DD (default: the latest order date).")] = None,
    export: Annotated[Path | None, typer.Option(
        help="Write customer_id,segment_id,segment_name to a .csv, .xlsx or .parquet file.")
                      ] = None,
    project_dir: ProjectOpt = Path("."),
    lang: Annotated[Lang | None, typer.Option(
        "--lang", help="Language of labels (default: the project's).")] = None,
    k: Annotated[int | None, typer.Option(
        "--k", min=2, help="kmeans: number of clusters (default: chosen within [segmentation] "
        "k_range).")] = None,
    objective: Annotated[str | None, typer.Option(
        "--objective", help="repurchase-high-value, cut-churn, launch-product or "
        "allocate-service: chooses the model and dimensions (--model wins).")] = None,
) -> None:
    """Segment every customer, print the segment result table and store the run."""
    day = _parse_date(as_of, "--as-of")
    if export is not None and export.suffix.lower() not in EXPORT_FORMATS:
        raise CustsegError(f"--export {export}: use a {', '.join(EXPORT_FORMATS)} file")
    with Project.open(project_dir) as project:
        lang = lang or project.settings.project.language
        if k is not None:
            project.settings.segmentation.k = k
        if objective:
            from custseg.segment.objectives import choose

            console.print(choose(objective, model).text(lang), highlight=False, soft_wrap=True)
        result = project.segment(model, as_of=day, lang=lang, objective=objective)
        _print_segments(result, lang)
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


def _print_predictions(result, lang: str) -> None:
    """Fitted BG/NBD and Gamma-Gamma parameters, validation figures, churn-risk levels."""
    from custseg.predict import LEVELS
    from custseg.predict_runs import UNIT_NAMES

    unit = UNIT_NAMES[result.time_unit]
    console.print(f"[bold]Predictions as of {result.as_of}[/] · time unit: {unit} "
                  f"({result.time_unit}) · CLV horizon {result.horizon:g} {unit} · "
                  f"{result.customers:,} customers", highlight=False)
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

AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="As-of date D, YYYY-MM-DD (default: the latest order date).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
TIME_UNITS = {"w": "W", "week": "W", "weeks": "W", "d": "D", "day": "D", "days": "D"}


def _export_path(export: Path | None) -> Path | None:
    if export is not None and export.suffix.lower() not in EXPORT_FORMATS:
        raise CustsegError(f"--export {export}: use a {', '.join(EXPORT_FORMATS)} file")
    return export


def _parse_unit(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return TIME_UNITS[text.strip().lower()]
    except KeyError:
        raise CustsegError(f"--time-unit: {text!r} is not a unit; use weeks (W) or days (D)"
                           ) from None


def _print_clv(fit) -> None:
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

    day = _parse_date(as_of, "--as-of")
    end = _parse_date(calibration_end, "--calibration-end")
    unit = _parse_unit(time_unit)
    export = _export_path(export)
    with Project.open(project_dir) as project:
        fit = fit_clv(project.connect(), project.settings, as_of=day, calibration_end=end,
                      horizon=horizon, time_unit=unit, export=export)
    if as_json:
        console.print_json(json.dumps(fit.to_dict(), default=str, ensure_ascii=False))
        return
    _print_clv(fit)
    if export is not None:
        console.print(f"exported: {export} ({fit.exported:,})", highlight=False)


def _predict_part(part: str, columns: tuple[str, ...], as_of: str | None,
                  export: Path | None, as_json: bool, project_dir: Path) -> None:
    """Run the full prediction (stored as a "predict" run) and report one model of it."""
    from custseg.io.results import export_predictions

    day = _parse_date(as_of, "--as-of")
    export = _export_path(export)
    with Project.open(project_dir) as project:
        result = project.predict(as_of=day)
        lang = project.settings.project.language
        rows = (export_predictions(project.connect(), result.run_id, columns, export)
                if export is not None else None)
    if as_json:
        data = result.to_dict()
        out = {k: data[k] for k in ("run_id", "as_of", "customers", part)}
        if part == "churn":
            out |= {"levels": data["levels"], "cuts": data["cuts"]}
        console.print_json(json.dumps(out, default=str, ensure_ascii=False))
        return
    console.print(f"[bold]{part} as of {result.as_of}[/] · {result.customers:,} customers",
                  highlight=False)
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

    day = _parse_date(as_of, "--as-of")
    export = _export_path(export)
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


def _print_quality(report: dict, lang: str) -> None:
    table = Table(t("table", lang), t("rows_in", lang), t("clean", lang), t("quarantined", lang),
                  t("merged", lang), "balance", title="rows in = clean + quarantined + merged")
    for name, b in report["balance"].items():
        ok = b["rows_in"] == b["clean"] + b["quarantined"] + b["merged"]
        table.add_row(name, f"{b['rows_in']:,}", f"{b['clean']:,}", f"{b['quarantined']:,}",
                      f"{b['merged']:,}", "[green]✓[/]" if ok else "[red]✗[/]")
    console.print(table)
    rules = Table(t("rule", lang), t("action", lang), t("count", lang), t("example", lang))
    for name, r in report["rules"].items():
        ex = r["examples"][0] if r["examples"] else {}
        rules.add_row(name, r["action"], f"{r['count']:,}",
                      f"{ex.get('source', '')} row {ex.get('row', '')}: {ex.get('value') or ''}")
    console.print(rules)


@app.command()
@handle_errors
def clean(project_dir: ProjectOpt = Path(".")) -> None:
    """Run the cleaning rules again over all loaded data (after editing the cleaning section)."""
    with Project.open(project_dir) as project, _progress() as progress:
        progress.add_task("cleaning")
        report = project.clean()
    _print_quality(report, project.settings.project.language)


@app.command()
@handle_errors
def quality(
    project_dir: ProjectOpt = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Data-quality report: row balance, rule hits with examples, field profiles."""
    with Project.open(project_dir) as project:
        report = project.quality()
        if as_json:
            console.print_json(json.dumps(report, default=str, ensure_ascii=False))
            return
        lang = project.settings.project.language
        _print_quality(report, lang)
        for name, cols in report["fields"].items():
            table = Table("field", "missing", "distinct", "min", "max", title=name)
            for c in cols:
                rate = "-" if c["missing_rate"] is None else f"{c['missing_rate']:.1%}"
                table.add_row(c["field"], rate, f"{c['distinct']:,}", str(c["min"] or ""),
                              str(c["max"] or ""))
            console.print(table)


quarantine_app = typer.Typer(help="Inspect and re-admit quarantined or flagged rows.",
                             no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
@handle_errors
def quarantine_list(
    rule: Annotated[str | None, typer.Option(help="Only this rule.")] = None,
    table: Annotated[str | None, typer.Option(help="Only this table.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.", min=1)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """List quarantined rows (rejected, removed, merged, changed or flagged) with the reason."""
    with Project.open(project_dir) as project:
        rows = project.quarantine(rule=rule, table=table, limit=limit)
    if as_json:
        console.print_json(json.dumps(rows, default=str, ensure_ascii=False))
        return
    out = Table("table", "source", "row", "column", "rule", "action", "value", "reason")
    for r in rows:
        out.add_row(r["table"], str(r["source"]), str(r["row"]), r["column"] or "", r["rule"],
                    r["action"], str(r["raw_value"] or ""), r["reason"])
    console.print(out)


def _parse_rows(values: list[str]) -> list[tuple[int, int]]:
    out = []
    for v in values:
        load, _, row = v.partition(":")
        if not (load.isdigit() and row.isdigit()):
            raise CustsegError(f"--row takes LOAD:ROW (e.g. 3:118), got {v!r}")
        out.append((int(load), int(row)))
    return out


@quarantine_app.command("readmit")
@handle_errors
def quarantine_readmit(
    rule: Annotated[str, typer.Option(help="The rule whose rows to re-admit.")],
    table: Annotated[str | None, typer.Option(help="Only rows of this table.")] = None,
    row: Annotated[list[str] | None, typer.Option(
        help="LOAD:ROW of a row to re-admit (repeatable); default all rows of the rule.")] = None,
    note: Annotated[str, typer.Option(help="Why, for the record.")] = "",
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Re-admit rows after checking them (e.g. a verified large order), then clean again."""
    with Project.open(project_dir) as project:
        n = project.readmit(rule=rule, table=table, rows=_parse_rows(row or []), note=note)
    console.print(f"re-admitted {n:,} row(s) from {rule}" if n
                  else f"no rows of {rule} to re-admit")


@app.command()
@handle_errors
def catalog(
    project_dir: ProjectOpt = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The data catalog (客户数据收集清单): category, fields, source, refresh frequency."""
    with Project.open(project_dir) as project:
        rows = project.catalog()
        lang = project.settings.project.language
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    out = Table(t("category", lang), t("table", lang), t("fields", lang), t("source", lang),
                t("refresh", lang))
    for r in rows:
        out.add_row(r["category"], r["table"], ", ".join(r["fields"]), "\n".join(r["sources"]),
                    r["refresh"])
    console.print(out)


@app.command()
@handle_errors
def describe(
    as_of: Annotated[str | None, typer.Option(help="As-of date D (YYYY-MM-DD).")] = None,
    model: Annotated[str | None, typer.Option(
        help="Also give feature statistics per segment of this model's latest run.")] = None,
    top: Annotated[int, typer.Option(help="Rows shown per distribution.", min=1)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Structure of the customer base: distributions, feature statistics, Pareto and Gini."""
    with Project.open(project_dir) as project:
        lang = project.settings.project.language
        report = project.describe(as_of=_parse_date(as_of, "--as-of"), model=model)
    if as_json:
        console.print_json(json.dumps(report, default=str, ensure_ascii=False))
        return
    console.print(f"{t('customers', lang)}: {report['customers']:,}    D = {report['as_of']}")
    for measure in ("revenue", "profit"):
        c = report[f"{measure}_concentration"]
        if c["gini"] is not None:
            console.print(f"{measure}: top 20% of customers hold {c['top20_share']:.1%}, "
                          f"Gini {c['gini']:.3f}")
    for dim, rows in report["distributions"].items():
        table = Table(dim, t("customers", lang), "%", "revenue", "%", title=dim)
        for r in rows[:top]:
            rev_share = "-" if r["revenue_share"] is None else f"{r['revenue_share']:.1%}"
            table.add_row(str(r["value"]), f"{r['customers']:,}", f"{r['customer_share']:.1%}",
                          f"{r['revenue']:,.0f}", rev_share)
        console.print(table)
    stats = Table("segment", "feature", "n", "mean", "median", "std", title="features")
    for r in report["features"] + report.get("features_by_segment", []):
        if r["n"]:
            stats.add_row(r["segment_id"], r["feature"], f"{r['n']:,}", f"{r['mean']:,.2f}",
                          f"{r['median']:,.2f}", "-" if r["std"] is None else f"{r['std']:,.2f}")
    console.print(stats)


runs_app = typer.Typer(help="Stored runs (snapshots): list, show, compare, remove.",
                       no_args_is_help=True)
app.add_typer(runs_app, name="runs")


@runs_app.command("list")
@handle_errors
def runs_list(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Every run, newest first."""
    from custseg import snapshots

    with Project.open(project_dir) as project:
        rows = snapshots.list_runs(project.connect())
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("run_id", "kind", "model", "as_of", "created_at", "status")
    for r in rows:
        table.add_row(r["run_id"], r["kind"], r["model"] or "", r["as_of"] or "",
                      r["created_at"], r["status"])
    console.print(table)


@runs_app.command("show")
@handle_errors
def runs_show(
    run_id: Annotated[str, typer.Argument(help="The run to show.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """A run's config and its segment result table."""
    from custseg import snapshots

    with Project.open(project_dir) as project:
        run = snapshots.get_run(project.connect(), run_id)
        lang = project.settings.project.language
    if as_json:
        console.print_json(json.dumps(run, default=str, ensure_ascii=False))
        return
    console.print(f"{run['run_id']}  {run['kind']} {run['model'] or ''}  D = {run['as_of']}  "
                  f"created {run['created_at']}  {run['status']}")
    table = Table("segment", "name", "customers", "share %")
    for s in run.get("segments", []):
        table.add_row(s["segment_id"], s[f"name_{lang}"], f"{s['customers']:,}",
                      f"{s['share_pct']:.1f}")
    console.print(table)


@runs_app.command("rm")
@handle_errors
def runs_rm(
    run_id: Annotated[str, typer.Argument(help="The run to delete.")],
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Delete a run and everything stored under it."""
    from custseg import snapshots

    with Project.open(project_dir) as project:
        snapshots.remove_run(project.connect(), run_id)
    console.print(f"removed run {run_id}")


@runs_app.command("export")
@handle_errors
def runs_export(
    run_id: Annotated[str, typer.Argument(help="The segmentation run to export.")],
    file: Annotated[Path, typer.Argument(help="A .csv, .xlsx or .parquet file.")],
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Export a stored run's customer_id,segment_id,segment_name (formula-safe)."""
    from custseg import snapshots

    with Project.open(project_dir) as project:
        n = snapshots.export_run(project.connect(), run_id, file)
    console.print(f"exported {n:,} customers to {file}")


@runs_app.command("diff")
@handle_errors
def runs_diff(
    run_a: Annotated[str, typer.Argument(help="Earlier run.")],
    run_b: Annotated[str, typer.Argument(help="Later run.")],
    project_dir: ProjectOpt = Path("."),
) -> None:
    """What differs between two runs: settings, and for one model, the migration."""
    from custseg import snapshots

    with Project.open(project_dir) as project:
        con = project.connect()
        a, b = snapshots.get_run(con, run_a), snapshots.get_run(con, run_b)
        changed = sorted(k for k in set(a["config"]) | set(b["config"])
                         if a["config"].get(k) != b["config"].get(k))
        console.print(f"config keys that differ: {', '.join(changed) or 'none'}")
        if a["kind"] == b["kind"] == "segment":
            _print_migration(snapshots.migration(con, run_a, run_b, across_models=True,
                                                 lang=project.settings.project.language))


def _print_migration(report: dict) -> None:
    models = report["model"] if report["model"] == report["model_b"] else (
        f"{report['model']} → {report['model_b']}")
    table = Table("from", "to", "customers", "% of from",
                  title=f"{models}: {report['as_of_a']} → {report['as_of_b']}")
    for change in report["definition_changes"]:
        console.print(f"definition changed: {escape(change)}")
    for r in report["matrix"]:
        table.add_row(r["from_name"], r["to_name"], f"{r['customers']:,}", f"{r['share']:.1%}")
    console.print(table)
    for r in report["largest_flows"][:5]:
        console.print(f"  {r['from_name']} → {r['to_name']}: {r['customers']:,}")
    if report.get("psi"):
        console.print("PSI: " + ", ".join(f"{k} {v:.3f}" for k, v in report["psi"].items()))
    for w in report.get("warnings", []):
        console.print(f"[yellow]warning:[/] {escape(w)}")


@app.command()
@handle_errors
def migration(
    run_a: Annotated[str, typer.Argument(help="Earlier run.")],
    run_b: Annotated[str, typer.Argument(help="Later run.")],
    model: Annotated[str | None, typer.Option(help="Check both runs are of this model.")
                     ] = None,
    export: Annotated[Path | None, typer.Option(
        help="Write from_segment,to_segment,customers to this .csv.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """How customers moved between the segments of two runs of one segmentation."""
    from custseg import snapshots

    with Project.open(project_dir) as project:
        report = snapshots.migration(project.connect(), run_a, run_b, model=model,
                                     lang=project.settings.project.language)
    if export:
        snapshots.export_migration(report, export)
    if as_json:
        console.print_json(json.dumps(report, default=str, ensure_ascii=False))
        return
    _print_migration(report)
    if export:
        console.print(f"exported {export}")


@app.command("run")
@handle_errors
def run_command(
    as_of: Annotated[str, typer.Option(
        help="As-of date D (YYYY-MM-DD), or auto for the latest order date.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Run the whole pipeline from custseg.toml and store it as a snapshot (for schedulers)."""
    day = None if as_of == "auto" else _parse_date(as_of, "--as-of")
    with Project.open(project_dir) as project, _progress() as progress:
        task = progress.add_task("starting")
        record = project.run(as_of=day,
                             on_step=lambda name: progress.update(task, description=name))
    if as_json:
        console.print_json(json.dumps(record, default=str, ensure_ascii=False))
        return
    console.print(f"run {record['run_id']}: {record['status']}, D = {record['as_of']}, "
                  f"data {record['data_range'][0]} … {record['data_range'][1]}")
    for s in record["steps"]:
        console.print(f"  {s['model']}: run {s['run_id']}")
