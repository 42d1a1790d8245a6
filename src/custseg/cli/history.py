"""Commands over stored runs: list, compare, migrate, and the scheduled whole-pipeline run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from custseg.cli._app import (
    ProjectOpt,
    app,
    console,
    handle_errors,
    parse_date,
    progress_bar,
)
from custseg.pipeline import Project

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
        project.publish_runs()  # the shared registry forgets it too, when there is one
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
    day = None if as_of == "auto" else parse_date(as_of, "--as-of")
    with Project.open(project_dir) as project, progress_bar() as progress:
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
