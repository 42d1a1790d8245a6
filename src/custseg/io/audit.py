"""The audit log: who saw unmasked personal data, who exported, who erased — and when (SPEC §10).

One append-only table ``audit_log(logged_at, user_name, action, target, detail)``;
``detail`` says what was done, never the personal values themselves.

``con`` is where the log lives: an Ibis backend or a DuckDB connection of the project
database, or the team's operational store (`custseg.io.store.open_store`, PostgreSQL when
``[engine] operational_store`` is set).
"""

from __future__ import annotations

from datetime import datetime

AUDIT_DDL = """CREATE TABLE IF NOT EXISTS audit_log (logged_at TIMESTAMP, user_name VARCHAR,
    action VARCHAR, target VARCHAR, detail VARCHAR)"""


def _db(con):
    """The DB-API-style connection behind ``con`` (an Ibis backend wraps one as ``.con``)."""
    return getattr(con, "con", con)


def record(con, *, user: str, action: str, target: str, detail: str = "") -> None:
    """Append one entry; ``action`` is e.g. ``view_personal``, ``export``, ``erase``."""
    _db(con).execute(AUDIT_DDL)
    _db(con).execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?)",
                     [datetime.now(), user, action, target, detail])


def entries(con, *, user: str | None = None, action: str | None = None,
            limit: int = 100) -> list[dict]:
    """The latest entries, newest first, optionally for one user or action."""
    _db(con).execute(AUDIT_DDL)
    where, params = [], []
    for column, value in (("user_name", user), ("action", action)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    sql = ("SELECT logged_at, user_name, action, target, detail FROM audit_log"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY logged_at DESC LIMIT ?")
    rows = _db(con).execute(sql, [*params, limit]).fetchall()
    return [dict(zip(("logged_at", "user_name", "action", "target", "detail"), r, strict=True))
            for r in rows]
