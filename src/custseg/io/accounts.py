"""Accounts of the web app: users with roles, argon2 password hashes, sessions and the secret.

Tables in the project database (SPEC §10):

- ``users(username, role, password_hash, created_at, disabled)`` — argon2id hashes only;
- ``sessions(jti, username, kind, created_at, expires_at)`` — one row per issued token
  (a browser session or an API token); a token is valid only while its row exists, so logging
  out, removing a user or disabling one revokes at once.

The signing secret comes from the environment variable ``CUSTSEG_SECRET`` or from the file
``.custseg-secret`` in the project folder, created with permissions 0600 on first use.

Every function takes a DuckDB connection (or a cursor of one).

>>> import duckdb
>>> db = duckdb.connect()
>>> add_user(db, "ana", "analyst", "correct horse battery")
>>> authenticate(db, "ana", "correct horse battery").role
'analyst'
>>> authenticate(db, "ana", "wrong password") is None
True
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from custseg.errors import CustsegError

ROLES = ("viewer", "operator", "analyst", "admin")
SECRET_ENV = "CUSTSEG_SECRET"
SECRET_FILE = ".custseg-secret"
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_PLACEHOLDERS = ("changeme", "change-me", "secret", "password", "custseg", "example")

ACCOUNTS_DDL = [
    """CREATE TABLE IF NOT EXISTS users (username VARCHAR PRIMARY KEY, role VARCHAR,
        password_hash VARCHAR, created_at TIMESTAMP, disabled BOOLEAN)""",
    """CREATE TABLE IF NOT EXISTS sessions (jti VARCHAR, username VARCHAR, kind VARCHAR,
        created_at TIMESTAMP, expires_at TIMESTAMP)""",
]

HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
_DUMMY_HASH: list[str] = []


@dataclass(frozen=True)
class User:
    """A signed-in account: its name and role."""

    username: str
    role: str


def ensure_tables(db) -> None:
    for ddl in ACCOUNTS_DDL:
        db.execute(ddl)


def _check_name(username: str) -> None:
    if not _USERNAME.match(username or ""):
        raise CustsegError(f"user name {username!r}: use 1-64 letters, digits or _ . @ -")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise CustsegError(f"role {role!r}: choose one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise CustsegError(f"password: use at least {MIN_PASSWORD} characters")


def add_user(db, username: str, role: str, password: str) -> None:
    """Create an account; the password is stored only as an argon2id hash."""
    _check_name(username)
    _check_role(role)
    _check_password(password)
    ensure_tables(db)
    if get_user(db, username) is not None:
        raise CustsegError(f"user {username!r} already exists")
    db.execute("INSERT INTO users VALUES (?, ?, ?, ?, false)",
               [username, role, HASHER.hash(password), datetime.now()])


def get_user(db, username: str) -> dict | None:
    """``username, role, created_at, disabled`` of one account, or None."""
    ensure_tables(db)
    row = db.execute("SELECT username, role, created_at, disabled FROM users "
                     "WHERE username = ?", [username]).fetchone()
    if row is None:
        return None
    return dict(zip(("username", "role", "created_at", "disabled"), row, strict=True))


def list_users(db) -> list[dict]:
    """Every account (never its hash), by name."""
    ensure_tables(db)
    rows = db.execute("SELECT username, role, created_at, disabled FROM users "
                      "ORDER BY username").fetchall()
    return [dict(zip(("username", "role", "created_at", "disabled"), r, strict=True))
            for r in rows]


def update_user(db, username: str, *, role: str | None = None, password: str | None = None,
                disabled: bool | None = None) -> dict:
    """Change an account's role, password or disabled flag; its sessions end."""
    if get_user(db, username) is None:
        raise CustsegError(f"no user {username!r}")
    if role is not None:
        _check_role(role)
        db.execute("UPDATE users SET role = ? WHERE username = ?", [role, username])
    if password is not None:
        _check_password(password)
        db.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                   [HASHER.hash(password), username])
    if disabled is not None:
        db.execute("UPDATE users SET disabled = ? WHERE username = ?", [disabled, username])
    end_sessions(db, username)
    return get_user(db, username)


def remove_user(db, username: str) -> None:
    """Delete an account and end its sessions."""
    if get_user(db, username) is None:
        raise CustsegError(f"no user {username!r}")
    end_sessions(db, username)
    db.execute("DELETE FROM users WHERE username = ?", [username])


def authenticate(db, username: str, password: str) -> User | None:
    """The user when the password matches an enabled account, else None.

    An unknown name costs one hash verification too, so timing does not tell which names
    exist. A hash made with weaker parameters than `HASHER`'s is upgraded.
    """
    ensure_tables(db)
    row = db.execute("SELECT role, password_hash, disabled FROM users WHERE username = ?",
                     [username]).fetchone()
    if row is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(HASHER.hash(secrets.token_hex(8)))
        _verify(_DUMMY_HASH[0], password)
        return None
    role, hashed, disabled = row
    if not _verify(hashed, password) or disabled:
        return None
    if HASHER.check_needs_rehash(hashed):
        db.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                   [HASHER.hash(password), username])
    return User(username, role)


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def start_session(db, username: str, *, kind: str, minutes: int) -> tuple[str, datetime]:
    """Register a new token id for ``username``; returns (jti, expiry)."""
    ensure_tables(db)
    now = datetime.now()
    db.execute("DELETE FROM sessions WHERE expires_at < ?", [now])
    jti, expires = secrets.token_urlsafe(16), now + timedelta(minutes=minutes)
    db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
               [jti, username, kind, now, expires])
    return jti, expires


def session_user(db, jti: str, username: str) -> User | None:
    """The user of a live session: the token id is registered, unexpired, for this enabled
    account; None otherwise. The role is read now, so a changed role applies at once."""
    found = db.execute("SELECT expires_at FROM sessions WHERE jti = ? AND username = ?",
                       [jti, username]).fetchone()
    if found is None or found[0] <= datetime.now():
        return None
    row = db.execute("SELECT role, disabled FROM users WHERE username = ?",
                     [username]).fetchone()  # two point queries: cheaper than a join here
    return User(username, row[0]) if row and not row[1] else None


def end_session(db, jti: str) -> None:
    db.execute("DELETE FROM sessions WHERE jti = ?", [jti])


def end_sessions(db, username: str) -> None:
    db.execute("DELETE FROM sessions WHERE username = ?", [username])


def load_secret(project_dir: Path) -> str:
    """The token-signing secret: ``CUSTSEG_SECRET``, else the project's secret file (made on
    first use with permissions 0600). Short or placeholder secrets are refused."""
    value = os.environ.get(SECRET_ENV)
    if value is not None:
        if len(value) < 32 or any(p in value.lower() for p in _PLACEHOLDERS):
            raise CustsegError(f"{SECRET_ENV}: use at least 32 random characters, not a "
                               "placeholder (e.g. python -c 'import secrets; "
                               "print(secrets.token_urlsafe(48))')")
        return value
    path = Path(project_dir) / SECRET_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise CustsegError(f"file {path}: the secret is readable by other users; "
                           f"run chmod 600 {path}")
    value = path.read_text().strip()
    if len(value) < 32:
        raise CustsegError(f"file {path}: the secret is shorter than 32 characters")
    return value
