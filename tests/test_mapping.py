import pytest
from hypothesis import given
from hypothesis import strategies as st

from custseg import schema
from custseg.errors import InputError
from custseg.mapping import infer_mapping


def test_chinese_headers_of_an_orders_export_fill_orders_and_customers():
    headers = ["订单编号", "会员号", "下单时间", "实付金额", "客户姓名", "联系电话", "城市", "渠道"]
    m = infer_mapping(headers, "orders")
    assert m.columns == {"order_id": "订单编号", "customer_id": "会员号",
                         "order_date": "下单时间", "amount": "实付金额", "channel": "渠道"}
    assert m.customer_columns == {"name": "客户姓名", "phone": "联系电话", "city": "城市"}


def test_full_width_and_spaced_headers_are_recognised():
    m = infer_mapping(["客户ＩＤ", " 订单号 ", "Order Date", "金额\u3000"], "orders")
    assert set(m.columns) == {"customer_id", "order_id", "order_date", "amount"}


def test_duplicate_optional_header_uses_the_first_and_says_so():
    m = infer_mapping(["订单号", "客户ID", "日期", "金额", "手机", "电话"], "orders")
    assert m.customer_columns["phone"] == "手机"
    assert "电话" in m.unmapped
    assert any("phone" in n for n in m.notes)


def test_ambiguous_key_asks_for_config():
    with pytest.raises(InputError) as exc:
        infer_mapping(["订单号", "客户ID", "会员号", "日期", "金额"], "orders", source="x.csv")
    msg = str(exc.value)
    assert "x.csv" in msg and "customer_id" in msg and "[sources.mapping]" in msg


def test_missing_key_names_column_and_file():
    with pytest.raises(InputError) as exc:
        infer_mapping(["订单号", "客户ID", "日期"], "orders", source="orders.csv")
    assert "amount" in str(exc.value) and "orders.csv" in str(exc.value)
    assert exc.value.column == "amount"


def test_explicit_mapping_wins_and_blank_ignores():
    m = infer_mapping(["id", "when", "paid", "cust", "金额"], "orders",
                      {"id": "order_id", "when": "order_date", "paid": "amount",
                       "cust": "customer_id", "金额": ""})
    assert m.columns["amount"] == "paid"
    assert "金额" in m.unmapped


def test_table_specific_meaning_of_a_header():
    assert infer_mapping(["客户编号", "时间", "类型"], "events").columns == {
        "customer_id": "客户编号", "ts": "时间", "event_type": "类型"}
    assert infer_mapping(["客户编号", "时间", "类型"], "interactions").columns == {
        "customer_id": "客户编号", "ts": "时间", "kind": "类型"}


def test_derived_order_id_is_not_required():
    m = infer_mapping(["customer_id", "date", "dollar_value"], "orders", derived=("order_id",))
    assert "order_id" not in m.columns


@given(st.lists(st.text(max_size=12), max_size=8))
def test_mapping_never_crashes_and_never_maps_two_headers_to_one_column(headers):
    try:
        m = infer_mapping(headers, "customers")
    except InputError:
        return
    used = list(m.columns.values()) + list(m.customer_columns.values())
    assert len(used) == len(set(used))
    assert set(m.columns) <= set(schema.column_names("customers"))
