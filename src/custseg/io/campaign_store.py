"""Campaign tables: campaigns, their members by arm, and the actions taken (SPEC §8).

- ``campaigns(campaign_id, created_at, model, segment_run_id, segment_id, segment_name,
  measure, holdout_share, seed, owner, cost, pre_days, post_days, start_date, status,
  target_customers, holdout_customers, excluded_objectors)`` — status ``planned``, then
  ``active`` once an action was sent or done; ``excluded_objectors`` is NULL when customers
  carry no consent column (older databases);
- ``campaign_members(campaign_id, customer_id, arm)`` — ``arm`` is ``target`` or ``holdout``;
- ``actions(action_id, customer_id, campaign_id, segment_id, measure, status, owner, at, note,
  redeemed, converted, load_id, recorded_at)`` — an append-only log; status
  ``planned``/``sent``/``done``.

Action files are logged in ``load_log`` (table ``actions``) like any load, and rows that cannot
be recorded go to ``quarantine`` with file, row, column and reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import ibis
import pandas as pd

from custseg.campaigns.actions import FIELDS, map_headers, validate
from custseg.errors import CustsegError, InputError
from custseg.io.database import drop_stage, transaction
from custseg.io.encoding import sha256
from custseg.io.readers import read_source
from custseg.io.results import export_rows
from custseg.privacy.encryption import hide_text, is_token
from custseg.privacy.masking import mask_frame

CAMPAIGN_DDL = [
    """CREATE TABLE IF NOT EXISTS campaigns (campaign_id VARCHAR PRIMARY KEY,
        created_at TIMESTAMP, model VARCHAR, segment_run_id VARCHAR, segment_id VARCHAR,
        segment_name VARCHAR, measure VARCHAR, holdout_share DOUBLE, seed BIGINT,
        owner VARCHAR, cost DOUBLE, pre_days INTEGER, post_days INTEGER, start_date DATE,
        status VARCHAR, target_customers BIGINT, holdout_customers BIGINT,
        excluded_objectors BIGINT)""",
    """CREATE TABLE IF NOT EXISTS campaign_members (campaign_id VARCHAR, customer_id VARCHAR,
        arm VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS actions (action_id BIGINT, customer_id VARCHAR,
        campaign_id VARCHAR, segment_id VARCHAR, measure VARCHAR, status VARCHAR,
        owner VARCHAR, "at" TIMESTAMP, note VARCHAR, redeemed BOOLEAN, converted BOOLEAN,
        load_id BIGINT, recorded_at TIMESTAMP)""",
]
CAMPAIGN_COLUMNS = ("campaign_id", "created_at", "model", "segment_run_id", "segment_id",
                    "segment_name", "measure", "holdout_share", "seed", "owner", "cost",
                    "pre_days", "post_days", "start_date", "status", "target_customers",
                    "holdout_customers", "excluded_objectors")
_Q_COLUMNS = ("_load_id, table_name, _source, _row, column_name, rule, reason, raw_value, "
              "new_value, action, stage")
LIST_COLUMNS = ("customer_id", "name", "phone", "segment_id", "segment_name", "campaign_id",
                "measure", "owner")


def ensure_campaign_tables(con) -> None:
    for ddl in CAMPAIGN_DDL:
        con.raw_sql(ddl)


def _records(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def next_campaign_id(con) -> str:
    """``C0001``, ``C0002`` …"""
    ensure_campaign_tables(con)
    n = con.con.execute("SELECT count(*) FROM campaigns").fetchone()[0]
    while con.con.execute("SELECT 1 FROM campaigns WHERE campaign_id = ?",
                          [f"C{n + 1:04d}"]).fetchone():
        n += 1
    return f"C{n + 1:04d}"


def save_campaign(con, row: dict, arms: ibis.Table) -> dict[str, int]:
    """Store a campaign and its members (``customer_id, arm``) in one transaction; returns the
    customers per arm."""
    ensure_campaign_tables(con)
    db = con.con
    sql = ibis.to_sql(arms, dialect="duckdb")
    with transaction(db):
        db.execute(f"INSERT INTO campaign_members SELECT ?, customer_id, arm FROM ({sql})",
                   [row["campaign_id"]])
        counts = dict(db.execute("SELECT arm, count(*) FROM campaign_members WHERE "
                                 "campaign_id = ? GROUP BY arm", [row["campaign_id"]]).fetchall())
        full = {**row, "target_customers": counts.get("target", 0),
                "holdout_customers": counts.get("holdout", 0)}
        db.execute(f"INSERT INTO campaigns ({', '.join(CAMPAIGN_COLUMNS)}) VALUES "
                   f"({', '.join('?' * len(CAMPAIGN_COLUMNS))})",
                   [full.get(c) for c in CAMPAIGN_COLUMNS])
    return {"target": counts.get("target", 0), "holdout": counts.get("holdout", 0)}


def list_campaigns(con) -> list[dict]:
    """Every campaign, newest first."""
    ensure_campaign_tables(con)
    return _records(con.con.execute("SELECT * FROM campaigns ORDER BY created_at DESC, "
                                    "campaign_id DESC"))


def get_campaign(con, campaign_id: str) -> dict:
    ensure_campaign_tables(con)
    rows = _records(con.con.execute("SELECT * FROM campaigns WHERE campaign_id = ?",
                                    [campaign_id]))
    if not rows:
        known = ", ".join(c["campaign_id"] for c in list_campaigns(con)[:5]) or "none yet"
        raise CustsegError(f"no campaign {campaign_id!r}; recent campaigns: {known}")
    return rows[0]


def members(con, campaign_id: str) -> ibis.Table:
    """``customer_id, arm`` of a campaign as an expression."""
    t = con.table("campaign_members")
    return t.filter(t.campaign_id == campaign_id).select("customer_id", "arm")


def set_active(db) -> None:
    """Planned campaigns with a sent or done action become ``active``."""
    db.execute("UPDATE campaigns SET status = 'active' WHERE status = 'planned' AND "
               "campaign_id IN (SELECT campaign_id FROM actions WHERE status IN ('sent', "
               "'done'))")


def _clear(frame: pd.DataFrame, reveal: Callable | None) -> pd.DataFrame:
    """Encrypted values decrypted by ``reveal`` (the project's key), else hidden, so masking
    sees clear text or nothing."""
    for col in ("name", "phone"):
        frame[col] = frame[col].map(reveal if reveal else
                                    (lambda v: hide_text(v) if is_token(v) else v))
    return frame


def export_list(con, campaign_id: str, path: Path, *, measure_name: str,
                reveal: Callable | None = None) -> int:
    """Write the target list (never the holdout) to .csv/.xlsx/.parquet with names and phones
    masked (张*, 138****1234) and text cells escaped against formula injection."""
    camp = get_campaign(con, campaign_id)
    cols = {r[0] for r in con.con.execute("DESCRIBE customers").fetchall()}
    pick = ", ".join(f"c.{f}" if f in cols else f"NULL::VARCHAR AS {f}"
                     for f in ("name", "phone"))
    frame = con.con.execute(
        f"SELECT m.customer_id, {pick} FROM campaign_members m LEFT JOIN customers c "
        "USING (customer_id) WHERE m.campaign_id = ? AND m.arm = 'target' "
        "ORDER BY m.customer_id", [campaign_id]).df()
    frame = mask_frame(_clear(frame, reveal))
    frame = frame.assign(segment_id=camp["segment_id"], segment_name=camp["segment_name"],
                         campaign_id=campaign_id, measure=measure_name,
                         owner=camp["owner"])[list(LIST_COLUMNS)].astype(object)
    frame = frame.where(frame.notna(), None)
    con.con.register("_campaign_list", frame)
    try:
        return export_rows(con, "SELECT * FROM _campaign_list", Path(path), sheet="campaign")
    finally:
        con.con.unregister("_campaign_list")


def _stage_actions(con, path: Path, stage: str) -> tuple[dict[str, str], int, list]:
    read = read_source(con.con, path, stage)
    return map_headers(read.headers, source=str(path)), read.rows, read.rejects


def _validated(con, stage_table: ibis.Table, columns: dict[str, str], day_first: bool):
    ensure_campaign_tables(con)
    camps = con.table("campaigns")
    return validate(stage_table, columns, campaigns=camps,
                    members=con.table("campaign_members"), customers=con.table("customers"),
                    identity=con.table("identity_map"), day_first=day_first)


def _next_ids(db) -> tuple[int, int]:
    action = db.execute("SELECT coalesce(max(action_id), 0) FROM actions").fetchone()[0]
    load = db.execute("SELECT coalesce(max(load_id), 0) + 1 FROM load_log").fetchone()[0]
    return action, load


def _insert_actions(db, sql: str, load_id: int | None, first_id: int) -> int:
    keep = ", ".join(f'"{c}"' for c in FIELDS if c not in ("at", "segment"))
    db.execute(f"""INSERT INTO actions (action_id, {keep}, segment_id, "at", load_id,
        recorded_at) SELECT {first_id} + row_number() OVER (ORDER BY _row), {keep},
        segment_id, "at", ?, ? FROM ({sql}) WHERE _reason IS NULL""", [load_id, datetime.now()])
    return db.execute("SELECT count(*) FROM actions WHERE action_id > ?", [first_id]
                      ).fetchone()[0]


def _quarantine(db, sql: str, load_id: int, source: str) -> tuple[int, int]:
    db.execute(f"""INSERT INTO quarantine ({_Q_COLUMNS}) SELECT ?, 'actions', ?, _row, _column,
        'action_rejected', _reason, _raw, NULL, 'rejected', 'read' FROM ({sql})
        WHERE _reason IS NOT NULL""", [load_id, source])
    db.execute(f"""INSERT INTO quarantine ({_Q_COLUMNS}) SELECT ?, 'actions', ?, _row,
        _flag_column, 'unreadable_flag', 'not a yes/no value; recorded as unknown', _flag_raw,
        NULL, 'changed', 'read' FROM ({sql})
        WHERE _reason IS NULL AND _flag_column IS NOT NULL""",
               [load_id, source])
    counts = db.execute(f"SELECT count(*) FILTER (_reason IS NOT NULL), count(*) FILTER "
                        f"(_reason IS NULL AND _flag_column IS NOT NULL) FROM ({sql})"
                        ).fetchone()
    return counts[0], counts[1]


def import_actions(con, path: Path, *, day_first: bool = False) -> dict:
    """Record the actions of a CSV/Excel file in one transaction; see the module docstring.

    Returns ``source, status, load_id, rows_read, recorded, rejected, flags_unreadable``;
    status ``unchanged`` when the same file was imported before.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found" if not path.exists() else "not a file",
                         path=str(path))
    ensure_campaign_tables(con)
    db, source, checksum = con.con, str(path), sha256(path)
    prior = db.execute("SELECT load_id FROM load_log WHERE table_name = 'actions' AND "
                       "checksum = ? AND status = 'loaded'", [checksum]).fetchone()
    if prior:
        return {"source": source, "status": "unchanged", "load_id": prior[0], "rows_read": 0,
                "recorded": 0, "rejected": 0, "flags_unreadable": 0}
    stage = "_actions_stage"
    try:
        columns, rows, unreadable = _stage_actions(con, path, stage)
        sql = ibis.to_sql(_validated(con, con.table(stage), columns, day_first),
                          dialect="duckdb")
        db.execute(f"CREATE OR REPLACE TEMP TABLE _actions_checked AS {sql}")
        with transaction(db):
            first, load_id = _next_ids(db)
            recorded = _insert_actions(db, "SELECT * FROM _actions_checked", load_id, first)
            rejected, flags = _quarantine(db, "SELECT * FROM _actions_checked", load_id, source)
            if unreadable:
                db.executemany(f"INSERT INTO quarantine ({_Q_COLUMNS}) VALUES (?, 'actions', "
                               "?, ?, ?, 'unreadable_row', ?, ?, NULL, 'rejected', 'read')",
                               [[load_id, source, r.row, r.column, r.reason, r.raw]
                                for r in unreadable])
            db.execute("INSERT INTO load_log (load_id, table_name, source, source_kind, "
                       "checksum, mapping, rows_read, rows_loaded, rows_duplicate, "
                       "rows_rejected, started_at, status) VALUES (?, 'actions', ?, 'file', ?, "
                       "?, ?, ?, 0, ?, ?, 'loaded')",
                       [load_id, source, checksum, str(columns), rows + len(unreadable),
                        recorded, rejected + len(unreadable), datetime.now()])
            set_active(db)
    finally:
        drop_stage(db, stage)
        with contextlib.suppress(Exception):
            db.execute("DROP TABLE IF EXISTS _actions_checked")
    return {"source": source, "status": "loaded", "load_id": load_id,
            "rows_read": rows + len(unreadable), "recorded": recorded,
            "rejected": rejected + len(unreadable), "flags_unreadable": flags}


def record_action(con, values: dict[str, str | None], *, day_first: bool = False) -> dict:
    """Record one action given as text values of `FIELDS`; a value that cannot be recorded
    raises, naming the field and the reason."""
    ensure_campaign_tables(con)
    db = con.con
    row = {f: [values.get(f)] for f in FIELDS} | {"_row": [1]}
    frame = pd.DataFrame(row).astype({f: "object" for f in FIELDS})
    staged = ibis.memtable(frame, schema={**{f: "string" for f in FIELDS}, "_row": "int64"})
    checked = con.execute(_validated(con, staged, {f: f for f in FIELDS}, day_first))
    bad = checked[checked._reason.notna()]
    if len(bad):
        raise CustsegError(f"{bad._column.iloc[0]}: {bad._reason.iloc[0]} "
                           f"(got {bad._raw.iloc[0]!r})")
    db.register("_one_action", checked)
    try:
        with transaction(db):
            first, _ = _next_ids(db)
            _insert_actions(db, "SELECT * FROM _one_action", None, first)
            set_active(db)
    finally:
        db.unregister("_one_action")
    values = {k: checked[k].iloc[0] for k in ("customer_id", "campaign_id", "segment_id",
                                              "measure", "status")}
    return {"action_id": first + 1, **{k: None if pd.isna(v) else v for k, v in values.items()}}
