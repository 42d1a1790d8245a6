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
    "action": dt.string,
}


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


def _issue(rows: ibis.Table, table: str, column: str, rule: str, reason: str,
           action: str) -> ibis.Table:
    return rows.select(
        _load_id=rows._load_id, table_name=ibis.literal(table), _source=rows._source,
        _row=rows._row, column_name=ibis.literal(column), rule=ibis.literal(rule),
        reason=ibis.literal(reason), raw_value=rows[column].cast(dt.string),
        action=ibis.literal(action),
    )


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
    """Rows whose key columns read correctly: SPEC §2 columns plus ``_load_id`` and ``_row``."""
    return typed.filter(_key_ok(typed, table)).select(
        **{c: typed[f"__v_{c}"] for c in schema.column_names(table)},
        _load_id=typed._load_id, _row=typed._row,
    )


def issue_rows(typed: ibis.Table, table: str) -> ibis.Table:
    """One row per rejected row (a key missing or unreadable) or value set to NULL."""
    key_ok = _key_ok(typed, table)
    parts = []
    for col in schema.columns(table):
        value, text = typed[f"__v_{col.name}"], typed[col.name]
        if col.key:
            parts.append(_issue(typed.filter(text.isnull()), table, col.name,
                                "missing_key", f"required {col.name} is empty", "rejected"))
            parts.append(_issue(typed.filter(text.notnull() & value.isnull()), table,
                                col.name, f"unreadable_{col.type}",
                                f"required {col.name} is not a readable {col.type}", "rejected"))
        elif col.type != "str":
            parts.append(_issue(typed.filter(key_ok & text.notnull() & value.isnull()),
                                table, col.name, f"unreadable_{col.type}",
                                f"{col.name} is not a readable {col.type}; set to empty",
                                "changed"))
    return ibis.union(*parts)


def merge_customers(customers: ibis.Table, orders: ibis.Table) -> ibis.Table:
    """One row per customer: every customer of a customers source or of an order.

    ``customers`` is `canonical_rows` of raw_customers. Attributes come from the most recent
    load (then the last row) that gave a value, so a later export updates a customer without
    blanking what it does not carry.
    """
    order_key = customers._load_id * 10**12 + customers._row
    attrs = customers.group_by("customer_id").aggregate(**{
        c: customers[c].argmax(order_key, where=customers[c].notnull())
        for c in schema.column_names("customers") if c != "customer_id"
    })
    ids = ibis.union(customers.select("customer_id"), orders.select("customer_id"),
                     distinct=True)
    return ids.left_join(attrs, "customer_id").select(schema.column_names("customers"))
