"""Commands that write the HTML report and the Excel workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from custseg.cli._app import Lang, ProjectOpt, app, console, handle_errors, progress_bar
from custseg.i18n import t
from custseg.pipeline import Project

RunOpt = Annotated[str | None, typer.Option(
    "--run", help="A pipeline, segmentation or predict run to show (default: the latest run "
    "of every model and the latest predictions).")]
LangOpt = Annotated[Lang | None, typer.Option(
    "--lang", help="Language of the labels (default: \\[report] language, then the project's).")]


@app.command()
@handle_errors
def report(
    run: RunOpt = None,
    lang: LangOpt = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="The .html file to write (default: \\[report] out, report.html in "
        "the project folder).")] = None,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Write one self-contained HTML report with charts that opens offline."""
    from custseg.reports import write_report

    with Project.open(project_dir) as project, progress_bar() as progress:
        progress.add_task("writing the report")
        path = write_report(project, lang=lang, run_id=run, out=out)
        lang = lang or project.settings.report.language or project.settings.project.language
    console.print(f"{t('report_written', lang)}: {path}", highlight=False, soft_wrap=True)


@app.command()
@handle_errors
def export(
    xlsx: Annotated[Path, typer.Option(
        "--xlsx", help="The Excel workbook to write: templates 1 and 2, playbook, quality "
        "report and masked member lists per segment.")],
    run: RunOpt = None,
    lang: LangOpt = None,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Write the Excel workbook (personal data masked, safe against formula injection)."""
    from custseg.reports import write_workbook

    with Project.open(project_dir) as project, progress_bar() as progress:
        progress.add_task("writing the workbook")
        path = write_workbook(project, xlsx, lang=lang, run_id=run)
        lang = lang or project.settings.report.language or project.settings.project.language
    console.print(f"{t('exported', lang)}: {path}", highlight=False, soft_wrap=True)
