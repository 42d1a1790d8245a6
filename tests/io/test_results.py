"""Stored runs and exports: contracts of the result tables."""

from datetime import date

import pandas as pd
import pytest

from custseg.errors import CustsegError
from custseg.io import results
from custseg.pipeline import Project
from tests.conftest import rows, write

ORDERS = """customer_id,order_date,amount,order_id
1,2024-06-01,2500,a
1,2024-06-10,100,b
=cmd,2024-01-01,10,c
3,2023-01-01,10,d
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """One project for the module (loading is the slow part); tests filter by their run id."""
    folder = tmp_path_factory.mktemp("results")
    with Project.init(folder / "p") as project:
        project.ingest([write(folder / "o.csv", ORDERS)], table="orders")
        results.ensure_result_tables(project.connect())
        yield project


def count(project, table: str) -> int:
    return rows(project, f"SELECT count(*) FROM {table}")[0][0]


def test_a_run_stores_assignments_summary_and_features(loaded):
    result = loaded.segment("rfm-rules", lang="en")
    assert result.as_of == date(2024, 6, 10)  # the latest order date
    run_id = result.run_id
    assert rows(loaded, f"SELECT kind, status FROM runs WHERE run_id = '{run_id}'") == [
        ("segment", "done")]
    assigned = rows(loaded, "SELECT customer_id, segment_id, segment_name FROM "
                            f"segment_assignments WHERE run_id = '{run_id}' ORDER BY 1")
    assert assigned == [("1", "A002", "new potential"), ("3", "A004", "dormant / churning"),
                        ("=cmd", "A004", "dormant / churning")]
    assert rows(loaded, f"SELECT count(*) FROM features WHERE run_id = '{run_id}'") == [(3,)]
    assert rows(loaded, f"SELECT sum(customers) FROM segment_summary WHERE run_id = "
                        f"'{run_id}'") == [(3,)]
    runs, features = count(loaded, "runs"), count(loaded, "features")
    second = loaded.segment("rfm-rules", as_of=date(2024, 6, 1), store_features=False)
    assert second.run_id != run_id
    assert (count(loaded, "runs"), count(loaded, "features")) == (runs + 1, features)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_export_has_exactly_the_contract_columns(loaded, tmp_path, suffix):
    result = loaded.segment("rfm-scores", lang="zh")
    path = tmp_path / f"out{suffix}"
    assert loaded.export_segments(result.run_id, path) == 3
    read = {".csv": lambda p: pd.read_csv(p, dtype=str), ".xlsx": pd.read_excel,
            ".parquet": pd.read_parquet}[suffix]
    frame = read(path)
    assert list(frame.columns) == ["customer_id", "segment_id", "segment_name"]
    ids = sorted(frame.customer_id)
    assert ids == (["'=cmd", "1", "3"] if suffix != ".parquet" else ["1", "3", "=cmd"])
    assert set(frame.segment_name) <= set(result.table.name_zh)


def test_export_refuses_other_formats(loaded, tmp_path):
    result = loaded.segment("rfm-rules")
    with pytest.raises(CustsegError, match="use .csv, .xlsx, .parquet"):
        loaded.export_segments(result.run_id, tmp_path / "x.json")


def test_no_orders_and_no_as_of_is_a_clear_error(project):
    with pytest.raises(CustsegError, match="no orders loaded yet"):
        project.segment("rfm-rules")


def test_a_failed_run_stores_nothing(loaded, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    before = [count(loaded, t) for t in ("runs", "segment_assignments", "segment_summary")]
    monkeypatch.setattr(results, "_store_features", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        loaded.segment("rfm-rules")
    after = [count(loaded, t) for t in ("runs", "segment_assignments", "segment_summary")]
    assert after == before


def test_run_ids_sort_in_the_order_they_were_made_even_within_one_second():
    ids = [results.new_run_id() for _ in range(200)]
    assert len(set(ids)) == len(ids)
    assert sorted(ids) == ids
    # an id of the older format (no fraction) sorts before every newer id of its second
    assert all(f"{i[:15]}-ffffff" < i for i in ids)
