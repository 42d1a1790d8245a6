"""Migration between two runs: hand-made assignments, then the commands on CDNOW."""

import csv
import json

import ibis
import pytest
from typer.testing import CliRunner

from custseg.cli import app
from custseg.segment.migration import GONE, NEW, migration_matrix, movers


def _seg(pairs):
    return ibis.memtable({"customer_id": [p[0] for p in pairs],
                          "segment_id": [p[1] for p in pairs]})


def test_matrix_counts_every_customer_of_either_run_once(con):
    before = _seg([("a", "S1"), ("b", "S1"), ("c", "S2"), ("d", "S2")])
    after = _seg([("a", "S1"), ("b", "S2"), ("c", "S2"), ("e", "S1")])
    rows = con.to_pyarrow(migration_matrix(before, after)).to_pylist()
    got = {(r["from_segment"], r["to_segment"]): (r["customers"], r["share"]) for r in rows}
    assert got == {(NEW, "S1"): (1, 1.0), ("S1", "S1"): (1, 0.5), ("S1", "S2"): (1, 0.5),
                   ("S2", "S2"): (1, 0.5), ("S2", GONE): (1, 0.5)}


def test_movers_name_the_feature_that_changed_most(con):
    before = _seg([("a", "S1"), ("b", "S1"), ("c", "S2")])
    after = _seg([("a", "S2"), ("b", "S1"), ("c", "S2")])
    fa = ibis.memtable({"customer_id": ["a", "b", "c"], "frequency": [1, 2, 3],
                        "monetary": [100.0, 100.0, 400.0]})
    fb = ibis.memtable({"customer_id": ["a", "b", "c"], "frequency": [2, 2, 3],
                        "monetary": [1000.0, 100.0, 400.0]})
    [m] = con.to_pyarrow(movers(before, after, fa, fb, ["frequency", "monetary"])).to_pylist()
    assert (m["customer_id"], m["from_segment"], m["to_segment"], m["main_feature"]) == (
        "a", "S1", "S2", "monetary")
    assert m["change_sd"] == pytest.approx(900 / 173.20508, rel=1e-4)


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_runs_and_migration_commands_on_cdnow(cdnow_project_dir, tmp_path):
    p = str(cdnow_project_dir)
    ids = []
    for as_of in ("1997-12-31", "1998-06-30"):
        result = run("segment", "--model", "rfm-rules", "--as-of", as_of, "--project", p)
        assert result.exit_code == 0, result.output
    listed = json.loads(run("runs", "list", "--json", "--project", p).output)
    assert {"run_id", "as_of", "created_at", "status"} <= set(listed[0])
    ids = [r["run_id"] for r in listed if r["model"] == "rfm-rules"][:2][::-1]
    out = tmp_path / "mig.csv"
    result = run("migration", *ids, "--model", "rfm-rules", "--export", out, "--project", p)
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["from_segment", "to_segment", "customers"]
        flows = list(reader)
    assert sum(int(r["customers"]) for r in flows) == 23_570
    assert any(r["from_segment"] == "A003" and r["to_segment"] == "A004" for r in flows)
    wrong = run("migration", *ids, "--model", "rfm-scores", "--project", p)
    assert wrong.exit_code == 1 and "not rfm-scores" in wrong.output
    assert run("runs", "rm", ids[0], "--project", p).exit_code == 0
    after = json.loads(run("runs", "list", "--json", "--project", p).output)
    assert ids[0] not in {r["run_id"] for r in after}
    missing = run("runs", "show", ids[0], "--project", p)
    assert missing.exit_code == 1 and "no run" in missing.output


def test_psi_is_zero_for_the_same_population_and_large_for_a_shift(con):
    from custseg.segment.migration import psi

    same = ibis.memtable({"m": [float(i) for i in range(100)]})
    shifted = ibis.memtable({"m": [float(i) + 60 for i in range(100)]})
    assert con.execute(psi(same, same, "m"))["psi"][0] == pytest.approx(0.0)
    assert con.execute(psi(same, shifted, "m"))["psi"][0] > 0.25


def test_drift_warnings():
    from custseg.snapshots import drift_warnings

    report = {"psi": {"monetary": 0.4, "frequency": 0.05},
              "matrix": [{"from_segment": "A", "to_segment": "B", "customers": 8},
                         {"from_segment": "A", "to_segment": "A", "customers": 2}]}
    warnings = drift_warnings(report)
    assert len(warnings) == 2 and "monetary" in warnings[0] and "20%" in warnings[1]


def test_model_change_and_export_of_a_stored_run(cdnow_project_dir, tmp_path):
    p = str(cdnow_project_dir)
    for model in ("rfm-rules", "value-matrix"):
        assert run("segment", "--model", model, "--as-of", "1998-06-30",
                   "--project", p).exit_code == 0
    listed = json.loads(run("runs", "list", "--json", "--project", p).output)
    by_model = {r["model"]: r["run_id"] for r in reversed(listed) if r["kind"] == "segment"}
    diff = run("runs", "diff", by_model["rfm-rules"], by_model["value-matrix"], "--project", p)
    assert diff.exit_code == 0, diff.output
    assert "rfm-rules → value-matrix" in diff.output
    out = tmp_path / "run.csv"
    assert run("runs", "export", by_model["rfm-rules"], out, "--project", p).exit_code == 0
    with open(out, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    assert lines[0] == "customer_id,segment_id,segment_name" and len(lines) == 23_571
