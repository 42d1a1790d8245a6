"""Every malformed input of the corpus ends well when a user loads it with the CLI.

For each case of `tests.corpus.cases`: ``custseg init`` a fresh project, ``custseg ingest FILE
--table T``, then ``custseg quality --json``. Never a traceback; an error is one short message
naming the file and leaves the database empty; a load balances (rows in = clean + quarantined
+ merged for every table) and accounts for every record of the file; planted defects show up
under their rule; and the outcome kind (loads / quarantines / clear error) is the one the case
states, so a regression in either direction fails.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from custseg.cli import app
from tests.corpus.cases import CASES, ERROR, LOADS, QUARANTINES, Case

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def assert_no_traceback(result) -> None:
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{result.exception!r}\n{result.output}")
    assert "Traceback" not in result.output


def tolerate_missing_keys(project: Path) -> None:
    """Set ``[cleaning] max_missing_rate = 1.0`` inside the starter config's [cleaning] table."""
    cfg = project / "custseg.toml"
    text = cfg.read_text(encoding="utf-8")
    assert len(re.findall(r"(?m)^\[cleaning\]", text)) == 1
    text = re.sub(r"(?m)^(\[cleaning\].*)$", r"\1\nmax_missing_rate = 1.0", text, count=1)
    cfg.write_text(text, encoding="utf-8")
    assert tomllib.loads(text)["cleaning"]["max_missing_rate"] == 1.0


def quality(project: Path) -> dict:
    result = invoke("quality", "--json", "--project", project)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def params() -> list:
    return [pytest.param(c, id=c.name, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)]
                         if c.xfail else []) for c in CASES]


@pytest.mark.slow  # 1.5–2 s a case (a fresh project and a full cleaning run each): ~3 min
@pytest.mark.parametrize("case", params())
def test_input_ends_well(case: Case, tmp_path: Path) -> None:
    folder = tmp_path / "input"
    folder.mkdir()
    path = case.build(folder)
    project = tmp_path / "project"
    created = invoke("init", project, "--lang", "en")
    assert created.exit_code == 0, created.output
    if case.tolerant:
        tolerate_missing_keys(project)

    result = invoke("ingest", path, "--table", case.table, "--project", project)
    assert_no_traceback(result)
    if result.exit_code == 1:
        message = result.output.strip()
        assert len(message.splitlines()) <= 3 and len(message) < 1500, message
        assert path.name in message, message
        assert case.outcome == ERROR, f"expected {case.outcome}, got a clear error: {message}"
        assert case.error in message, message
        nothing = quality(project)["balance"]
        assert all(b["rows_in"] == 0 for b in nothing.values()), nothing
        return
    assert case.outcome != ERROR, f"expected a clear error, but it loaded:\n{result.output}"

    report = quality(project)
    for table, b in report["balance"].items():
        assert b["rows_in"] == b["clean"] + b["quarantined"] + b["merged"], (table, b)
    rows_in = report["balance"][case.table]["rows_in"]
    if case.at_least:
        assert rows_in >= case.rows, report["balance"]
    else:
        assert rows_in == case.rows, report["balance"]
    quarantined = sum(b["quarantined"] for b in report["balance"].values())
    kind = QUARANTINES if quarantined else LOADS
    assert kind == case.outcome, (report["balance"], sorted(report["rules"]))

    for rule in case.rules:
        assert rule in report["rules"], sorted(report["rules"])
        listed = invoke("quarantine", "list", "--rule", rule, "--json", "--project", project)
        assert_no_traceback(listed)
        entries = json.loads(listed.output)
        assert entries and all(e["source"] == str(path) for e in entries), entries
    if case.output:  # notes are wrapped at the console width
        assert case.output in " ".join(result.output.split()), result.output

    if case.sql:
        con = duckdb.connect(str(project / "custseg.duckdb"), read_only=True)
        try:
            for query, expected in case.sql:
                assert con.execute(query).fetchall() == expected, query
        finally:
            con.close()


def test_corpus_is_large_and_covers_every_category():
    names = [c.name for c in CASES]
    assert len(names) >= 60 and len(set(names)) == len(names)
    categories = {c.category for c in CASES}
    assert {"encoding", "structure", "headers", "numbers", "dates", "excel", "jsonl", "parquet",
            "ids", "semantics"} <= categories
    for c in CASES:
        assert c.outcome == ERROR or c.rows is not None, c.name


def test_builders_are_deterministic(tmp_path: Path):
    """Building a case twice gives the same bytes (.xlsx aside: openpyxl stamps zip entries
    with the current time)."""
    for c in CASES:
        if c.name.startswith("xlsx"):
            continue
        a, b = tmp_path / "a" / c.name, tmp_path / "b" / c.name
        a.mkdir(parents=True)
        b.mkdir(parents=True)
        assert c.build(a).read_bytes() == c.build(b).read_bytes(), c.name
