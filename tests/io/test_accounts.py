"""Accounts: argon2 hashes, roles, sessions that can be revoked, and the signing secret."""

from __future__ import annotations

import os
import stat

import duckdb
import pytest
from argon2 import PasswordHasher

from custseg.errors import CustsegError
from custseg.io import accounts


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    monkeypatch.setattr(accounts, "HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def adb():
    con = duckdb.connect()
    accounts.add_user(con, "ana", "analyst", "correct horse")
    yield con
    con.close()


def test_password_is_stored_as_argon2id_only(adb):
    stored = adb.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert accounts.authenticate(adb, "ana", "correct horse") == accounts.User("ana", "analyst")
    assert accounts.authenticate(adb, "ana", "correct hors") is None
    assert accounts.authenticate(adb, "nobody", "correct horse") is None


def test_weaker_hash_is_upgraded_on_login(adb, monkeypatch):
    before = adb.execute("SELECT password_hash FROM users").fetchone()[0]
    monkeypatch.setattr(accounts, "HASHER",
                        PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    assert accounts.authenticate(adb, "ana", "correct horse") is not None
    after = adb.execute("SELECT password_hash FROM users").fetchone()[0]
    assert after != before and "t=2" in after


@pytest.mark.parametrize(("name", "role", "pw", "message"), [
    ("bad name!", "viewer", "long enough", "user name"),
    ("bob", "superuser", "long enough", "role 'superuser'"),
    ("bob", "viewer", "short", "at least 8"),
    ("ana", "viewer", "long enough", "already exists"),
])
def test_invalid_accounts_are_refused(adb, name, role, pw, message):
    with pytest.raises(CustsegError, match=message):
        accounts.add_user(adb, name, role, pw)


def test_sessions_end_on_logout_change_disable_and_remove(adb):
    jti, _ = accounts.start_session(adb, "ana", kind="token", minutes=5)
    assert accounts.session_user(adb, jti, "ana") == accounts.User("ana", "analyst")
    assert accounts.session_user(adb, jti, "someone-else") is None
    accounts.end_session(adb, jti)
    assert accounts.session_user(adb, jti, "ana") is None

    jti, _ = accounts.start_session(adb, "ana", kind="token", minutes=5)
    accounts.update_user(adb, "ana", role="viewer")
    assert accounts.session_user(adb, jti, "ana") is None
    jti, _ = accounts.start_session(adb, "ana", kind="token", minutes=5)
    assert accounts.session_user(adb, jti, "ana").role == "viewer"

    accounts.update_user(adb, "ana", disabled=True)
    assert accounts.authenticate(adb, "ana", "correct horse") is None
    accounts.update_user(adb, "ana", disabled=False)
    jti, _ = accounts.start_session(adb, "ana", kind="token", minutes=5)
    accounts.remove_user(adb, "ana")
    assert accounts.session_user(adb, jti, "ana") is None
    assert accounts.list_users(adb) == []


def test_expired_session_is_invalid(adb):
    jti, expires = accounts.start_session(adb, "ana", kind="session", minutes=-1)
    assert accounts.session_user(adb, jti, "ana") is None


def test_secret_file_is_created_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv(accounts.SECRET_ENV, raising=False)
    first = accounts.load_secret(tmp_path)
    path = tmp_path / accounts.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and accounts.load_secret(tmp_path) == first
    os.chmod(path, 0o644)
    with pytest.raises(CustsegError, match="chmod 600"):
        accounts.load_secret(tmp_path)


@pytest.mark.parametrize("value", ["short", "changeme" * 5, "x" * 20 + "secret" * 3])
def test_weak_or_placeholder_secret_from_environment_is_refused(tmp_path, monkeypatch, value):
    monkeypatch.setenv(accounts.SECRET_ENV, value)
    with pytest.raises(CustsegError, match=accounts.SECRET_ENV):
        accounts.load_secret(tmp_path)


def test_secret_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(accounts.SECRET_ENV, "Zq8" * 12)
    assert accounts.load_secret(tmp_path) == "Zq8" * 12
    assert not (tmp_path / accounts.SECRET_FILE).exists()
