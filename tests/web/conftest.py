"""Fixtures of the web tests: the retail demo (which has personal data) with two snapshots
of rfm-rules and one of rfm-scores, one account per role, and clients signed in as each."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from custseg.io import accounts

ROLES = ("viewer", "operator", "analyst", "admin")
SECRET = "test-signing-key-0123456789abcdefghijklmnopqrstuvwxyz"
FIRST_AS_OF = date(2026, 3, 31)


def password(role: str) -> str:
    return f"pw-{role}-12345"


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    """argon2id with small costs, so signing in many times stays fast."""
    monkeypatch.setattr(accounts, "HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(accounts, "_DUMMY_HASH", [])


@pytest.fixture(scope="session")
def retail_dir(tmp_path_factory) -> Path:
    """The retail demo (300 customers), ingested and segmented; built once (~10 s)."""
    from custseg.demo import create_demo

    folder = tmp_path_factory.mktemp("web") / "retail"
    project = create_demo("retail", folder, customers=300, seed=7)
    with project:
        project.ingest_sources()
        project.segment("rfm-rules", as_of=FIRST_AS_OF)
        project.segment("rfm-rules")
        project.segment("rfm-scores")
        db = project.connect().con
        original = accounts.HASHER
        accounts.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        try:
            for role in ROLES:
                accounts.add_user(db, role, role, password(role))
        finally:
            accounts.HASHER = original
    return folder


@pytest.fixture(scope="module")
def project_dir(retail_dir: Path, tmp_path_factory) -> Path:
    """A private copy of the retail project for one test module."""
    target = tmp_path_factory.mktemp("copy") / "retail"
    shutil.copytree(retail_dir, target)
    return target


@pytest.fixture(scope="module")
def app(project_dir: Path):
    from custseg.web import create_app

    application = create_app(project_dir, secret=SECRET)
    yield application
    application.state.custseg.project.close()


@pytest.fixture
def app_db(app):
    """A cursor on the app's database, to check what the API did."""
    cursor = app.state.custseg.project.connect().con.cursor()
    yield cursor
    cursor.close()


def sign_in(app, role: str) -> TestClient:
    """A client carrying ``role``'s bearer token (and its session cookie)."""
    client = TestClient(app)
    response = client.post("/api/auth/login",
                           json={"username": role, "password": password(role)})
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return client


@pytest.fixture
def as_role(app):
    clients = []

    def make(role: str) -> TestClient:
        client = sign_in(app, role)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
