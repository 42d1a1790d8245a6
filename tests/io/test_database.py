"""Loads into the project database: transactions, idempotence, appends, canonical tables."""

import datetime as dt

import pytest

from custseg.errors import InputError
from tests.conftest import rows, write

ORDERS = "订单号,客户编号,下单时间,实付金额\n"


def _orders(tmp_path, name, lines, encoding="utf-8", header=ORDERS):
    return write(tmp_path / name, header + "".join(f"{ln}\n" for ln in lines), encoding)


def snapshot(project):
    """Everything a load may touch, to compare before and after."""
    out = {}
    for t in ["orders", "customers", "raw_orders", "raw_customers", "load_log", "quarantine"]:
        out[t] = sorted(map(repr, rows(project, f"SELECT * FROM {t}")))
    return out


def test_gbk_csv_with_chinese_headers_loads_into_orders_and_customers(project, tmp_path):
    path = _orders(tmp_path, "o.csv", ["O1,00001,2024/3/5,\"￥1,234.00\",138 1234 5678,深圳",
                                       "O2,00002,2024年3月6日,88,,广州"], "gbk",
                   header="订单号,客户编号,下单时间,实付金额,手机号,城市\n")
    [report] = project.ingest([path], table="orders")
    assert report.rows_loaded == 2 and report.status == "loaded"
    assert rows(project, "SELECT order_id, customer_id, order_date, amount FROM orders "
                         "ORDER BY order_id") == [
        ("O1", "00001", dt.date(2024, 3, 5), 1234.0), ("O2", "00002", dt.date(2024, 3, 6), 88.0)]
    assert rows(project, "SELECT customer_id, phone, region FROM customers ORDER BY 1") == [
        ("00001", "13812345678", "广东省-深圳市"), ("00002", None, "广东省-广州市")]
    assert ("手机号", "customers", "phone") in report.mapping


def test_reloading_the_same_file_adds_nothing(project, tmp_path):
    path = _orders(tmp_path, "o.csv", ["O1,1,2024-01-01,10", "O2,2,2024-01-02,20"])
    project.ingest([path], table="orders")
    before = snapshot(project)
    [again] = project.ingest([path], table="orders")
    assert again.status == "unchanged"
    assert snapshot(project) == before


def test_a_later_export_appends_only_new_rows(project, tmp_path):
    project.ingest([_orders(tmp_path, "jan.csv", ["O1,1,2024-01-01,10", "O2,2,2024-01-02,20"])],
                   table="orders")
    [report] = project.ingest([_orders(tmp_path, "jan_feb.csv", [
        "O1,1,2024-01-01,10", "O2,2,2024-01-02,20", "O3,1,2024-02-01,30"])], table="orders")
    assert (report.rows_loaded, report.rows_duplicate) == (1, 2)
    assert rows(project, "SELECT count(*), sum(amount) FROM orders") == [(3, 60.0)]
    assert rows(project, "SELECT count(*) FROM customers") == [(2,)]


def test_identical_lines_stay_separate_rows_and_append_counts_occurrences(project, tmp_path):
    project.ingest([_orders(tmp_path, "a.csv", ["O1,1,2024-01-01,10"] * 2)], table="orders")
    [report] = project.ingest([_orders(tmp_path, "b.csv", ["O1,1,2024-01-01,10"] * 3)],
                              table="orders")
    assert report.rows_loaded == 1
    assert rows(project, "SELECT count(*) FROM raw_orders") == [(3,)]
    assert rows(project, "SELECT count(*) FROM orders") == [(1,)]
    assert rows(project, "SELECT count(*) FROM quarantine WHERE rule = 'duplicate_order' "
                         "AND action = 'removed'") == [(2,)]


def test_a_failed_load_changes_nothing(project, tmp_path, monkeypatch):
    project.ingest([_orders(tmp_path, "a.csv", ["O1,1,2024-01-01,10"])], table="orders")
    before = snapshot(project)
    from custseg.io import database

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(database, "_log_load", boom)
    with pytest.raises(RuntimeError):
        project.ingest([_orders(tmp_path, "b.csv", ["O2,2,2024-01-02,20"])], table="orders")
    assert snapshot(project) == before
    with pytest.raises(InputError):
        project.ingest([write(tmp_path / "bad.csv", "订单号,金额\n1,2\n")], table="orders")
    assert snapshot(project) == before


def test_missing_key_column_names_column_and_file(project, tmp_path):
    path = write(tmp_path / "no_amount.csv", "订单号,客户编号,下单时间\nO1,1,2024-01-01\n")
    with pytest.raises(InputError) as exc:
        project.ingest([path], table="orders")
    assert "amount" in str(exc.value) and "no_amount.csv" in str(exc.value)


def test_rows_with_bad_keys_go_to_quarantine_with_file_row_and_column(project, tmp_path):
    project.settings.cleaning.max_missing_rate = 1.0
    path = _orders(tmp_path, "o.csv", ["O1,1,2024-01-01,10", "O2,,2024-01-02,20",
                                       "O3,3,not a date,30", "O4,4,2024-01-04,abc",
                                       "O5,5,2024-01-05,N/A", "合计,,,60"])
    project.ingest([path], table="orders")
    assert rows(project, "SELECT order_id FROM orders") == [("O1",)]
    got = rows(project, "SELECT source, row, \"column\", raw_value FROM rejects ORDER BY row, 3")
    assert [(r[1], r[2], r[3]) for r in got] == [
        (3, "customer_id", None), (4, "order_date", "not a date"), (5, "amount", "abc"),
        (6, "amount", None), (7, "customer_id", None), (7, "order_date", None)]
    assert all(r[0].endswith("o.csv") for r in got)


def test_unreadable_optional_value_is_logged_as_changed(project, tmp_path):
    path = write(tmp_path / "c.csv", "客户编号,年龄,注册日期\n1,三十,2024-01-01\n2,40,someday\n")
    project.ingest([path], table="customers")
    assert rows(project, "SELECT customer_id, age, register_date FROM customers ORDER BY 1") == [
        ("1", None, dt.date(2024, 1, 1)), ("2", 40, None)]
    assert rows(project, "SELECT _row, column_name, raw_value, action FROM quarantine "
                         "ORDER BY _row") == [(2, "age", "三十", "changed"),
                                              (3, "register_date", "someday", "changed")]


def test_later_customer_export_updates_without_blanking(project, tmp_path):
    project.ingest([write(tmp_path / "c1.csv", "客户编号,城市,性别\n1,深圳,女\n")],
                   table="customers")
    project.ingest([write(tmp_path / "c2.csv", "客户编号,城市\n1,杭州\n")], table="customers")
    assert rows(project, "SELECT city, gender FROM customers") == [("杭州市", "F")]


def test_derived_order_ids_keep_identical_lines_apart(project, tmp_path):
    path = write(tmp_path / "cd.csv", "customer_id,date,number_of_cds,dollar_value\n"
                 "00001,19970101,1,11.77\n00001,19970101,1,11.77\n00002,19970112,1,12.00\n")
    project.ingest([path], table="orders", derive_order_id=True)
    assert rows(project, "SELECT order_id, quantity FROM orders ORDER BY 1") == [
        ("00001-19970101-1", 1), ("00001-19970101-2", 1), ("00002-19970112-1", 1)]


@pytest.mark.parametrize("table,text", [
    ("events", '{"customer_id": "1", "ts": "2024-01-01 10:00:00", "event_type": "login"}\n'),
    ("referrals", "referrer_id,referred_id,ts\n1,2,2024-01-01\n"),
    ("order_items", "order_id,product_id,category,quantity,unit_price\nO1,P1,服装,2,9.9\n"),
    ("interactions", "客户编号,时间,类型,满意度\n1,2024-01-01 09:00,投诉,2\n"),
])
def test_every_canonical_table_loads(project, tmp_path, table, text):
    suffix = ".jsonl" if table == "events" else ".csv"
    project.ingest([write(tmp_path / f"x{suffix}", text)], table=table)
    assert rows(project, f"SELECT count(*) FROM {table}") == [(1,)]


def test_customer_attributes_repeated_on_every_order_line_are_kept_once(project, tmp_path):
    header = "订单号,客户编号,下单时间,实付金额,城市\n"
    lines = [f"O{i},1,2024-01-0{i},10,深圳" for i in range(1, 6)] + ["O6,1,2024-01-06,10,广州"]
    project.ingest([_orders(tmp_path, "o.csv", lines, header=header)], table="orders")
    assert rows(project, "SELECT city FROM raw_customers ORDER BY _row") == [("深圳",), ("广州",)]
    assert rows(project, "SELECT city FROM customers") == [("广州市",)]
    b = project.quality()["balance"]["customers"]
    assert b["rows_in"] == b["clean"] + b["quarantined"] + b["merged"] == 2
