"""Right to erasure (SPEC §10): remove one customer from every table and keep them out.

`erase` finds every id the person had (the surviving id and the source ids merged into it),
deletes their rows from every table with an id column (raw, canonical, identity map, run
snapshots, predictions, campaign tables …, found in the catalog), their orders' items, the
rejected lines that mention them, scrubs their id and personal values from free text (the
audit log keeps who did what, with the id replaced by a keyed hash), cleans again so every
derived table follows, and records the erasure. Keyed hashes of the ids and order ids stay
behind as tombstones, so a later load of a file that still holds the customer skips their
rows (`skip_erased`).

With an operational store (``[engine] operational_store``, `custseg.io.store`) the audit log
there gets the same redaction and the erasure entry, in a transaction of the server that
commits only after the project database's.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime

from custseg import schema
from custseg.config import Settings
from custseg.errors import CustsegError
from custseg.io import audit
from custseg.io.keys import Privacy, checkpoint, require_key
from custseg.privacy.encryption import blind

TOMBSTONE_DDL = """CREATE TABLE IF NOT EXISTS erasure_tombstones (kind VARCHAR, hash VARCHAR,
    erased_at TIMESTAMP)"""
ID_KINDS = {"customer_id": "customer_id", "referrer_id": "customer_id",
            "referred_id": "customer_id", "source_customer_id": "customer_id",
            "surviving_id": "customer_id", "order_id": "order_id"}
ERASED = "[erased]"
MIN_SCRUB = 2  # shorter values are not searched in free text
STORE_TEXT = {"audit_log": ("user_name", "action", "target", "detail")}


def _norm(column: str) -> str:
    return f"trim(cs_halfwidth(replace({column}, chr(12288), ' ')))"


def _tables(db) -> dict[str, list[tuple[str, str]]]:
    rows = db.execute(
        "SELECT c.table_name, c.column_name, c.data_type FROM duckdb_columns() c "
        "JOIN duckdb_tables() t ON c.table_name = t.table_name AND "
        "c.schema_name = t.schema_name WHERE NOT t.temporary AND t.schema_name = 'main' "
        "ORDER BY c.table_name, "
        "c.column_index").fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        out.setdefault(table, []).append((column, kind))
    return out


def _has_tombstones(db) -> bool:
    return bool(db.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                           "'erasure_tombstones' AND NOT temporary").fetchone()[0]) and bool(
        db.execute("SELECT count(*) FROM erasure_tombstones").fetchone()[0])


def skip_erased(db, table: str, staged: str = "_incoming") -> int:
    """Delete from the staged rows of a load those of erased customers or orders."""
    if not _has_tombstones(db):
        return 0
    cols = [c for c in schema.column_names(table) if c in ID_KINDS]
    conds = [f"cs_hmac('{ID_KINDS[c]}|' || {_norm(c)}) IN (SELECT hash FROM "
             f"erasure_tombstones WHERE kind = '{ID_KINDS[c]}')" for c in cols]
    if not conds:
        return 0
    return db.execute(f'DELETE FROM "{staged}" WHERE {" OR ".join(conds)}').fetchone()[0]


def _ids(db, customer_id: str) -> list[str]:
    """The surviving id of ``customer_id`` and every source id merged into it."""
    found = db.execute("SELECT surviving_id FROM identity_map WHERE customer_id = ?",
                       [customer_id]).fetchone()
    survivor = found[0] if found else customer_id
    merged = [r[0] for r in db.execute(
        "SELECT customer_id FROM identity_map WHERE surviving_id = ?", [survivor]).fetchall()]
    return [survivor, *sorted(set(merged) - {survivor})]


def _in(values: list[str]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def _personal_values(db, privacy: Privacy, ids: list[str]) -> set[str]:
    """The person's names, phones, e-mails, ID numbers and addresses, as stored and raw."""
    values: set[str] = set()
    fields = ", ".join(f'"{f}"' for f in schema.PERSONAL_FIELDS)
    for table in ("customers", "raw_customers"):
        key = _norm("customer_id") if table.startswith("raw_") else "customer_id"
        for row in db.execute(f"SELECT {fields} FROM {table} WHERE {key} IN {_in(ids)}"
                              ).fetchall():
            values |= {str(privacy.reveal(v)).strip() for v in row if v is not None}
    return {v for v in values if len(v) >= MIN_SCRUB and v != "None"}


def _id_columns(columns: list[tuple[str, str]]) -> list[str]:
    return [c for c, kind in columns if kind == "VARCHAR"
            and (c in ID_KINDS and ID_KINDS[c] == "customer_id" or c.endswith("customer_id"))]


def _delete_rows(db, tables: dict, ids: list[str], order_ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table, columns in tables.items():
        conds = []
        for column in _id_columns(columns):
            expr = _norm(f'"{column}"') if table.startswith("raw_") else f'"{column}"'
            conds.append(f"{expr} IN {_in(ids)}")
        if order_ids and any(c == "order_id" for c, _ in columns):
            expr = _norm('"order_id"') if table.startswith("raw_") else '"order_id"'
            conds.append(f"{expr} IN {_in(order_ids)}")
        if not conds:
            continue
        n = db.execute(f'DELETE FROM "{table}" WHERE {" OR ".join(conds)}').fetchone()[0]
        if n:
            counts[table] = n
    return counts


def _patterns(ids: list[str], values: set[str], tag: str) -> list[tuple[re.Pattern, str]]:
    """(pattern, replacement): ids become the keyed tag, personal values ``[erased]``."""
    out = [(re.compile(r"(?<![0-9A-Za-z])" + re.escape(i) + r"(?![0-9A-Za-z])"), tag)
           for i in ids]
    return out + [(re.compile(re.escape(v)), ERASED)
                  for v in sorted(values, key=len, reverse=True)]


def _redact(text: str, patterns: list) -> str:
    for p, replacement in patterns:
        text = p.sub(replacement, text)
    return text


def _rejected_lines(db, privacy: Privacy, patterns: list) -> list[int]:
    """Row ids of rejected source lines (kept as text) that mention the person."""
    rows = db.execute("SELECT rowid, raw_value FROM quarantine WHERE stage = 'read' AND "
                      "raw_value IS NOT NULL").fetchall()
    return [rid for rid, raw in rows
            if any(p.search(str(privacy.reveal(raw) or "")) for p, _ in patterns)]


def _drop_rejected_lines(db, privacy: Privacy, patterns: list) -> int:
    """Delete rejected source lines that mention the person."""
    hit = _rejected_lines(db, privacy, patterns)
    if hit:
        db.execute(f"DELETE FROM quarantine WHERE rowid IN ({', '.join(map(str, hit))})")
    return len(hit)


def _scrub_text(db, tables: dict, patterns: list, needles: list[str]) -> dict[str, int]:
    """Replace the person's ids (by their keyed tag) and personal values (by ``[erased]``)
    in free text; other customers' own personal columns are left alone."""
    counts: dict[str, int] = {}
    skip = {(t, c) for t in ("customers", "raw_customers") for c in schema.PERSONAL_FIELDS}
    for table, columns in tables.items():
        for column, kind in columns:
            if kind != "VARCHAR" or (table, column) in skip:
                continue
            where = " OR ".join(f"contains(\"{column}\", '{n.replace(chr(39), chr(39) * 2)}')"
                                for n in needles)
            rows = db.execute(f'SELECT rowid, "{column}" FROM "{table}" WHERE {where}'
                              ).fetchall()
            changed = []
            for rid, text in rows:
                new = _redact(text, patterns)
                if new != text:
                    changed.append((new, rid))
            if changed:
                db.executemany(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', changed)
                counts[f"{table}.{column}"] = len(changed)
    return counts


def _scrub_store(store, patterns: list, needles: list[str]) -> dict[str, int]:
    """`_scrub_text` for the free text the operational store keeps (`STORE_TEXT`). The
    server has no row ids, so each distinct text is replaced by value."""
    store.execute(audit.AUDIT_DDL)
    counts: dict[str, int] = {}
    for table, columns in STORE_TEXT.items():
        for column in columns:
            where = " OR ".join(f"strpos({column}, ?) > 0" for _ in needles)
            found = store.execute(f"SELECT DISTINCT {column} FROM {table} WHERE {where}",
                                  needles).fetchall()
            n = 0
            for (text,) in found:
                new = _redact(text, patterns)
                if new != text:
                    n += store.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?",
                                       [new, text]).rowcount
            if n:
                counts[f"operational_store.{table}.{column}"] = n
    return counts


def erase(con, settings: Settings, privacy: Privacy, customer_id: str, *, by: str,
          store=None) -> dict:
    """Erase one customer everywhere, in one transaction; see the module docstring.

    ``store`` is the operational store when it is a server of its own (a connection that
    this call may hold in a transaction); its audit log is redacted too.

    Returns what was done: ``customer`` (a keyed hash of the id, as in the audit log),
    ``ids`` (how many ids the person had), ``rows`` deleted per table, ``scrubbed`` cells per
    column (``operational_store.…`` for the store's), ``rejected_lines`` deleted and
    ``tombstones`` recorded.
    """
    from custseg.io.database import transaction
    from custseg.io.rebuild import clean_database

    require_key(privacy, "erasure")
    db = con.con
    customer_id = customer_id.strip()
    ids = _ids(db, customer_id)
    order_ids = [r[0] for r in db.execute(
        f"SELECT DISTINCT order_id FROM orders WHERE customer_id IN {_in(ids)} OR "
        f"source_customer_id IN {_in(ids)} UNION SELECT DISTINCT {_norm('order_id')} "
        f"FROM raw_orders WHERE {_norm('customer_id')} IN {_in(ids)}").fetchall()
        if r[0] is not None]
    values = _personal_values(db, privacy, ids)
    tag = "erased:" + blind(privacy.index_key, "customer_id", ids[0])[:16]
    patterns = _patterns(ids, values, tag)
    known = db.execute(f"SELECT count(*) FROM raw_customers WHERE {_norm('customer_id')} IN "
                       f"{_in(ids)}").fetchone()[0] + len(order_ids)
    if not known and not _rejected_lines(db, privacy, patterns[:len(ids)]):
        raise CustsegError(f"no customer {customer_id!r} in this project")
    needles = [*ids, *values]
    with store.transaction() if store is not None else contextlib.nullcontext():
        in_store = _scrub_store(store, patterns, needles) if store is not None else {}
        with transaction(db):
            db.execute(TOMBSTONE_DDL)
            rows = _delete_rows(db, _tables(db), ids, order_ids)
            lines = _drop_rejected_lines(db, privacy, patterns)
            clean_database(con, settings)
            scrubbed = _scrub_text(db, _tables(db), patterns, needles)
            now = datetime.now()
            db.executemany("INSERT INTO erasure_tombstones VALUES (?, ?, ?)",
                           [["customer_id", blind(privacy.index_key, "customer_id", i), now]
                            for i in ids]
                           + [["order_id", blind(privacy.index_key, "order_id", o), now]
                              for o in order_ids])
            audit.record(con, user=by, action="erase", target=f"customer {tag}",
                         detail=_detail(rows))
        if store is not None:
            audit.record(store, user=by, action="erase", target=f"customer {tag}",
                         detail=_detail(rows))
    checkpoint(db)
    scrubbed |= in_store
    return {"customer": tag, "ids": len(ids), "rows": rows, "scrubbed": scrubbed,
            "rejected_lines": lines, "tombstones": len(ids) + len(order_ids)}


def _detail(rows: dict[str, int]) -> str:
    return "rows deleted: " + ", ".join(f"{t} {n}" for t, n in sorted(rows.items()))
