"""Data quality: the row balance per table, cleaning-rule hits and field profiles (SPEC §3)."""

from __future__ import annotations

from datetime import datetime

from custseg import schema
from custseg.privacy.masking import MASKERS, mask_value
from custseg.reports import charts
from custseg.reports import format as fmt
from custseg.reports.section import Chart, Figures, Section, Table, Text

KEY, ORDER, TITLE = "quality", 20, "report_quality"


def balance_rows(ctx, report: dict) -> tuple[list[str], list[list]]:
    """Rows in = clean + quarantined + merged, per table, with the check."""
    columns = [ctx.t(k) for k in ("table", "rows_in", "clean", "quarantined", "merged",
                                  "report_balanced")]
    rows = [[name, b["rows_in"], b["clean"], b["quarantined"], b["merged"],
             b["rows_in"] == b["clean"] + b["quarantined"] + b["merged"]]
            for name, b in report["balance"].items()]
    return columns, rows


def masked(value: str | None, column: str | None = None, reveal=lambda v: v) -> str | None:
    """A quarantined value with its personal fields masked: the whole value when ``column``
    is personal, else each ``field=value`` part of a row dump. ``reveal`` decrypts a value
    stored encrypted (`custseg.io.keys.Privacy.reveal`) before it is masked.

    >>> masked("customer_id=C1; name=张三; email=jane@example.com")
    'customer_id=C1; name=张*; email=j***@example.com'
    >>> masked("13812341234", "phone")
    '138****1234'
    """
    if not value:
        return value
    if column in MASKERS:
        return mask_value(column, reveal(value))
    parts = []
    for part in str(value).split("; "):
        field, eq, text = part.partition("=")
        parts.append(f"{field}={mask_value(field, reveal(text))}" if eq and field in MASKERS
                     else part)
    return "; ".join(parts)


def rule_rows(ctx, report: dict) -> tuple[list[str], list[list]]:
    """Hits per cleaning rule with the first example."""
    columns = [ctx.t(k) for k in ("rule", "action", "count", "example")]
    rows = []
    for name, r in report["rules"].items():
        ex = r["examples"][0] if r["examples"] else {}
        value = masked(ex.get("value"), ex.get("column"), ctx.reveal)
        example = ctx.t("report_example_row", source=ex.get("source") or "",
                        row=ex.get("row") or "", value=value or "") if ex else ""
        action = ctx.t(f"report_action_{r['action']}")
        rows.append([name, action if not action.startswith("report_") else r["action"],
                     r["count"], example])
    return columns, rows


def _bound(ctx, table: str, field: str, value: str | None) -> str | None:
    """A field's min or max as shown: dates and times per language, personal data masked."""
    kind = next((c.type for c in schema.stored_columns(table) if c.name == field), "str")
    if value and kind == "date":
        return fmt.day(value, ctx.lang)
    if value and kind == "timestamp":
        return fmt.timestamp(datetime.fromisoformat(value), ctx.lang)
    return masked(value, field, ctx.reveal)


def field_rows(ctx, report: dict) -> tuple[list[str], list[list]]:
    """Missing rate, distinct values, min and max (masked for personal fields) of every field
    of the non-empty tables."""
    columns = [ctx.t(k) for k in ("table", "report_field", "report_missing_rate",
                                  "report_distinct", "report_min", "report_max")]
    rows = [[table, c["field"], fmt.percent(c["missing_rate"], ctx.lang), c["distinct"],
             _bound(ctx, table, c["field"], c["min"]), _bound(ctx, table, c["field"], c["max"])]
            for table, cols in report["fields"].items()
            if report["balance"][table]["clean"] for c in cols]
    return columns, rows


def build(ctx) -> Section | None:
    report = ctx.project.quality()
    balance = report["balance"]
    if not any(b["rows_in"] for b in balance.values()):
        return None
    loaded = [t for t in schema.TABLES if balance[t]["rows_in"]]
    total = {k: sum(b[k] for b in balance.values()) for k in ("rows_in", "clean", "quarantined")}
    ok = all(r[-1] for r in balance_rows(ctx, report)[1])
    blocks = [
        Figures([(ctx.t("rows_in"), fmt.number(total["rows_in"], ctx.lang)),
                 (ctx.t("clean"), fmt.number(total["clean"], ctx.lang)),
                 (ctx.t("quarantined"), fmt.number(total["quarantined"], ctx.lang)),
                 (ctx.t("report_balanced"), ctx.t("report_yes" if ok else "report_no"))]),
        Chart(charts.bars(loaded, {ctx.t(k): [balance[t][k] for t in loaded]
                                   for k in ("clean", "quarantined", "merged")},
                          stacked=True, title=ctx.t("report_balance_chart"),
                          y_title=ctx.t("rows"))),
        Table(*balance_rows(ctx, report), caption=ctx.t("report_balance_caption")),
    ]
    if not ok:
        blocks.append(Text(ctx.t("report_unbalanced"), "warning"))
    rules = rule_rows(ctx, report)
    blocks.append(Table(*rules, caption=ctx.t("report_rules_caption")) if rules[1]
                  else Text(ctx.t("report_no_rule_hits"), "note"))
    blocks.append(Table(*field_rows(ctx, report), caption=ctx.t("report_fields_caption")))
    return Section(KEY, ctx.t(TITLE), blocks)
