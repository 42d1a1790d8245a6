"""Shared fixtures: a fresh project per test and the real CDNOW files."""

from __future__ import annotations

from pathlib import Path

import pytest

from custseg.pipeline import Project

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CDNOW = SHARED_DATA / "cdnow"


@pytest.fixture
def project(tmp_path: Path):
    """An empty project in a temporary folder, closed after the test."""
    with Project.init(tmp_path / "proj") as p:
        yield p


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def rows(project: Project, sql: str) -> list[tuple]:
    return project.connect().con.execute(sql).fetchall()
