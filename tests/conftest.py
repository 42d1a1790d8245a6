"""Shared fixtures: a fresh project per test and the real CDNOW files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from custseg.pipeline import Project

# CLI tables are as wide as the terminal; pytest-xdist workers have none, so fix the width the
# tests read (before any test module builds the CLI's consoles)
os.environ["COLUMNS"] = "240"

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CDNOW = SHARED_DATA / "cdnow"


@pytest.fixture
def project(tmp_path: Path):
    """An empty project in a temporary folder, closed after the test."""
    with Project.init(tmp_path / "proj") as p:
        yield p


@pytest.fixture(scope="session")
def cdnow_project_dir(tmp_path_factory) -> Path:
    """A project holding the packaged CDNOW master file as orders (built once, ~4 s).

    Tests that write runs into it must close their project before the next test opens it.
    """
    from custseg.demo.cdnow import write_cdnow_csv

    folder = tmp_path_factory.mktemp("cdnow")
    with Project.init(folder / "p", language="en") as p:
        p.ingest([write_cdnow_csv(folder / "cdnow_master.csv")], table="orders",
                 derive_order_id=True)
    return folder / "p"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def rows(project: Project, sql: str) -> list[tuple]:
    return project.connect().con.execute(sql).fetchall()


@pytest.fixture
def db():
    """An in-memory DuckDB connection for reader tests."""
    import duckdb

    con = duckdb.connect()
    yield con
    con.close()


def staged(db, name: str = "s") -> list[tuple]:
    """Rows of a staging table in file order."""
    return db.execute(f'SELECT * FROM "{name}" ORDER BY _row').fetchall()


@pytest.fixture(scope="module")
def con():
    """An in-memory Ibis/DuckDB backend with the engine functions the parsers call."""
    import ibis

    from custseg.io import functions

    backend = ibis.duckdb.connect()
    functions.register(backend.con)
    yield backend
    backend.disconnect()
