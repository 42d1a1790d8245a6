"""The operational store: users, actions, audit and the run registry (SPEC §10, §12).

By default these tables live in the project's DuckDB file. A team that shares one server sets
``[engine] operational_store = "postgresql://user:password@host:5432/db"``; `open_store` then
returns a `PostgresStore`, a connection that takes the same calls as a DuckDB connection
(``execute(sql, params)`` with ``?`` placeholders, then ``fetchone``/``fetchall``), so modules
that keep operational tables (`custseg.io.audit`, accounts, campaign actions) run unchanged
on either as long as their SQL is portable: ``CREATE TABLE IF NOT EXISTS``, ``VARCHAR``,
``BIGINT``, ``DOUBLE PRECISION``, ``BOOLEAN``, ``DATE``, ``TIMESTAMP``, ``ON CONFLICT``.

Segment results stay in the project database (they are joined with the customer tables);
the ``runs`` rows are published to the store by `publish_runs`, one registry for the team.

>>> sqlalchemy_url("postgresql://ana:pw@db.example.com/shop")
'postgresql+psycopg://ana:pw@db.example.com/shop'
>>> redact("postgresql://ana:s3cret@db.example.com/shop")
'postgresql://ana:***@db.example.com/shop'
>>> to_pyformat("SELECT '?', x FROM t WHERE a = ? AND b LIKE 'c%'")
"SELECT '?', x FROM t WHERE a = %s AND b LIKE 'c%%'"
"""

from __future__ import annotations

import json
import re
from typing import Any

from custseg.errors import CustsegError

_PASSWORD = re.compile(r"(://[^:/@\s\"']+):[^@\s\"']*@")
RUNS_DDL = """CREATE TABLE IF NOT EXISTS runs (project VARCHAR, run_id VARCHAR, kind VARCHAR,
    as_of DATE, created_at TIMESTAMP, config TEXT, status VARCHAR,
    PRIMARY KEY (project, run_id))"""


def sqlalchemy_url(url: str) -> str:
    """``url`` with the pinned PostgreSQL driver (psycopg 3) when it names none."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def libpq_url(url: str) -> str:
    """``url`` as libpq reads it (without a SQLAlchemy driver name)."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


def redact(text: str) -> str:
    """Passwords in database URLs inside ``text`` replaced by ``***``."""
    return _PASSWORD.sub(r"\1:***@", text)


def to_pyformat(sql: str) -> str:
    """``?`` placeholders as ``%s`` (and ``%`` as ``%%``), leaving quoted text alone."""
    out, quote = [], None
    for ch in sql:
        if quote:
            out.append("%%" if ch == "%" else ch)
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        else:
            out.append("%s" if ch == "?" else "%%" if ch == "%" else ch)
    return "".join(out)


class PostgresStore:
    """A PostgreSQL connection that is called like a DuckDB connection.

    Every statement commits on its own (autocommit), as in DuckDB outside a transaction;
    ``transaction()`` groups statements.
    """

    dialect = "postgres"

    def __init__(self, url: str):
        import psycopg

        try:
            self.conn = psycopg.connect(libpq_url(url), autocommit=True)
        except psycopg.OperationalError as exc:
            raise CustsegError(f"[engine] operational_store {redact(url)}: cannot connect: "
                               f"{str(exc).strip()}") from None
        self.url = url

    def execute(self, sql: str, params: list | tuple | None = None):
        """Run one statement with ``?`` placeholders; returns the cursor."""
        cur = self.conn.cursor()
        cur.execute(to_pyformat(sql) if params else sql, params or None)
        return cur

    def transaction(self):
        return self.conn.transaction()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(url: str | None, project_db: Any):
    """The operational store: a `PostgresStore` for ``url``, else the project database."""
    return PostgresStore(url) if url else project_db


def publish_runs(project_db, store, project: str) -> int:
    """Make the store's ``runs`` rows of ``project`` equal the project database's.

    New runs are added, changed statuses updated and removed runs deleted; database
    passwords in a run's config are replaced by ``***``. Returns the rows written.
    """
    if store is project_db:
        return 0
    store.execute(RUNS_DDL)
    local = project_db.execute(
        "SELECT run_id, kind, as_of, created_at, config, status FROM runs").fetchall()
    known = dict(store.execute("SELECT run_id, status FROM runs WHERE project = ?",
                               [project]).fetchall())
    written = 0
    for run_id, kind, as_of, created, config, status in local:
        if known.get(run_id) == status:
            continue
        store.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project, run_id) "
            "DO UPDATE SET status = excluded.status, config = excluded.config",
            [project, run_id, kind, as_of, created, redact(config or ""), status])
        written += 1
    for run_id in set(known) - {row[0] for row in local}:
        store.execute("DELETE FROM runs WHERE project = ? AND run_id = ?", [project, run_id])
    return written


def registry(store, project: str | None = None) -> list[dict]:
    """The published runs, newest first, of one project or of all (without a server: the
    project database's own runs, under the name ``project``)."""
    if getattr(store, "dialect", None) == "postgres":
        store.execute(RUNS_DDL)
        where, params = ("WHERE project = ?", [project]) if project else ("", [])
        cur = store.execute("SELECT project, run_id, kind, as_of, created_at, config, status "
                            f"FROM runs {where} ORDER BY created_at DESC", params)
    else:
        cur = store.execute("SELECT ? AS project, run_id, kind, as_of, created_at, config, "
                            "status FROM runs ORDER BY created_at DESC", [project])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) | {"config": json.loads(row[5] or "{}")}
            for row in cur.fetchall()]
