"""From raw text rows to the canonical tables, as Ibis expressions.

``raw_<table>`` holds every loaded row as text with its lineage (load, source, row). The
canonical table keeps the rows whose key columns read correctly, typed; every other problem
becomes an issue row — the rejected row or the value that was set to NULL — so the quarantine
log explains each difference between raw and canonical.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from custseg import schema
from custseg.cleaning.standardize import clean_text, parse, parse_id

LINEAGE = ["_load_id", "_source", "_row"]
ISSUE_COLUMNS = {
    "_load_id": dt.int64, "table_name": dt.string, "_source": dt.string, "_row": dt.int64,
    "column_name": dt.string, "rule": dt.string, "reason": dt.string, "raw_value": dt.string,
    "new_value": dt.string, "action": dt.string,
}


def issues(rows: ibis.Table, table: str, rule: str, reason: str, action: str, *,
           column: str | None = None, raw: ibis.Value | None = None,
           new: ibis.Value | None = None) -> ibis.Table:
    """Quarantine rows for ``rows`` (which carry ``_load_id``, ``_source``, ``_row``).

    ``action`` says what happened to the row: rejected, removed (a duplicate), merged,
    changed (a value was replaced) or flagged (kept, for verification).
    """
    return rows.select(
        _load_id=rows._load_id, table_name=ibis.literal(table), _source=rows._source,
        _row=rows._row, column_name=ibis.literal(column, dt.string), rule=ibis.literal(rule),
        reason=ibis.literal(reason),
        raw_value=(raw if raw is not None else ibis.null(dt.string)).cast(dt.string),
        new_value=(new if new is not None else ibis.null(dt.string)).cast(dt.string),
        action=ibis.literal(action),
    )


def _texts(raw: ibis.Table, table: str, null_tokens: list[str]) -> ibis.Table:
    cleaned = {}
    for col in schema.columns(table):
        text = clean_text(raw[col.name], null_tokens)
        cleaned[col.name] = parse_id(text) if col.name.endswith("_id") else text
    return raw.select(*LINEAGE, **cleaned)


def _typed(texts: ibis.Table, table: str, day_first: bool) -> dict[str, ibis.Value]:
    return {
        c.name: parse(texts[c.name], c.type, day_first=day_first)
        for c in schema.columns(table)
    }


def typed_rows(raw: ibis.Table, table: str, *, null_tokens: list[str],
               day_first: bool = False) -> ibis.Table:
    """Raw rows with cleaned text per column and the parsed value beside it (``__v_<col>``).

    Materialise this once; `canonical_rows` and `issue_rows` both read it.
    """
    texts = _texts(raw, table, null_tokens)
    typed = _typed(texts, table, day_first)
    return texts.mutate(**{f"__v_{k}": v for k, v in typed.items()})


def _key_ok(typed: ibis.Table, table: str) -> ibis.Value:
    return ibis.and_(*[typed[f"__v_{k}"].notnull() for k in schema.key_columns(table)])


def canonical_rows(typed: ibis.Table, table: str) -> ibis.Table:
    """Rows whose key columns read correctly: SPEC §2 columns plus lineage."""
    return typed.filter(_key_ok(typed, table)).select(
        **{c: typed[f"__v_{c}"] for c in schema.column_names(table)},
        _load_id=typed._load_id, _source=typed._source, _row=typed._row,
    )


def issue_rows(typed: ibis.Table, table: str) -> ibis.Table:
    """One row per rejected row (a key missing or unreadable) or value set to NULL."""
    key_ok = _key_ok(typed, table)
    parts = []
    for col in schema.columns(table):
        value, text = typed[f"__v_{col.name}"], typed[col.name]
        if col.key:
            parts.append(issues(typed.filter(text.isnull()), table, "missing_key",
                                f"required {col.name} is empty", "rejected", column=col.name))
            parts.append(issues(typed.filter(text.notnull() & value.isnull()), table,
                                f"unreadable_{col.type}",
                                f"required {col.name} is not a readable {col.type}", "rejected",
                                column=col.name, raw=text))
        elif col.type != "str":
            parts.append(issues(typed.filter(key_ok & text.notnull() & value.isnull()), table,
                                f"unreadable_{col.type}",
                                f"{col.name} is not a readable {col.type}; set to empty",
                                "changed", column=col.name, raw=text))
    return ibis.union(*parts)
