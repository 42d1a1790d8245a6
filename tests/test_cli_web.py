"""`custseg users`, `custseg audit` and `custseg serve`, and the one-writer rule: while the
server owns the database, commands that open it stop with a clear message."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from custseg.cli import app
from custseg.io import accounts, audit
from custseg.pipeline import Project

runner = CliRunner()


def run(*args, stdin: str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=stdin)


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    monkeypatch.setattr(accounts, "HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def proj(tmp_path) -> Path:
    Project.init(tmp_path / "p").close()
    return tmp_path / "p"


@pytest.mark.slow
def test_users_add_list_set_remove(proj):
    added = run("users", "add", "ana", "--role", "analyst", "--password-stdin", "-p", proj,
                stdin="s3cret-pass\n")
    assert added.exit_code == 0, added.output
    listed = json.loads(run("users", "list", "--json", "-p", proj).output)
    assert [(u["username"], u["role"]) for u in listed] == [("ana", "analyst")]
    with Project.open(proj) as project:
        assert accounts.authenticate(project.connect().con, "ana", "s3cret-pass")
    assert run("users", "set", "ana", "--role", "viewer", "--disable", "-p", proj
               ).exit_code == 0
    listed = json.loads(run("users", "list", "--json", "-p", proj).output)
    assert (listed[0]["role"], listed[0]["disabled"]) == ("viewer", True)
    assert run("users", "remove", "ana", "-p", proj).exit_code == 0
    assert json.loads(run("users", "list", "--json", "-p", proj).output) == []


def test_users_add_refuses_bad_input_in_one_line(proj):
    short = run("users", "add", "bob", "--role", "viewer", "--password-stdin", "-p", proj,
                stdin="short\n")
    assert short.exit_code == 1 and "at least 8" in short.output
    empty = run("users", "add", "bob", "--role", "viewer", "--password-stdin", "-p", proj,
                stdin="")
    assert empty.exit_code == 1 and "no password" in empty.output
    role = run("users", "add", "bob", "--role", "boss", "--password-stdin", "-p", proj,
               stdin="long enough\n")
    assert role.exit_code == 2


def test_audit_lists_entries(proj):
    with Project.open(proj) as project:
        audit.record(project.connect(), user="ana", action="view_personal",
                     target="customer C1")
        audit.record(project.connect(), user="bob", action="export", target="segment A1")
    shown = json.loads(run("audit", "--json", "--user", "ana", "-p", proj).output)
    assert [(e["user_name"], e["target"]) for e in shown] == [("ana", "customer C1")]
    table = run("audit", "-p", proj)
    assert table.exit_code == 0 and "segment A1" in table.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_owns_the_database_and_writers_get_a_clear_message(proj, tmp_path):
    port = _free_port()
    env = {**os.environ, "CUSTSEG_SECRET": "Zq8-" * 12}
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "custseg", "serve", "-p", str(proj), "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        response = httpx.get(f"http://127.0.0.1:{port}/api/overview", timeout=5)
        assert response.status_code == 401
        for command in (["segment", "--model", "rfm-rules"],
                        ["users", "add", "x", "--role", "viewer", "--password-stdin"]):
            result = run(*command, "-p", proj, stdin="long enough\n")
            assert result.exit_code == 1, command
            assert "open in another process" in result.output
            assert "custseg serve" in result.output
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert run("users", "list", "-p", proj).exit_code == 0  # free again
