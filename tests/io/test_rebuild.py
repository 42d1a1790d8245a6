"""The cleaning stage on small hand-made projects with known answers (SPEC §3)."""

import datetime as dt

import pytest

from custseg.errors import CustsegError
from custseg.io.rebuild import CompletenessError
from tests.conftest import rows, write

CUSTOMERS = "客户编号,姓名,手机号,邮箱,身份证号,注册日期\n"
ORDERS = "订单号,客户编号,下单时间,实付金额,订单状态,支付时间\n"


def load(project, tmp_path, customers=(), orders=(), **kw):
    if customers:
        project.ingest([write(tmp_path / "c.csv", CUSTOMERS + "\n".join(customers) + "\n")],
                       table="customers")
    if orders:
        project.ingest([write(tmp_path / "o.csv", ORDERS + "\n".join(orders) + "\n")],
                       table="orders", **kw)


def hits(project, rule):
    return rows(project, f"SELECT count(*) FROM quarantine WHERE rule = '{rule}'")[0][0]


def test_identity_merge_is_transitive_and_remaps_orders(project, tmp_path):
    load(project, tmp_path, customers=[
        "A,张三,13800000001,a@x.com,,2024-01-01",
        "B,张三,138 0000 0001,b@x.com,,2024-02-01",     # A~B by phone
        "C,张三丰,,B@X.com,,2024-03-01",                # B~C by e-mail (case folded)
        "D,李四,13900000000,d@x.com,,2024-01-15",
    ], orders=["O1,B,2024-04-01,10,已完成,", "O2,C,2024-04-02,20,已完成,"])
    assert rows(project, "SELECT customer_id, surviving_id, keys FROM identity_map "
                         "ORDER BY 1") == [("B", "A", "email,phone"), ("C", "A", "email")]
    assert rows(project, "SELECT customer_id FROM customers ORDER BY 1") == [("A",), ("D",)]
    assert rows(project, "SELECT order_id, customer_id, source_customer_id FROM orders "
                         "ORDER BY 1") == [("O1", "A", "B"), ("O2", "A", "C")]
    b = project.quality()["balance"]["customers"]
    assert b == {"rows_in": 4, "clean": 2, "quarantined": 0, "merged": 2,
                 "identity_merges": 2, "from_orders": 0}


def test_landlines_and_invalid_id_numbers_do_not_merge(project, tmp_path):
    load(project, tmp_path, customers=[
        "A,甲,0755-1234567,,110105194912310021,2024-01-01",
        "B,乙,0755-1234567,,110105194912310021,2024-01-02",
        "C,丙,,,110105491231002,2024-01-03",   # legacy 15 digits → 11010519491231002X
        "D,丁,,,11010519491231002x,2024-01-04",
    ])
    assert rows(project, "SELECT customer_id, surviving_id FROM identity_map") == [("D", "C")]
    assert rows(project, "SELECT id_number FROM customers WHERE customer_id = 'C'") == [
        ("11010519491231002X",)]
    assert hits(project, "invalid_id_number") == 2


def test_test_accounts_and_their_orders_are_quarantined(project, tmp_path):
    project.settings.cleaning.internal_phones = ["13711112222"]
    load(project, tmp_path, customers=[
        "A,测试用户,,,,2024-01-01", "B,Test Account,,,,2024-01-01",
        "C,王五,13711112222,,,2024-01-01", "D,赵六,,,,2024-01-01"],
        orders=["O1,A,2024-02-01,5,已完成,", "O2,D,2024-02-01,5,已完成,"])
    assert rows(project, "SELECT customer_id FROM customers") == [("D",)]
    assert rows(project, "SELECT order_id FROM orders") == [("O2",)]
    assert hits(project, "test_account") == 4


def test_duplicates_conflicts_and_near_duplicates(project, tmp_path):
    load(project, tmp_path, orders=[
        "O1,A,2024-01-01,10,已完成,", "O1,A,2024-01-01,10,已完成,",   # exact: kept once
        "O2,A,2024-01-02,10,已完成,", "O2,A,2024-01-02,99,已完成,",   # conflict: both out
        "O3,B,2024-01-03,10,已完成,"])
    assert rows(project, "SELECT order_id FROM orders ORDER BY 1") == [("O1",), ("O3",)]
    assert hits(project, "duplicate_order") == 1
    assert hits(project, "order_id_conflict") == 2
    path = write(tmp_path / "cd.csv", "customer_id,date,dollar_value\n"
                 "1,19970101,11.77\n1,19970101,11.77\n2,19970101,11.77\n")
    project.ingest([path], table="orders", derive_order_id=True)
    assert rows(project, "SELECT count(*), count(*) FILTER (possible_duplicate) FROM orders "
                         "WHERE order_id LIKE '%-19970101-%'") == [(3, 1)]


def test_logic_checks(project, tmp_path):
    load(project, tmp_path, customers=["A,甲,,,,2024-06-01"], orders=[
        "O1,A,2099-01-01,10,已完成,",           # future: rejected
        "O2,A,1850-01-01,10,已完成,",           # before 1900: rejected
        "O3,A,2024-07-01,-50,已完成,",          # negative, not a refund: rejected
        "O4,A,2024-07-01,-50,已退款,",          # refund: kept
        "O5,A,2024-07-02,30,已完成,2024-07-01",  # paid before ordered: flagged
        "O6,A,2024-05-01,30,completed,",        # before registration: flagged
    ])
    assert rows(project, "SELECT order_id, status FROM orders ORDER BY 1") == [
        ("O4", "refunded"), ("O5", "completed"), ("O6", "completed")]
    for rule, n in [("future_date", 1), ("implausible_date", 1), ("negative_not_refund", 1),
                    ("paid_before_order", 1), ("before_registration", 1)]:
        assert hits(project, rule) == n, rule


def test_outliers_are_flagged_kept_and_readmittable(project, tmp_path):
    amounts = [100 + i for i in range(40)] + [100_000]
    load(project, tmp_path, orders=[f"O{i},C{i % 7},2024-01-{1 + i % 28:02d},{a},已完成,"
                                    for i, a in enumerate(amounts)])
    assert rows(project, "SELECT order_id FROM orders WHERE is_outlier") == [("O40",)]
    assert rows(project, "SELECT count(*) FROM orders") == [(41,)]
    assert project.readmit(rule="outlier_amount") == 1
    assert rows(project, "SELECT count(*) FROM orders WHERE is_outlier") == [(0,)]
    with pytest.raises(CustsegError, match="cannot be re-admitted"):
        project.readmit(rule="missing_key")


def test_completeness_gate_stops_the_load_and_names_field_rate_rows(project, tmp_path):
    load(project, tmp_path, orders=["O1,A,2024-01-01,10,已完成,"])
    before = rows(project, "SELECT count(*) FROM raw_orders")
    bad = write(tmp_path / "bad.csv", ORDERS + "O2,,2024-01-01,10,,\nO3,B,2024-01-01,10,,\n")
    with pytest.raises(CompletenessError) as exc:
        project.ingest([bad], table="orders")
    msg = str(exc.value)
    assert "orders.customer_id" in msg and "33.3%" in msg and "bad.csv row 2" in msg
    assert rows(project, "SELECT count(*) FROM raw_orders") == before


def test_cleaning_twice_changes_nothing(project, tmp_path):
    load(project, tmp_path, customers=["A,甲,13800000001,,,2024-01-01",
                                       "B,乙,13800000001,,,2024-01-02"],
         orders=["O1,B,2024-04-01,10,已完成,", "O1,B,2024-04-01,10,已完成,"])

    def state():
        return {t: sorted(map(repr, rows(project, f"SELECT * FROM {t}")))
                for t in ["customers", "orders", "identity_map", "quarantine"]}

    first = state()
    project.clean()
    assert state() == first


def test_rules_can_be_switched_off(project, tmp_path):
    project.settings.cleaning.identity_merge = False
    project.settings.cleaning.dedupe_orders = False
    load(project, tmp_path, customers=["A,甲,13800000001,,,2024-01-01",
                                       "B,乙,13800000001,,,2024-01-02"],
         orders=["O1,B,2024-04-01,10,已完成,", "O1,B,2024-04-01,10,已完成,"])
    assert rows(project, "SELECT count(*) FROM customers") == [(2,)]
    assert rows(project, "SELECT count(*) FROM orders") == [(2,)]


def test_dates_are_iso_dates_in_the_canonical_table(project, tmp_path):
    load(project, tmp_path, orders=["O1,A,2024年3月5日,10,已完成,", "O2,A,20240306,10,已完成,",
                                    "O3,A,45358,10,已完成,"])
    assert rows(project, "SELECT order_date FROM orders ORDER BY 1") == [
        (dt.date(2024, 3, 5),), (dt.date(2024, 3, 6),), (dt.date(2024, 3, 7),)]
