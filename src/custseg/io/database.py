"""The project database: connection, system tables and loads as transactions.

A load stages the source, appends the rows that are new to ``raw_<table>``, logs the load and
runs the cleaning stage (`custseg.io.rebuild`) in one transaction, so a failed load, or one
the completeness check stops, leaves the database exactly as it was.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import ibis

from custseg import schema
from custseg.config import Settings
from custseg.errors import DatabaseBusyError, InputError
from custseg.io import erasure, functions, keys
from custseg.io.encoding import sha256
from custseg.io.readers import WORK, ReadResult, ensure_work, read_source, read_sql
from custseg.io.rebuild import clean_database
from custseg.mapping import Mapping, infer_mapping

SYSTEM_DDL = [
    """CREATE TABLE IF NOT EXISTS load_log (
        load_id BIGINT PRIMARY KEY, table_name VARCHAR, source VARCHAR, source_kind VARCHAR,
        checksum VARCHAR, encoding VARCHAR, delimiter VARCHAR, header_row INTEGER,
        mapping VARCHAR, unmapped VARCHAR, notes VARCHAR, rows_read BIGINT, rows_loaded BIGINT,
        rows_duplicate BIGINT, rows_rejected BIGINT, started_at TIMESTAMP, seconds DOUBLE,
        status VARCHAR, derived_order_id BOOLEAN)""",
    """CREATE TABLE IF NOT EXISTS quarantine (
        _load_id BIGINT, table_name VARCHAR, _source VARCHAR, _row BIGINT, column_name VARCHAR,
        rule VARCHAR, reason VARCHAR, raw_value VARCHAR, new_value VARCHAR, action VARCHAR,
        stage VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS quarantine_overrides (
        _load_id BIGINT, table_name VARCHAR, _row BIGINT, rule VARCHAR, created_at TIMESTAMP,
        note VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS identity_map (
        customer_id VARCHAR, surviving_id VARCHAR, keys VARCHAR)""",
    """CREATE OR REPLACE VIEW rejects AS
        SELECT _load_id AS load_id, table_name, _source AS source, _row AS row,
               column_name AS "column", reason, raw_value
        FROM quarantine WHERE action = 'rejected'""",
]


@contextlib.contextmanager
def transaction(db):
    """All statements inside commit together or not at all."""
    db.execute("BEGIN TRANSACTION")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@dataclass
class LoadReport:
    """The outcome of loading one source into one table."""

    source: str
    table: str
    status: str
    load_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    seconds: float = 0.0
    mapping: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def connect(path: Path, *, read_only: bool = False, threads: int | None = None,
            memory_limit: str | None = None) -> ibis.BaseBackend:
    """Open the project's DuckDB file through Ibis, with a clear message when it is locked."""
    if read_only and not path.exists():
        raise InputError("no database yet; load data with `custseg ingest` first",
                         path=str(path))
    config = {}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    try:
        con = ibis.duckdb.connect(str(path), read_only=read_only, **config)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusyError(
                f"{path} is open in another process (a running `custseg serve` or another "
                "command); stop it or send the work through the server"
            ) from None
        raise
    functions.register(con.con)
    if not read_only:
        ensure_work(con.con)
        for ddl in SYSTEM_DDL:
            con.raw_sql(ddl)
        for table in schema.TABLES:
            ensure_raw_table(con, table)
    return con


def _raw_columns(table: str) -> list[str]:
    return ["_load_id", "_source", "_row", "_hash", *schema.column_names(table)]


def ensure_raw_table(con, table: str) -> None:
    cols = ", ".join(
        f'"{c}" {"BIGINT" if c in ("_load_id", "_row") else "VARCHAR"}'
        for c in _raw_columns(table)
    )
    con.raw_sql(f"CREATE TABLE IF NOT EXISTS raw_{table} ({cols})")
    for c in schema.column_names(table):  # columns added to the schema since it was created
        con.raw_sql(f'ALTER TABLE raw_{table} ADD COLUMN IF NOT EXISTS "{c}" VARCHAR')


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _insert_raw(db, stage: str, table: str, columns: dict[str, str], load_id: int,
                source: str, *, derive_order_id: bool = False,
                attributes_only: bool = False, privacy: keys.Privacy | None = None,
                settings: Settings | None = None) -> tuple[int, int, int]:
    """Append staged rows to raw_<table>; rows already present (same content and occurrence
    number within their file) are skipped so re-loading overlapping exports adds nothing.

    ``attributes_only`` is for customer attributes carried by another export (one copy per
    order line): rows without any attribute are left out and identical rows are kept once.
    Rows of erased customers are dropped (`custseg.io.erasure.skip_erased`) and, when
    personal data is encrypted, customer rows are encrypted before they are stored.
    Returns (rows inserted, rows skipped as already loaded, rows of erased customers)."""
    names = schema.column_names(table)
    select = [f"{_q(columns[c])} AS {_q(c)}" if c in columns else f"NULL::VARCHAR AS {_q(c)}"
              for c in names]
    where = ""
    if attributes_only:
        attrs = [_q(c) for c in columns if c != "customer_id"]
        where = "WHERE " + " OR ".join(f"{a} IS NOT NULL" for a in attrs) if attrs else ""
    content = "md5(concat_ws(chr(31), " + ", ".join(
        f"coalesce({_q(c)}, chr(0))" for c in names) + "))"
    derived = "s"
    if derive_order_id:
        derived = """(SELECT * REPLACE (customer_id || '-' || regexp_replace(coalesce(order_date,
            ''), '\\D', '', 'g') || '-' || CAST(row_number() OVER (PARTITION BY customer_id,
            order_date ORDER BY _row) AS VARCHAR) AS order_id) FROM s)"""
    db.execute(f"""
        CREATE OR REPLACE TABLE {WORK}._contents AS
        WITH s AS (SELECT {', '.join(select)}, _row FROM {_q(stage)} {where})
        SELECT *, {content} AS _content FROM {derived}""")
    # Identical rows of a file are numbered 1, 2, … (kept once for attributes); only the
    # repeated ones go through the window, which would otherwise hold every row and column.
    db.execute(f"""
        CREATE OR REPLACE TABLE {WORK}._repeats AS
        SELECT _row, row_number() OVER (PARTITION BY _content ORDER BY _row) AS _n
        FROM _contents WHERE _content IN (
            SELECT _content FROM _contents GROUP BY _content HAVING count(*) > 1)""")
    occurrence = "''" if attributes_only else "'#' || coalesce(r._n, 1)"
    db.execute(f"""
        CREATE OR REPLACE TABLE {WORK}._incoming AS
        SELECT {load_id}::BIGINT AS _load_id, {_lit(source)} AS _source, c._row,
               md5(c._content || {occurrence}) AS _hash, {', '.join(f'c.{_q(c)}' for c in names)}
        FROM _contents c LEFT JOIN _repeats r USING (_row)
        {'WHERE coalesce(r._n, 1) = 1' if attributes_only else ''}""")
    db.execute(f"DROP TABLE {WORK}._contents; DROP TABLE {WORK}._repeats")
    total = db.execute("SELECT count(*) FROM _incoming").fetchone()[0]
    erased = 0
    if privacy is not None and privacy.index_key is not None:
        erased = erasure.skip_erased(db, table)
        keys.protect_incoming(db, table, privacy, settings)
    db.execute(f"""INSERT INTO raw_{table} BY NAME
        SELECT i.* FROM _incoming i ANTI JOIN raw_{table} r ON i._hash = r._hash""")
    inserted = db.execute(f"SELECT count(*) FROM raw_{table} WHERE _load_id = {load_id}"
                          ).fetchone()[0]
    db.execute(f"DROP TABLE {WORK}._incoming")
    return inserted, total - erased - inserted, erased


_SQL_TYPES = {"str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "date": "DATE",
              "timestamp": "TIMESTAMP", "bool": "BOOLEAN"}


def ensure_canonical(con) -> None:
    """Create empty canonical tables so SQL on a new project finds every table name."""
    for table in schema.TABLES:
        lineage = "" if table == "customers" else ", _load_id BIGINT, _row BIGINT"
        body = ", ".join(f'"{c.name}" {_SQL_TYPES[c.type]}' for c in schema.stored_columns(table))
        con.raw_sql(f"CREATE TABLE IF NOT EXISTS {table} ({body}{lineage})")


def already_loaded(con, table: str, checksum: str) -> int | None:
    row = con.con.execute(
        "SELECT load_id FROM load_log WHERE table_name = ? AND checksum = ? AND status = 'loaded'"
        " ORDER BY load_id LIMIT 1", [table, checksum]).fetchone()
    return row[0] if row else None


def load(con, settings: Settings, *, table: str, path: Path | None = None,
         url: str | None = None, query: str | None = None, sql_table: str | None = None,
         mapping: dict[str, str] | None = None, encoding: str = "auto",
         delimiter: str = "auto", sheet: str | None = None, header_row: int | None = None,
         derive_order_id: bool = False, privacy: keys.Privacy | None = None) -> LoadReport:
    """Load one source into ``table`` as one transaction; see the module docstring.

    ``privacy`` (from `custseg.io.keys.activate`) encrypts personal data and keeps erased
    customers out; a project whose data is encrypted cannot load without its key.
    """
    keys.require_key(privacy, "loading data")
    started = time.perf_counter()
    source = str(path) if path is not None else str(url)
    if path is not None and not path.is_file():
        raise InputError("file not found" if not path.exists() else "not a file", path=source)
    checksum = sha256(path) if path is not None else None
    if checksum and (prior := already_loaded(con, table, checksum)) is not None:
        return LoadReport(source, table, "unchanged", load_id=prior,
                          notes=[f"same content as load {prior}; nothing added"])
    db = con.con
    stage = "_stage"
    try:
        # Staging only touches temporary tables, so it runs before the transaction: a reader
        # may try DuckDB's parser and fall back, which an open transaction would not survive.
        if path is not None:
            read = read_source(db, path, stage, encoding=encoding, delimiter=delimiter,
                               sheet=sheet, header_row=header_row)
        else:
            read = read_sql(db, url, stage, query=query, table=sql_table)
        found = infer_mapping(read.headers, table, mapping, source=source,
                              derived=("order_id",) if derive_order_id else ())
        with transaction(db):
            load_id = db.execute("SELECT coalesce(max(load_id), 0) + 1 FROM load_log"
                                 ).fetchone()[0]
            loaded, duplicate, erased = _insert_raw(
                db, stage, table, found.columns, load_id, source,
                derive_order_id=derive_order_id, privacy=privacy, settings=settings)
            if found.customer_columns:
                _insert_raw(db, stage, "customers",
                            {"customer_id": found.columns["customer_id"],
                             **found.customer_columns},
                            load_id, source, attributes_only=True, privacy=privacy,
                            settings=settings)
            _log_rejects(db, read, load_id, table, source, privacy)
            report = LoadReport(
                source, table, "loaded", load_id, read.rows + len(read.rejects), loaded,
                duplicate, len(read.rejects), 0.0, found.describe(), read.notes + found.notes,
            )
            if erased:
                report.notes.append(f"{erased:,} rows of erased customers skipped")
            _log_load(db, report, read, found, checksum, path is None, derive_order_id)
            clean_database(con, settings)
            report.seconds = round(time.perf_counter() - started, 3)
            db.execute("UPDATE load_log SET seconds = ? WHERE load_id = ?",
                       [report.seconds, load_id])
    finally:
        drop_stage(db, stage)
    return report


def drop_stage(db, stage: str) -> None:
    """Remove a staging table (or view) and what a reader kept behind it."""
    for kind, name in (("VIEW", stage), ("TABLE", stage), ("TABLE", f"{stage}_csv")):
        with contextlib.suppress(duckdb.Error):
            db.execute(f'DROP {kind} IF EXISTS {WORK}."{name}"')


def _log_rejects(db, read: ReadResult, load_id: int, table: str, source: str,
                 privacy: keys.Privacy | None = None) -> None:
    if not read.rejects:
        return
    db.executemany(
        "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, 'unreadable_row', ?, ?, NULL, 'rejected', "
        "'read')",
        [[load_id, table, source, r.row, r.column, r.reason, keys.protect_text(privacy, r.raw)]
         for r in read.rejects],
    )


def _log_load(db, report: LoadReport, read: ReadResult, found: Mapping, checksum: str | None,
              is_sql: bool, derived: bool) -> None:
    db.execute(
        "INSERT INTO load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [report.load_id, report.table, report.source, "sql" if is_sql else "file", checksum,
         read.encoding, read.delimiter, read.header_row,
         json.dumps({**found.columns, **{f"customers.{k}": v
                                         for k, v in found.customer_columns.items()}},
                    ensure_ascii=False),
         json.dumps(found.unmapped, ensure_ascii=False), json.dumps(report.notes,
                                                                    ensure_ascii=False),
         report.rows_read, report.rows_loaded, report.rows_duplicate, report.rows_rejected,
         datetime.now(), report.seconds, report.status, derived],
    )
