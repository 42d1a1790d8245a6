"""Acceptance of the cleaning stage: every dirt planted in the retail demo is found."""

import csv

import pytest

from custseg.demo import create_demo
from custseg.demo.retail import generate_retail
from tests.conftest import rows


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("retail")
    _, truth = generate_retail(base / "truth", customers=400, seed=11)
    project = create_demo("retail", base / "proj", customers=400, seed=11)
    project.ingest_sources()
    yield project, truth, base / "proj" / "data"
    project.close()


def test_balance_holds_for_every_table(demo):
    project, _, _ = demo
    for table, b in project.quality()["balance"].items():
        assert b["rows_in"] == b["clean"] + b["quarantined"] + b["merged"], table
        assert b["rows_in"] > 0, table


def test_the_person_with_two_ids_is_merged(demo):
    project, truth, _ = demo
    first, second = truth.duplicate_person_ids
    assert rows(project, "SELECT customer_id, surviving_id FROM identity_map") == [
        (second, first)]
    assert rows(project, f"SELECT count(*) FROM orders WHERE source_customer_id = '{second}' "
                         f"AND customer_id <> '{first}'") == [(0,)]


def test_test_accounts_are_quarantined_with_their_orders(demo):
    project, truth, _ = demo
    ids = "', '".join(truth.test_account_ids)
    assert rows(project, f"SELECT count(*) FROM customers WHERE customer_id IN ('{ids}')") == [
        (0,)]
    assert rows(project, f"SELECT count(*) FROM orders WHERE source_customer_id IN ('{ids}')"
                ) == [(0,)]
    quarantined = rows(project, "SELECT DISTINCT raw_value FROM quarantine WHERE "
                                "rule = 'test_account' AND table_name = 'customers'")
    assert len(quarantined) == len(truth.test_account_ids)


def test_every_planted_outlier_is_flagged_and_kept(demo):
    project, truth, _ = demo
    flagged = {r[0] for r in rows(project, "SELECT order_id FROM orders WHERE is_outlier")}
    assert set(truth.outlier_order_ids) <= flagged


def test_every_date_format_is_parsed(demo):
    project, truth, data = demo
    assert len(truth.date_formats) >= 5
    with open(data / "orders.csv", encoding="utf-8-sig") as fh:
        raw_dates = [r["下单时间"] for r in csv.DictReader(fh)]
    assert any("年" in d for d in raw_dates) and any("/" in d for d in raw_dates)
    assert rows(project, "SELECT count(*) FROM quarantine WHERE table_name = 'orders' "
                         "AND rule LIKE 'unreadable_%'") == [(0,)]


def test_the_gbk_file_is_read_with_chinese_values(demo):
    project, _, data = demo
    with open(data / "customers.csv", encoding="gbk") as fh:
        first = next(csv.DictReader(fh))
    assert rows(project, f"SELECT name FROM customers WHERE customer_id = "
                         f"'{first['客户编号']}'") == [(first["姓名"],)]
    load = rows(project, "SELECT encoding FROM load_log WHERE source LIKE '%customers.csv'")
    assert load == [("gb18030",)]
