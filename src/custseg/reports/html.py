"""One self-contained HTML report: every section, its tables and Plotly charts, with
Plotly's JavaScript embedded from the installed package, so it opens offline.

>>> from custseg.reports.section import Section, Table, Text
>>> page = render_page([Section("s", "Title", [Text("a < b"), Table(["n"], [[1234]])])],
...                    title="Demo", subtitle="", footer="", lang="en", plotly_js="")
>>> "a &lt; b" in page, "<td class=\\"num\\">1,234</td>" in page
(True, True)
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from custseg import __version__
from custseg.errors import CustsegError
from custseg.reports import format as fmt
from custseg.reports.context import ReportContext
from custseg.reports.section import Chart, Figures, Section, Skipped, Table, Text
from custseg.reports.sections import build_sections

COLLAPSE_ROWS = 25
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                 "modeBarButtonsToRemove": ["sendDataToCloud"]}
_env = Environment(loader=PackageLoader("custseg.reports", "templates"),
                   autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                   lstrip_blocks=True)


def _cell(value, lang: str, digits: int | None) -> str:
    if digits is not None and isinstance(value, int | float) and not isinstance(value, bool):
        return fmt.number(value, lang, digits)
    return fmt.cell(value, lang)


def _block(block, lang: str, number: int) -> dict:
    """A block as the template sees it (values formatted, charts as HTML)."""
    if isinstance(block, Text):
        return {"kind": block.kind, "text": block.text}
    if isinstance(block, Figures):
        return {"kind": "figures", "cards": block.items}
    if isinstance(block, Chart):
        height = block.figure.layout.height or 400
        html = block.figure.to_html(full_html=False, include_plotlyjs=False,
                                    div_id=f"chart-{number}", config=PLOTLY_CONFIG,
                                    default_height=f"{height}px")
        return {"kind": "chart", "html": Markup(html), "caption": block.caption}
    if isinstance(block, Table):
        return {"kind": "table", "columns": block.columns, "numeric": block.numeric,
                "rows": [[_cell(v, lang, block.digits.get(i)) for i, v in enumerate(row)]
                         for row in block.rows],
                "caption": block.caption, "collapsed": len(block.rows) > COLLAPSE_ROWS,
                "summary": f"{len(block.rows):,}"}
    raise TypeError(f"unknown report block {block!r}")


def render_page(sections: list[Section | Skipped], *, title: str, subtitle: str, footer: str,
                lang: str, plotly_js: str | None = None) -> str:
    """The HTML text of a report; ``plotly_js`` defaults to the installed Plotly's."""
    if plotly_js is None:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    counter = iter(range(1, 10_000))
    views = []
    for s in sections:
        if isinstance(s, Skipped):
            views.append({"key": s.key, "title": s.title, "note": s.note})
        else:
            views.append({"key": s.key, "title": s.title,
                          "blocks": [_block(b, lang, next(counter)) for b in s.blocks]})
    return _env.get_template("report.html.j2").render(
        sections=views, title=title, subtitle=subtitle, footer=footer,
        html_lang="zh-CN" if lang == "zh" else "en", version=__version__,
        plotly_js=Markup(plotly_js))


def render(ctx: ReportContext) -> str:
    """The whole report of a project as HTML text."""
    settings = ctx.project.settings
    now = datetime.now()
    subtitle = ctx.t("report_subtitle", generated=fmt.timestamp(now, ctx.lang),
                     database=ctx.project.database_path.name)
    return render_page(build_sections(ctx), lang=ctx.lang, subtitle=subtitle,
                       title=ctx.t("report_title", project=settings.project.name),
                       footer=ctx.t("report_footer", version=__version__))


def default_path(project) -> Path:
    """``[report] out`` (relative to the project folder), by default ``report.html``."""
    report = getattr(project.settings, "report", None)
    return project.directory / getattr(report, "out", "report.html")


def write_report(project, *, lang: str | None = None, run_id: str | None = None,
                 out: Path | str | None = None) -> Path:
    """Write the HTML report of ``project`` and return its path.

    ``lang`` and ``run_id`` are those of `ReportContext`; ``out`` defaults to
    `default_path`.
    """
    path = Path(out) if out is not None else default_path(project)
    if path.suffix.lower() not in (".html", ".htm"):
        raise CustsegError(f"--out {path}: the report is an .html file")
    text = render(ReportContext(project, lang=lang, run_id=run_id))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
