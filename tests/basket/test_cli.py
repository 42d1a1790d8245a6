"""`custseg basket`: the rules export contract, JSON, segments on screen, one-line errors."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from custseg.cli import app
from custseg.io.basket_store import RULE_TABLE_COLUMNS
from custseg.pipeline import Project
from tests.basket.data import X_CUSTOMERS, A, B, assign, load, planted

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "160"})


def read_csv(path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        return next(reader), list(reader)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A project with the planted orders and a stored segmentation "manual" (X and Y)."""
    directory = tmp_path_factory.mktemp("basket") / "p"
    orders, items = planted()
    with Project.init(directory, language="en") as project:
        load(project, orders, items)
        assign(project, "manual", {c: "X" if int(c[1:]) < X_CUSTOMERS else "Y"
                                   for c in set(orders.customer_id)})
    return directory


def test_export_has_exactly_the_five_columns_highest_lift_first(folder, tmp_path):
    out = tmp_path / "rules.csv"
    result = run("basket", "--min-support", 0.01, "--export", out, "--project", folder)
    assert result.exit_code == 0, result.output
    header, lines = read_csv(out)
    assert header == ["antecedent", "consequent", "support", "confidence", "lift"]
    assert lines[0][:2] == [A, B] and float(lines[0][4]) >= 3
    lifts = [float(line[4]) for line in lines]
    assert lifts == sorted(lifts, reverse=True)
    assert f"exported: {out} ({len(lines):,})" in result.output
    assert "Association rules" in result.output and f"{A}" in result.output


def test_segment_model_prints_distinctive_rules_and_all_columns_export_them(folder, tmp_path):
    out = tmp_path / "all.csv"
    result = run("basket", "--segment-model", "manual", "--min-support", 0.02, "--top", 3,
                 "--export", out, "--all-columns", "--project", folder)
    assert result.exit_code == 0, result.output
    assert "distinctive rules · X segment X" in result.output
    assert "distinctive rules · Y segment Y" in result.output
    frame = pd.read_csv(out, keep_default_na=False)
    assert list(frame.columns) == list(RULE_TABLE_COLUMNS)
    assert set(frame.segment_id) == {"", "X", "Y"}
    assert (frame.segment_run_id[frame.segment_id != ""] == "manual-1").all()


def test_default_export_of_a_segment_run_holds_the_overall_rules(folder, tmp_path):
    out = tmp_path / "overall.csv"
    result = run("basket", "--segment-model", "manual", "--min-support", 0.02, "--export",
                 out, "--project", folder)
    assert result.exit_code == 0, result.output
    header, lines = read_csv(out)
    assert len(header) == 5 and "--all-columns" in result.output
    with Project.open(folder) as project:
        stored = project.connect().con.execute(
            "SELECT count(*) FROM basket_rules WHERE segment_id IS NULL AND run_id = "
            "(SELECT max(run_id) FROM runs WHERE kind = 'basket')").fetchone()[0]
    assert len(lines) == stored


def test_json_lists_rules_and_segments(folder):
    result = run("basket", "--json", "--segment-model", "manual", "--min-support", 0.02,
                 "--top", 2, "--project", folder)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["segment_model"] == "manual" and data["level"] == "product"
    assert [s["segment_id"] for s in data["segments"]] == ["X", "Y"]
    assert len(data["rules"]) == 2 and data["rules"][0]["antecedent"] == A
    assert all(len(s["rules"]) <= 2 for s in data["segments"])


def test_formula_like_items_are_escaped_in_csv(tmp_path):
    orders = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": "c",
                           "order_date": pd.Timestamp("2024-01-01").date(), "amount": 1.0,
                           "status": None})
    items = pd.DataFrame({"order_id": ["1", "1", "2", "2", "3"],
                          "product_id": ["=cmd()", "+sum", "=cmd()", "+sum", "x"]})
    with Project.init(tmp_path / "p") as project:
        load(project, orders, items)
    with open(tmp_path / "p" / "custseg.toml", "a", encoding="utf-8") as fh:
        fh.write("\n[basket]\nmin_count = 1\n")
    out = tmp_path / "r.csv"
    result = run("basket", "--min-support", 0.5, "--export", out, "--project", tmp_path / "p")
    assert result.exit_code == 0, result.output
    _, lines = read_csv(out)
    assert sorted(line[:2] for line in lines) == [["'+sum", "'=cmd()"], ["'=cmd()", "'+sum"]]


def test_cdnow_has_no_order_lines(cdnow_project_dir):
    result = run("basket", "--project", cdnow_project_dir)
    assert result.exit_code == 1
    assert "order_items is empty" in result.output and "--table order_items" in result.output


def test_unknown_level_is_refused(folder):
    result = run("basket", "--level", "sku", "--project", folder)
    assert result.exit_code == 2
