"""DuckDB and Spark give identical features, rfm-rules, rfm-scores and kmeans assignments.

Each test computes the same Ibis expressions on both engines and compares every row in
DuckDB (Spark's result comes back as Parquet), so no tolerance hides a difference: money is
summed as decimals on both, and floats must be bit-identical.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import ibis
import pytest

from custseg.config import parse_settings
from custseg.features import FEATURES, customer_features
from custseg.io import results
from custseg.io.compute import DuckDBCompute
from custseg.io.spark import SparkCompute, handoff
from custseg.pipeline import Project
from custseg.segment import KMeansSegmenter, RFMRules, RFMScores
from tests.io.conftest import generate_orders, project_from_parquet

AS_OF = date(1998, 6, 30)


def differences(db, left: str, right: str, columns: list[str]) -> dict[str, int]:
    """Per column, the customers whose values differ (or who are missing on one side)."""
    checks = ", ".join(f'count(*) FILTER (WHERE a."{c}" IS DISTINCT FROM b."{c}") AS "{c}"'
                       for c in columns)
    row = db.execute(f'SELECT count(*) FILTER (WHERE a.customer_id IS NULL OR b.customer_id '
                     f'IS NULL), {checks} FROM "{left}" a FULL JOIN "{right}" b '
                     "ON a.customer_id = b.customer_id").fetchone()
    out = dict(zip(["missing", *columns], row, strict=True))
    return {k: v for k, v in out.items() if v}


def compare(con, duck: ibis.Table | str, other: ibis.Table, name: str) -> int:
    """Compare DuckDB's result (an expression, or the name of a staged table) with Spark's
    (brought to the store); returns the row count."""
    if not isinstance(duck, str):
        results.stage(con, duck, f"_duck_{name}")
        duck = f"_duck_{name}"
    columns = [c for c in con.table(duck).columns if c != "customer_id"]
    assert differences(con.con, duck, other.get_name(), columns) == {}
    n = con.table(duck).count().execute()
    assert other.count().execute() == n
    return n


def assigned(model, features: ibis.Table) -> ibis.Table:
    """Assignments of ``model``; kmeans distances rounded (the engines' ``ln`` and ``sqrt``
    may differ in the last bit, which moves no customer off a tie in these data)."""
    out = model.assign(features)
    return out.mutate(distance=out.distance.round(9)) if "distance" in out.columns else out


def both_engines(con, compute: SparkCompute, models: dict) -> int:
    """Features on both engines, then each model fitted once (on DuckDB's features) and
    assigned on each engine's own features; everything compared row by row."""
    duck = results.stage(con, customer_features(DuckDBCompute(con).tables(), as_of=AS_OF),
                         "_duck_features")
    spark = compute.stage(customer_features(compute.tables(), as_of=AS_OF), "_features")
    n = compare(con, "_duck_features", compute.to_store(spark, "_spark_features"), "features")
    for name, model in models.items():
        model.fit(duck)
        assert compare(con, assigned(model, duck),
                       compute.to_store(assigned(model, spark), f"_spark_{name}"), name) == n
    compute.drop("_features", "_spark_features", *[f"_spark_{m}" for m in models])
    return n


@pytest.mark.spark
def test_features_and_rfm_identical_on_cdnow(cdnow_project_dir, spark, tmp_path):
    with Project.open(cdnow_project_dir) as project:
        con = project.connect()
        compute = SparkCompute(con, tmp_path / "spark")
        n = both_engines(con, compute, {"rules": RFMRules(), "scores": RFMScores()})
        assert set(con.table("_duck_features").columns) == {"customer_id", *FEATURES}
        counts = dict(con.con.execute("SELECT segment_id, count(*) FROM _duck_rules "
                                      "GROUP BY 1").fetchall())
    assert n == 23_570
    # the counts of the SQL written by hand over the raw file (tests/segment/test_cdnow.py)
    assert counts == {"A001": 5, "A003": 43, "A004": 19_725, "U": 3_797}


@pytest.mark.spark
def test_project_segment_on_spark_stores_identical_runs(cdnow_project_dir, spark):
    data = {"engine": {"kind": "spark", "spark_master": "local[2]"}}
    with Project.open(cdnow_project_dir) as project:
        on_spark = Project(cdnow_project_dir, parse_settings(data))
        on_spark._con = project.connect()  # one writer: share the open database
        for model in ("kmeans", "rfm-scores"):
            duck = project.segment(model, as_of=AS_OF, lang="en")
            other = on_spark.segment(model, as_of=AS_OF, lang="en")
            assert other.table.customers.tolist() == duck.table.customers.tolist()
            diff = project.connect().con.execute(
                "SELECT count(*) FROM segment_assignments a FULL JOIN segment_assignments b "
                "ON a.customer_id = b.customer_id AND b.run_id = ? WHERE a.run_id = ? AND "
                "(b.customer_id IS NULL OR a.segment_id <> b.segment_id)",
                [other.run_id, duck.run_id]).fetchone()[0]
            assert diff == 0
        stored = project.connect().con.execute(
            "SELECT count(*), count(DISTINCT customer_id) FROM features WHERE run_id = ?",
            [other.run_id]).fetchone()
        scores = project.connect().con.execute(
            "SELECT count(*) FROM rfm_scores a JOIN rfm_scores b USING (customer_id, r_score, "
            "f_score, m_score) WHERE a.run_id = ? AND b.run_id = ?",
            [duck.run_id, other.run_id]).fetchone()[0]
        assert stored == (23_570, 23_570) and scores == 23_570
        assert not list((cdnow_project_dir / "spark" / "stage").iterdir())  # cleaned up


@pytest.mark.spark
@pytest.mark.slow
def test_identical_on_one_million_generated_orders(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("million")
    orders = generate_orders(folder / "orders.parquet", 1_000_000)
    with Project.open(project_from_parquet(folder / "p", orders)) as project:
        con = project.connect()
        compute = SparkCompute(con, folder / "spark")
        models = {"rules": RFMRules(), "scores": RFMScores(),
                  "kmeans": KMeansSegmenter(k=4, sample_size=20_000)}
        n = both_engines(con, compute, models)
        kinds = dict(con.con.execute(
            "SELECT has_ordered, count(*) FROM _duck_features GROUP BY 1").fetchall())
        used = con.con.execute("SELECT count(DISTINCT segment_id) FROM _duck_scores")
        assert used.fetchone()[0] >= 5
    assert kinds[False] >= 1 and n > 200_000  # 'never' and customers with only refunds


def test_handoff_reuses_files_until_the_database_changes(project, tmp_path: Path):
    db = project.connect().con
    db.execute("INSERT INTO customers (customer_id) VALUES ('a')")
    first = handoff(project.connect(), tmp_path, ["customers", "orders"])
    assert handoff(project.connect(), tmp_path, ["customers", "orders"]) == first
    db.execute("INSERT INTO customers (customer_id) VALUES ('b')")
    second = handoff(project.connect(), tmp_path, ["customers", "orders"])
    assert second["customers"].parent != first["customers"].parent
    assert not first["customers"].parent.exists()  # the stale hand-over is removed
    assert db.execute(f"SELECT count(*) FROM '{second['customers']}'").fetchone()[0] == 2


def test_spark_settings_are_validated():
    settings = parse_settings({"engine": {"kind": "spark", "spark_conf": {
        "spark.driver.memory": "4g"}}})
    assert (settings.engine.spark_master, settings.engine.spark_dir) == ("local[*]", "spark")
    with pytest.raises(Exception, match="operational_store"):
        parse_settings({"engine": {"operational_store": "mysql://x@y/z"}})
