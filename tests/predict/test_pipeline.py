"""`Project.predict` and `custseg predict`: stored per-customer predictions, no leakage, CDNOW."""

import csv
import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from custseg.cli import app
from custseg.io import profiles
from custseg.io.results import export_predictions
from custseg.pipeline import Project
from custseg.predict_runs import PredictionResult, fit_clv
from tests.conftest import CDNOW, rows
from tests.predict.data import D, after_d, planted_orders

runner = CliRunner()
COLUMNS = ["run_id", "customer_id", "p_alive", "expected_purchases", "expected_spend", "clv",
           "churn_probability", "churn_level", "propensity_30d", "propensity_90d"]


def _project(folder, orders):
    folder.mkdir()
    path = folder / "orders.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["customer_id", "order_date", "amount"])
        writer.writeheader()
        writer.writerows(orders)
    with Project.init(folder / "p", language="en") as p:
        p.ingest([path], table="orders", derive_order_id=True)
    return folder / "p"


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return planted_orders(200, seed=3, dropout=0.3)


def _predict(folder, orders) -> tuple[PredictionResult, list[tuple]]:
    with Project.open(_project(folder, orders)) as p:
        result = p.predict(as_of=D)
        stored = rows(p, f"SELECT * EXCLUDE (run_id) FROM predictions "
                         f"WHERE run_id = '{result.run_id}' ORDER BY customer_id")
        assert rows(p, "SELECT kind, as_of FROM runs") == [("predict", D)]
        assert [r[0] for r in rows(p, "DESCRIBE predictions")] == COLUMNS
    return result, stored


@pytest.mark.slow
def test_predict_stores_one_row_per_customer_and_ignores_orders_after_d(tmp_path, planted):
    ids, orders = planted
    result, stored = _predict(tmp_path / "a", orders)
    leaked, stored_leaked = _predict(tmp_path / "b", orders + after_d(ids))
    assert len(stored) == result.customers == len(ids)
    # 20 big orders after D per light buyer change nothing (but the last bits of the
    # optimisers' sums, which depend on row order)
    assert len(stored) == len(stored_leaked)
    for row, other in zip(stored, stored_leaked, strict=True):
        assert row[0] == other[0] and row[6] == other[6]  # customer_id, churn_level
        assert row[1:6] + row[7:] == pytest.approx(other[1:6] + other[7:], rel=1e-6)
    assert result.bgnbd["params"] == pytest.approx(leaked.bgnbd["params"], rel=1e-6)
    assert result.churn == leaked.churn and result.propensity == leaked.propensity
    by_id = {r[0]: r for r in stored}
    heavy = [by_id[c] for c in ids if c.startswith("h")]
    light = [by_id[c] for c in ids if c.startswith("l")]
    mean = lambda group, i: sum(r[i] for r in group) / len(group)  # noqa: E731
    assert mean(heavy, 7) > mean(light, 7) + 0.4  # propensity_30d
    assert mean(heavy, 4) > mean(light, 4)  # clv
    assert all(0 <= r[1] <= 1 and r[6] in ("low", "medium", "high") for r in stored)
    assert result.time_unit == "W" and result.horizon == 52
    assert result.holdout["observation_end"] == D
    assert result.holdout["holdout_start"] == result.holdout["calibration_end"] + timedelta(1)


def test_churn_report_has_the_p_alive_baseline(tmp_path, planted):
    _, orders = planted
    with Project.open(_project(tmp_path / "b", orders)) as p:
        churn = p.predict(as_of=D, time_unit="D").churn
    base = churn["baseline"]
    assert base["method"] == "1 - P(alive), BG/NBD fitted up to D-N"
    assert 0 <= base["auc"] <= 1 and 0 <= base["top_decile_precision"] <= 1
    assert base["customers"] == churn["customers"]
    assert base["fitted_up_to"] == churn["validation_features_as_of"] == D - timedelta(90)
    assert base["time_unit"] == "D"
    assert churn["beats_baseline"] == (churn["auc"] > base["auc"])
    assert set(churn["verdict"]) == {"en", "zh"}
    assert f"{base['auc']:.3f}" in churn["verdict"]["en"]


def _exported_ids(path) -> set[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["customer_id"] for r in csv.DictReader(fh)}


@pytest.mark.slow
def test_objectors_to_profiling_are_left_out_of_predictions_and_counted(tmp_path, planted):
    ids, orders = planted
    folder = _project(tmp_path / "o", orders)
    objectors, silent = set(ids[:3]), ids[3]  # silent objects to marketing only
    consent = tmp_path / "consent.csv"
    consent.write_text("客户编号,拒绝画像,退订\n" + "".join(
        f"{c},{'是' if c in objectors else '否'},{'是' if c == silent else ''}\n" for c in ids),
        encoding="utf-8")
    with Project.open(folder) as p:
        db = p.connect().con
        before = p.predict(as_of=D)
        assert profiles.customer_predictions(db, ids[0])["run_id"] == before.run_id
        p.ingest([consent], table="customers")
        result = p.predict(as_of=D)
        stored = {r[0] for r in rows(p, "SELECT customer_id FROM predictions WHERE "
                                        f"run_id = '{result.run_id}'")}
        config = json.loads(rows(p, f"SELECT config FROM runs WHERE run_id = '{result.run_id}'"
                                 )[0][0])
        exported = export_predictions(p.connect(), result.run_id, ("clv",), tmp_path / "p.csv")
        answers = [profiles.customer_predictions(db, c) for c in (ids[0], silent)]
        clv = fit_clv(p.connect(), p.settings, as_of=D, export=tmp_path / "clv.csv")
    assert result.excluded_objects_profiling == config["excluded_objects_profiling"] == 3
    assert stored == set(ids) - objectors and result.customers == len(ids) - 3
    assert result.bgnbd["customers"] == len(ids) - 3  # not fitted on either
    assert answers[0] is None and answers[1]["run_id"] == result.run_id
    assert exported == len(ids) - 4
    assert _exported_ids(tmp_path / "p.csv") == set(ids) - objectors - {silent}
    assert clv.excluded_objects_profiling == 3 and clv.customers == len(ids) - 3
    assert _exported_ids(tmp_path / "clv.csv") == set(ids) - objectors - {silent}
    out = runner.invoke(app, ["predict", "clv", "--as-of", D.isoformat(), "--project",
                              str(folder)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "3 customers who object to profiling were left out of these predictions" in (
        out.output)


def test_cli_text_output_names_units_and_days(tmp_path, planted):
    _, orders = planted
    folder = _project(tmp_path / "t", orders)
    out = runner.invoke(app, ["predict", "all", "--project", str(folder), "--unit", "D",
                              "--as-of", D.isoformat()], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    for needle in ("time unit: days (D)", "CLV horizon 364 days", "α = ", "Gamma-Gamma",
                   "no purchase in the next 90 days", "purchase in the next 30 days",
                   "churn-risk levels", "≥ 0.7", "purchases / customer",
                   "churn baseline: 1 - P(alive)", "1 - P(alive) baseline: AUC "):
        assert needle in out.output, needle
    for args, message in [(["all", "--as-of", "2023-13-01"], "not a date"),
                          (["clv", "--calibration-end", "30/09/1997"], "not a date"),
                          (["clv", "--time-unit", "months"], "use weeks (W) or days (D)"),
                          (["churn", "--export", "x.txt"], "use a .csv, .xlsx, .parquet"),
                          (["clv", "--calibration-end", "2099-01-01", "--as-of",
                            D.isoformat()], "after the as-of date")]:
        bad = runner.invoke(app, ["predict", *args, "--project", str(folder)])
        assert bad.exit_code == 1, (args, bad.output)
        assert message in bad.output and len(bad.output.strip().splitlines()) == 1, bad.output


def test_cli_clv_text_and_export(tmp_path, planted):
    _, orders = planted
    folder = _project(tmp_path / "c", orders)
    path = tmp_path / "clv.csv"
    out = runner.invoke(app, ["predict", "clv", "--project", str(folder), "--as-of",
                              D.isoformat(), "--time-unit", "days", "--export", str(path)],
                        env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    for needle in ("time unit: days (D)", "α = ", "days (purchase rate", "Gamma-Gamma",
                   f"calibration end; as of {D}", "exported: "):
        assert needle in out.output, needle
    with open(path, newline="", encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert list(exported[0]) == ["customer_id", "p_alive", "expected_purchases",
                                 "expected_spend", "clv"]
    assert len(exported) == len(planted[0])
    with Project.open(folder) as p:  # the CLV-only fit stores nothing
        assert rows(p, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'runs'"
                    ) == [(0,)]


def test_cli_churn_and_propensity(tmp_path, planted):
    ids, orders = planted
    folder = _project(tmp_path / "k", orders)
    path = tmp_path / "churn.parquet"
    out = runner.invoke(app, ["predict", "churn", "--project", str(folder), "--as-of",
                              D.isoformat(), "--export", str(path)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    for needle in ("churn: no purchase in the next 90 days", "churn-risk levels", "run: ",
                   "exported: ", "churn baseline: 1 - P(alive), BG/NBD fitted up to D-N",
                   "1 - P(alive) baseline: AUC "):
        assert needle in out.output, needle
    assert "propensity 30d" not in out.output
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    assert table.column_names == ["customer_id", "churn_probability", "churn_level", "p_alive"]
    assert table.num_rows == len(ids)
    out = runner.invoke(app, ["predict", "propensity", "--project", str(folder), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert set(data["propensity"]) == {"30d", "90d"} and "churn" not in data
    with Project.open(folder) as p:
        assert rows(p, "SELECT kind FROM runs") == [("predict",), ("predict",)]


def _cdnow_sample_project(folder) -> Project:
    folder.mkdir()
    path = folder / "cdnow_sample.csv"
    with open(CDNOW / "CDNOW_sample.txt", encoding="ascii") as src, \
            open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "date", "number_of_cds", "dollar_value"])
        for line in src:
            if line.strip():
                _master, sample_id, day, cds, value = line.split()
                writer.writerow([sample_id, day, cds, value])
    with Project.init(folder / "p", language="en") as p:
        p.ingest([path], table="orders", derive_order_id=True)
    return folder / "p"


def test_cli_clv_json_on_cdnow_sample(tmp_path):
    folder = _cdnow_sample_project(tmp_path / "s")
    out = runner.invoke(app, ["predict", "clv", "--calibration-end", "1997-09-30",
                              "--time-unit", "weeks", "--json", "--project", str(folder)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    bg, gg = data["bgnbd"], data["gamma_gamma"]
    # Fader, Hardie & Lee (2005): 39 weeks from 1997-01-01, 2,357 customers
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert {k: bg[k] for k in published} == pytest.approx(published, rel=0.01)
    assert bg["loglik"] == pytest.approx(-9582.4, abs=0.5)
    # Fader & Hardie, note 025: 946 customers with repeat purchases
    assert {k: gg[k] for k in ("p", "q", "gamma")} == pytest.approx(
        {"p": 6.25, "q": 3.74, "gamma": 15.44}, rel=0.01)
    assert gg["n_customers"] == 946
    assert data["time_unit"] == "W" and data["calibration_end"] == "1997-09-30"
    assert data["n_customers"] == bg["n_customers"] == 2357
    days = runner.invoke(app, ["predict", "clv", "--calibration-end", "1997-09-30",
                               "--time-unit", "D", "--json", "--project", str(folder)])
    assert json.loads(days.output)["bgnbd"]["alpha"] == pytest.approx(7 * bg["alpha"],
                                                                     rel=1e-4)


@pytest.mark.slow
def test_cli_predict_on_cdnow(cdnow_project_dir):
    out = runner.invoke(app, ["predict", "all", "--project", str(cdnow_project_dir), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    with Project.open(cdnow_project_dir) as p:
        stored = rows(p, f"SELECT count(*), count(DISTINCT customer_id), count(clv), "
                         f"count(churn_probability), count(propensity_90d) FROM predictions "
                         f"WHERE run_id = '{data['run_id']}'")
        kind = rows(p, f"SELECT kind, json_extract_string(config, '$.time_unit') FROM runs "
                       f"WHERE run_id = '{data['run_id']}'")
    assert stored == [(23_570,) * 5]
    assert kind == [("predict", "W")]
    assert data["as_of"] == "1998-06-30" and data["customers"] == 23_570
    assert data["holdout"]["calibration_end"] == "1997-10-01"  # half of the 78 weeks
    assert data["holdout"]["mae"] < 1.0
    for report in (data["churn"], *data["propensity"].values()):
        assert report["auc"] > 0.8
        assert report["top_factors"][0]["feature"] == "recency_days"
    assert data["propensity"]["90d"]["top_decile_precision"] > 0.5
    assert sum(level["customers"] for level in data["levels"]) == 23_570
