"""Keys and encrypted storage of personal fields: key files, switching encryption on, loads,
rotation and reading values back (SPEC §10; the scheme is `custseg.privacy.encryption`).

``privacy_meta`` (one row) says whether the database is ``plain`` or ``encrypted``, the id of
the key it is encrypted with and the index key of its keyed hashes (wrapped by that key; in
clear in a plain database, where it only serves erasure tombstones). Where personal values
live when encrypted: ``raw_customers`` and ``customers`` (tokens plus keyed hashes) and
``quarantine.raw_value`` (tokens, also inside the text of rejected lines).

Encrypted names and phones are searched by their keyed hashes (`search_hashes`): a search
matches a whole value, never a part of one.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa

from custseg.config import Settings
from custseg.errors import CustsegError
from custseg.privacy import blind, encryption
from custseg.privacy.encryption import (
    PREFIX,
    KeyProblem,
    Keyring,
    hide_text,
    hmac_macro,
    new_secret,
    reencrypt_text,
)
from custseg.schema import PERSONAL_FIELDS

ENV_KEY = "CUSTSEG_KEY"
ENV_OLD_KEY = "CUSTSEG_OLD_KEY"
META_DDL = """CREATE TABLE IF NOT EXISTS privacy_meta (mode VARCHAR, key_id VARCHAR,
    index_key VARCHAR, created_at TIMESTAMP, changed_at TIMESTAMP)"""
NO_KEY_NOTE = "set CUSTSEG_KEY or [privacy] key_file to see personal data"


@dataclass
class Privacy:
    """How the open database stores personal data, and the keys at hand."""

    encrypted: bool
    keyring: Keyring | None = None
    index_key: bytes | None = field(default=None, repr=False)
    key_id: str | None = None

    @property
    def readable(self) -> bool:
        """Personal values can be read in clear (plain storage, or the key is here)."""
        return not self.encrypted or self.keyring is not None

    def reveal(self, value):
        """A stored value as it can be shown: decrypted, or None without the key."""
        if not isinstance(value, str) or PREFIX not in value:
            return value
        return self.keyring.decrypt_text(value) if self.keyring else hide_text(value)

    def reveal_record(self, record: dict) -> dict:
        """A row (dict) with every token decrypted, or hidden without the key."""
        return {k: self.reveal(v) for k, v in record.items()}

    def reveal_frame(self, frame):
        """A pandas frame with its text columns revealed (`reveal`)."""
        out = frame.copy()
        for column in out.columns:
            if out[column].dtype == object or str(out[column].dtype).startswith("str"):
                out[column] = out[column].map(self.reveal)
        return out

    def status(self) -> dict:
        if not self.encrypted:
            return {"encrypted": False, "note": "personal data is NOT encrypted (no key: "
                    "set CUSTSEG_KEY or run `custseg keys init`)"}
        return {"encrypted": True, "key_id": self.key_id, "key_present": self.keyring is not None,
                "note": "personal data is encrypted" + (
                    "" if self.keyring else "; no key here: " + NO_KEY_NOTE)}


# -- key files ----------------------------------------------------------------------------
def key_path(settings: Settings, directory: Path | str) -> Path:
    return (Path(directory) / Path(settings.privacy.key_file).expanduser()).resolve()


def read_key_file(path: Path) -> Keyring:
    """The keyring in a key file; refuses files others can read (chmod 600)."""
    mode = path.stat().st_mode
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyProblem(f"key file {path} can be read by other users; run chmod 600 {path}")
    return Keyring(path.read_text(encoding="ascii", errors="replace"), source=str(path))


def read_key(settings: Settings, directory: Path | str, env=None) -> Keyring | None:
    """The key from ``CUSTSEG_KEY``, else from the key file when it exists, else None."""
    env = os.environ if env is None else env
    if env.get(ENV_KEY):
        return Keyring(env[ENV_KEY], source=ENV_KEY)
    path = key_path(settings, directory)
    return read_key_file(path) if path.is_file() else None


def write_key_file(path: Path) -> Keyring:
    """Create a key file with a new secret, readable by its owner only (never overwrites)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = new_secret()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CustsegError(f"key file {path} already exists; it is kept as it is") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret + "\n")
    return Keyring(secret, source=str(path))


# -- state --------------------------------------------------------------------------------
def _meta(db) -> tuple | None:
    db.execute(META_DDL)
    return db.execute("SELECT mode, key_id, index_key FROM privacy_meta LIMIT 1").fetchone()


def is_encrypted(db) -> bool:
    """True when the database stores personal fields encrypted."""
    exists = db.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                        "'privacy_meta' AND NOT temporary").fetchone()[0]
    if not exists:
        return False
    row = db.execute("SELECT mode FROM privacy_meta LIMIT 1").fetchone()
    return bool(row) and row[0] == "encrypted"


def _set_meta(db, mode: str, key_id: str | None, index_key: str) -> None:
    now = datetime.now()
    created = db.execute("SELECT min(created_at) FROM privacy_meta").fetchone()[0] or now
    db.execute("DELETE FROM privacy_meta")
    db.execute("INSERT INTO privacy_meta VALUES (?, ?, ?, ?, ?)",
               [mode, key_id, index_key, created, now])


def _register(db, index_key: bytes) -> None:
    db.execute(f"CREATE OR REPLACE TEMP MACRO {hmac_macro(index_key)}")


def activate(con, settings: Settings, keyring: Keyring | None) -> Privacy:
    """Match the database with the key at hand and register the keyed hash function.

    A plain database meeting a key is encrypted on the spot (one transaction), so no
    personal value stays in clear once a key is configured. A key that is not the
    database's is refused.
    """
    db = con.con
    meta = _meta(db)
    if meta is None or meta[0] == "plain":
        index_key = bytes.fromhex(meta[2]) if meta else os.urandom(32)
        if keyring is not None:
            return enable(con, settings, keyring, index_key if meta else None)
        if meta is None:
            _set_meta(db, "plain", None, index_key.hex())
        _register(db, index_key)
        return Privacy(False, None, index_key)
    key_id, wrapped = meta[1], meta[2]
    if keyring is None:
        return Privacy(True, None, None, key_id)
    if keyring.key_id != key_id:
        raise KeyProblem(f"{keyring.source}: not the key this database is encrypted with "
                         f"(key id {keyring.key_id}, database {key_id}); use that key, or "
                         "`custseg keys rotate` with the database's key as the old one")
    keyring.index_key = keyring.unwrap(wrapped)
    _register(db, keyring.index_key)
    _index_names(db, keyring)
    return Privacy(True, keyring, keyring.index_key, key_id)


def _index_names(db, keyring: Keyring) -> None:
    """Add the name index (`custseg.privacy.blind`) to a database encrypted before names
    had one, once: names are decrypted here, hashed in the engine and never stored in clear."""
    from custseg.io.database import transaction

    have = {r[0] for r in db.execute("SELECT column_name FROM duckdb_columns() WHERE "
                                     "table_name = 'raw_customers'").fetchall()}
    if not have or "_name_hash" in have:
        return
    source = ibis.table({"rid": "int64", "name": "string"}, name="_names_arrow")
    hashed = ibis.to_sql(source.select("rid", v=blind.keyed(
        "name", blind.index_value("name", source.name))), dialect="duckdb")
    with transaction(db):
        for table, column in (("raw_customers", "_name_hash"), ("customers", "name_hash")):
            db.execute(f'ALTER TABLE "{table}" ADD COLUMN IF NOT EXISTS {column} VARCHAR')
            rows = db.execute(f'SELECT rowid AS rid, name FROM "{table}" WHERE name IS NOT '
                              f"NULL AND {column} IS NULL").fetch_arrow_table()
            if not rows.num_rows:
                continue
            names = [keyring.decrypt(v) for v in rows.column("name").to_pylist()]
            db.register("_names_arrow", rows.set_column(1, "name", pa.array(names, pa.string())))
            try:
                _update_by_rowid(db, table, column, db.execute(hashed).fetch_arrow_table())
            finally:
                db.unregister("_names_arrow")
    checkpoint(db)


@functools.cache
def _search_normaliser():
    """An in-memory engine with the cleaning functions, and the query that normalises a
    search text as each searchable field is before it is hashed."""
    from custseg.io import functions

    db = duckdb.connect()
    functions.register(db)
    query = ibis.table({"q": "string"}, name="_search")
    sql = ibis.to_sql(query.select(**blind.search_values(query.q)), dialect="duckdb")
    return db, f"WITH _search AS (SELECT CAST(? AS VARCHAR) AS q) {sql}"


_SEARCH_LOCK = threading.Lock()


def search_hashes(privacy: Privacy | None, text: str) -> dict[str, str] | None:
    """The keyed hashes a stored name or phone equal to ``text`` has, by column
    (``name_hash``, ``phone_hash``; a field ``text`` cannot be is left out), for an exact-match
    search of encrypted customers. None when personal data is stored in clear (search the
    text itself); empty without the key."""
    if privacy is None or not privacy.encrypted:
        return None
    if privacy.index_key is None:
        return {}
    with _SEARCH_LOCK:
        db, sql = _search_normaliser()
        values = db.execute(sql, [text]).fetchone()
    return {f"{field}_hash": encryption.blind(privacy.index_key, field, value)
            for field, value in zip(blind.SEARCHABLE, values, strict=True) if value is not None}


def require_key(privacy: Privacy | None, what: str) -> None:
    """Stop ``what`` (a load, an erasure) when personal data is encrypted and no key is here."""
    if privacy is not None and privacy.encrypted and privacy.keyring is None:
        raise KeyProblem(f"{what} needs the key: personal data in this project is encrypted; "
                         f"set {ENV_KEY} or [privacy] key_file (analyses run without it)")


# -- protecting rows ----------------------------------------------------------------------
def _raw_schema(db, table: str) -> dict[str, str]:
    rows = db.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?"
                      " ORDER BY column_index", [table]).fetchall()
    types = {"VARCHAR": "string", "BIGINT": "int64", "BOOLEAN": "boolean"}
    return {name: types.get(kind, "string") for name, kind in rows}


def _encrypt_columns(table: pa.Table, keyring: Keyring, columns) -> pa.Table:
    for name in columns:
        i = table.schema.get_field_index(name)
        values = keyring.encrypt_many(table.column(i).to_pylist())
        table = table.set_column(i, name, pa.array(values, pa.string()))
    return table


def _stage(db, expr: ibis.Table, name: str) -> ibis.Table:
    db.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {ibis.to_sql(expr, dialect='duckdb')}")
    return ibis.table(expr.schema(), name=name)


def protect_rows(db, name: str, privacy: Privacy, settings: Settings) -> int:
    """Replace the plain customer rows of table ``name`` by encrypted ones with their index
    columns (`custseg.privacy.blind.protected_rows`); returns the rows protected."""
    for column, kind in blind.INDEX_COLUMNS.items():
        db.execute(f'ALTER TABLE "{name}" ADD COLUMN IF NOT EXISTS {column} {kind}')
    cs = settings.cleaning
    try:
        cleaned = _stage(db, blind.cleaned_rows(ibis.table(_raw_schema(db, name), name=name),
                                                null_tokens=settings.ingest.null_tokens),
                         "_p_cleaned")
        normal = _stage(db, blind.normalized_rows(cleaned), "_p_normal")
        expr = blind.protected_rows(
            normal, test_patterns=cs.test_patterns if cs.test_accounts else [],
            internal_phones=cs.internal_phones if cs.test_accounts else [])
        data = db.execute(ibis.to_sql(expr, dialect="duckdb")).fetch_arrow_table()
    finally:
        db.execute("DROP TABLE IF EXISTS _p_cleaned")
        db.execute("DROP TABLE IF EXISTS _p_normal")
    data = _encrypt_columns(data, privacy.keyring, PERSONAL_FIELDS)
    db.register("_protected_arrow", data)
    try:
        db.execute(f'DELETE FROM "{name}"')
        db.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM _protected_arrow')
    finally:
        db.unregister("_protected_arrow")
    return data.num_rows


def protect_incoming(db, table: str, privacy: Privacy | None, settings: Settings) -> None:
    """Encrypt the staged rows of a load into ``table`` (``_incoming``) when required."""
    if table == "customers" and privacy is not None and privacy.encrypted:
        protect_rows(db, "_incoming", privacy, settings)


def protect_text(privacy: Privacy | None, text: str | None) -> str | None:
    """``text`` as it may be stored: a token when personal data is encrypted."""
    if privacy is None or not privacy.encrypted or text is None:
        return text
    return privacy.keyring.encrypt(text)


def _encrypt_quarantine(db, keyring: Keyring) -> int:
    rows = db.execute("SELECT rowid AS rid, raw_value FROM quarantine WHERE stage = 'read' "
                      "AND raw_value IS NOT NULL AND raw_value NOT LIKE 'enc1:%'"
                      ).fetch_arrow_table()
    if not rows.num_rows:
        return 0
    rows = _encrypt_columns(rows, keyring, ["raw_value"])
    _update_by_rowid(db, "quarantine", "raw_value", rows)
    return rows.num_rows


def _update_by_rowid(db, table: str, column: str, rows: pa.Table) -> None:
    db.register("_updates_arrow", rows.rename_columns(["rid", "v"]))
    try:
        db.execute(f'UPDATE "{table}" SET "{column}" = u.v FROM _updates_arrow u '
                   f'WHERE "{table}".rowid = u.rid')
    finally:
        db.unregister("_updates_arrow")


def enable(con, settings: Settings, keyring: Keyring, index_key: bytes | None = None
           ) -> Privacy:
    """Switch a plain database to encrypted storage in one transaction: protect
    ``raw_customers`` and rejected lines, then clean again so canonical tables follow."""
    from custseg.io.database import ensure_raw_table, transaction
    from custseg.io.rebuild import clean_database

    db = con.con
    index_key = index_key or keyring.derived_index_key
    keyring.index_key = index_key
    _register(db, index_key)
    privacy = Privacy(True, keyring, index_key, keyring.key_id)
    with transaction(db):
        ensure_raw_table(con, "customers")
        protect_rows(db, "raw_customers", privacy, settings)
        _encrypt_quarantine(db, keyring)
        _set_meta(db, "encrypted", keyring.key_id, keyring.wrap(index_key))
        clean_database(con, settings)
    checkpoint(db)
    return privacy


def checkpoint(db) -> None:
    """Write the log into the database file now, so values just replaced or deleted do not
    linger in the write-ahead log (freed blocks are reused, not wiped)."""
    with contextlib.suppress(duckdb.Error):
        db.execute("CHECKPOINT")


# -- rotation -----------------------------------------------------------------------------
def _text_columns(db) -> list[tuple[str, str]]:
    return db.execute(
        "SELECT c.table_name, c.column_name FROM duckdb_columns() c JOIN duckdb_tables() t "
        "ON c.table_name = t.table_name AND c.schema_name = t.schema_name "
        "WHERE c.data_type = 'VARCHAR' AND NOT t.temporary AND t.schema_name = 'main' "
        "ORDER BY 1, 2").fetchall()


def rotate(con, old: Keyring, new: Keyring) -> dict[str, int]:
    """Re-encrypt every token in every text column with ``new`` and re-wrap the index key,
    in one transaction; returns the values re-encrypted per ``table.column``."""
    from custseg.io.database import transaction

    db = con.con
    meta = _meta(db)
    if meta is None or meta[0] != "encrypted":
        raise CustsegError("personal data in this project is not encrypted: nothing to rotate; "
                           "`custseg keys init` switches encryption on")
    if old.key_id != meta[1]:
        raise KeyProblem(f"{old.source}: not the key this database is encrypted with "
                         f"(key id {old.key_id}, database {meta[1]})")
    if new.key_id == old.key_id:
        raise KeyProblem("the new key is the old key; nothing would change")
    index_key = old.unwrap(meta[2])
    counts: dict[str, int] = {}
    with transaction(db):
        for table, column in _text_columns(db):
            rows = db.execute(f'SELECT rowid AS rid, "{column}" AS v FROM "{table}" '
                              f"WHERE \"{column}\" LIKE '%{PREFIX}%'").fetch_arrow_table()
            if not rows.num_rows:
                continue
            values = [reencrypt_text(v, old, new) for v in rows.column("v").to_pylist()]
            rows = rows.set_column(1, "v", pa.array(values, pa.string()))
            _update_by_rowid(db, table, column, rows)
            counts[f"{table}.{column}"] = rows.num_rows
        _set_meta(db, "encrypted", new.key_id, new.wrap(index_key))
    checkpoint(db)
    new.index_key = index_key
    _register(db, index_key)
    return counts


def stage_key_file(path: Path) -> tuple[Keyring, Path]:
    """A new key written beside ``path`` as ``<name>.new`` (0600) before the database is
    re-encrypted with it, so the key exists on disk before anything depends on it."""
    staged = path.with_name(path.name + ".new")
    with contextlib.suppress(FileNotFoundError):
        staged.unlink()
    return write_key_file(staged), staged


def commit_key_file(path: Path, staged: Path) -> Path | None:
    """Put the staged key in place; the previous file is kept as ``<name>.old``."""
    backup = path.with_name(path.name + ".old") if path.exists() else None
    if backup is not None:
        os.replace(path, backup)
    os.replace(staged, path)
    return backup
