"""The Excel workbook: template 1 (segment result tables), template 2 (data catalog), the
playbook, the quality report (row balance, cleaning rules, field profiles) and masked member
lists per segment (SPEC §6, §4, §7, §10).

Every sheet has a styled header row, frozen panes, an auto-filter and fitted column widths.
Text cells that a spreadsheet would run as a formula (starting with = + - @ tab or CR) get
a leading quote; numbers stay numbers.

>>> safe("=1+1"), safe("-50"), safe(-50.0), safe("张三")
("'=1+1", "'-50", -50.0, '张三')
"""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from custseg.errors import CustsegError
from custseg.io import report_data
from custseg.io.results import EXCEL_MAX_ROWS
from custseg.privacy.encryption import is_token
from custseg.privacy.masking import MASKERS, mask_frame
from custseg.reports.context import ReportContext
from custseg.reports.sections import catalog, playbook, quality, segments

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="2F6DB5")
WIDTH_SAMPLE = 2000


def safe(value):
    """A cell value that cannot run as a formula: text starting with = + - @ tab or CR gets a
    leading quote; lists become text; numbers, dates and None pass unchanged."""
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _width(value) -> int:
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _add_sheet(wb: Workbook, title: str, columns: list[str], rows: list[list]) -> None:
    """One sheet: header row, rows escaped, widths fitted, header frozen, auto-filter on."""
    if len(rows) > EXCEL_MAX_ROWS:
        raise CustsegError(f"sheet {title!r}: {len(rows):,} rows do not fit in Excel "
                           f"({EXCEL_MAX_ROWS:,}); export the run as .csv with "
                           "`custseg runs export`")
    ws = wb.create_sheet(title[:31])
    rows = [[safe(v) for v in row] for row in rows]
    for i, column in enumerate(columns, start=1):
        longest = max([_width(column), *(_width(r[i - 1]) for r in rows[:WIDTH_SAMPLE])])
        ws.column_dimensions[get_column_letter(i)].width = min(max(longest + 2, 8), 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(max(len(columns), 1))}{len(rows) + 1}"
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=safe(column))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append(row)


def _segment_sheet(ctx) -> tuple[list[str], list[list]]:
    head = [ctx.t("report_model"), ctx.t("run"), ctx.t("as_of")]
    columns, rows = head + segments.template_rows({}, ctx.lang)[0], []
    for run in ctx.segment_runs:
        as_of = date.fromisoformat(run["as_of"]) if run["as_of"] else None
        rows += [[run["model"], run["run_id"], as_of, *r]
                 for r in segments.template_rows(run, ctx.lang)[1]]
    return columns, rows


def _playbook_sheet(ctx) -> tuple[list[str], list[list]]:
    columns = [ctx.t("report_model")] + [ctx.t(f"report_playbook_{f}") for f in playbook.FIELDS]
    return columns, [[model, *playbook.row(e, ctx.lang)] for model, rows in playbook.entries(ctx)
                     for e in rows]


def _masked_members(ctx, frame):
    """Personal columns decrypted with the project's key (`custseg.io.keys.Privacy`), then
    masked; without the key, an encrypted value says so instead of looking empty."""
    privacy = getattr(ctx.project, "privacy", None)
    if privacy is None:
        return mask_frame(frame)
    locked = {} if privacy.readable else {
        c: frame[c].map(is_token).astype(bool) for c in MASKERS if c in frame.columns}
    frame = mask_frame(privacy.reveal_frame(frame))
    for column, hidden in locked.items():
        frame[column] = frame[column].astype(object).mask(hidden, ctx.t("report_member_encrypted"))
    return frame


def _members_sheet(ctx, run: dict) -> tuple[list[str], list[list]]:
    frame = _masked_members(ctx, report_data.members(ctx.con, run["run_id"]))
    names = {s["segment_id"]: s[f"name_{ctx.lang}"] for s in run.get("segments", [])}
    frame["segment_name"] = frame.segment_id.map(names).fillna(frame.segment_name)
    columns = [ctx.t(f"report_member_{c}") for c in frame.columns]
    return columns, frame.astype(object).where(frame.notna(), None).values.tolist()


def workbook(ctx: ReportContext) -> Workbook:
    """The workbook of a report context (see the module docstring for its sheets)."""
    wb = Workbook(write_only=True)
    report = ctx.project.quality()
    sheets = [("report_sheet_segments", _segment_sheet(ctx)),
              ("report_sheet_catalog", catalog.rows(ctx)),
              ("report_sheet_playbook", _playbook_sheet(ctx)),
              ("report_sheet_quality", quality.balance_rows(ctx, report)),
              ("report_sheet_rules", quality.rule_rows(ctx, report)),
              ("report_sheet_fields", quality.field_rows(ctx, report))]
    for key, (columns, rows) in sheets:
        _add_sheet(wb, ctx.t(key), columns, rows)
    for run in ctx.segment_runs:
        _add_sheet(wb, f"{ctx.t('report_sheet_members')} {run['model']}",
                   *_members_sheet(ctx, run))
    return wb


def write_workbook(project, path: Path | str, *, lang: str | None = None,
                   run_id: str | None = None) -> Path:
    """Write the Excel workbook of ``project`` to ``path`` (.xlsx) and return the path."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise CustsegError(f"--xlsx {path}: the workbook is an .xlsx file")
    wb = workbook(ReportContext(project, lang=lang, run_id=run_id))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
