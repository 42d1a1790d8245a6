"""What every command shares: the Typer app, consoles, error handling and common options."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from custseg.errors import CustsegError, CustsegWarning
from custseg.io.results import EXPORT_FORMATS

app = typer.Typer(
    help="custseg — customer segmentation and tiering (客户细分 / 客户分级).",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
    rich_markup_mode="markdown",
)
console = Console(soft_wrap=True)  # a path or message is never broken across lines
err = Console(stderr=True, soft_wrap=True)

ProjectOpt = Annotated[Path, typer.Option("--project", "-p", help="Project folder.",
                                          show_default=True)]
Lang = Literal["zh", "en"]


def handle_errors(fn: Callable) -> Callable:
    """Turn user errors into one line on stderr and exit code 1, and custseg's warnings into
    one line on stderr instead of Python's warning format with a source line."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with warnings.catch_warnings():  # restores the filters and showwarning after
                warnings.simplefilter("always", CustsegWarning)
                python_format = warnings.showwarning

                def show(message, category, *rest):
                    if not issubclass(category, CustsegWarning):
                        return python_format(message, category, *rest)
                    err.print(f"[yellow]![/] {escape(str(message))}", highlight=False,
                              soft_wrap=True)

                warnings.showwarning = show
                return fn(*args, **kwargs)
        except CustsegError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                      soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def progress_bar() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=err, transient=True)


def parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CustsegError(f"{option}: {text!r} is not a date; use YYYY-MM-DD") from None


AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="As-of date D, YYYY-MM-DD (default: the latest order date).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
TIME_UNITS = {"w": "W", "week": "W", "weeks": "W", "d": "D", "day": "D", "days": "D"}


def export_path(export: Path | None) -> Path | None:
    if export is not None and export.suffix.lower() not in EXPORT_FORMATS:
        raise CustsegError(f"--export {export}: use a {', '.join(EXPORT_FORMATS)} file")
    return export


