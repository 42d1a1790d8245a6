"""Commands that set up a project, load and clean data and describe it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from custseg import schema
from custseg.cli._app import (
    Lang,
    ProjectOpt,
    app,
    console,
    handle_errors,
    parse_date,
    progress_bar,
)
from custseg.errors import CustsegError
from custseg.i18n import t
from custseg.io.database import LoadReport
from custseg.pipeline import Project


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
    with progress_bar() as progress:
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
    from custseg.cli.privacy import privacy_lines

    for line in privacy_lines(status["privacy"], lang):
        console.print(line, highlight=False, soft_wrap=True)


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
    """Create a demo project, load its data, print a summary and write the HTML report."""
    from custseg.demo import create_demo
    from custseg.reports import write_report

    with progress_bar() as progress:
        progress.add_task(f"preparing the {dataset} data in {directory}")
        project = create_demo(dataset, directory, language=lang, customers=customers,
                              seed=seed)
    with project:
        _ingest_with_progress(project, project.settings.sources,
                              lambda src: project.load_source(src))
        _summary(project, lang)
        with progress_bar() as progress:
            task = progress.add_task("running the pipeline")
            record = project.run(on_step=lambda name: progress.update(task, description=name))
            if project.status()["tables"].get("order_items"):
                progress.update(task, description="finding what is bought together")
                project.basket()
            progress.update(task, description="writing the report")
            report = write_report(project, lang=lang)
        console.print(f"{t('run', lang)} {record['run_id']}: "
                      + ", ".join(s["model"] for s in record["steps"]), highlight=False)
    console.print(f"{t('report_written', lang)}: {report}", highlight=False, soft_wrap=True)


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
    with Project.open(project_dir) as project, progress_bar() as progress:
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
        report = project.describe(as_of=parse_date(as_of, "--as-of"), model=model)
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


