"""Data catalog (SPEC §4, seed template 2: 客户数据收集清单)."""

from __future__ import annotations

from custseg.io.quality import CATEGORIES
from custseg.reports.section import Section, Table, Text

KEY, ORDER, TITLE = "catalog", 10, "report_catalog"


def rows(ctx) -> tuple[list[str], list[list]]:
    """Template 2 in the report's language: category, table, fields, sources, refresh."""
    columns = [ctx.t(k) for k in ("category", "table", "fields", "source", "refresh")]
    out = []
    for entry in ctx.project.catalog():
        category = ctx.t(CATEGORIES.get(entry["table"], "value"))
        refresh = ", ".join(_word(ctx, r.strip()) for r in entry["refresh"].split(","))
        out.append([category, entry["table"], ", ".join(entry["fields"]),
                    ", ".join(_word(ctx, s) for s in entry["sources"]), refresh])
    return columns, out


def _word(ctx, text: str) -> str:
    """Known refresh words and built-in sources in the report's language."""
    key = "report_word_" + text.replace(" ", "_")
    label = ctx.t(key)
    return text if label == key else label


def build(ctx) -> Section:
    columns, table = rows(ctx)
    return Section(KEY, ctx.t(TITLE), [Text(ctx.t("report_catalog_intro")),
                                       Table(columns, table)])
