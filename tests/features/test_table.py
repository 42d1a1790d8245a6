"""customer_features on tiny hand-made tables: every definition of SPEC §5 by hand."""

from datetime import date, datetime

import pandas as pd
import pytest

from custseg.features import FEATURES, customer_features
from tests.features.tiny import D, days_before, order, tables


def features(con, t, as_of=D, window_months=6) -> pd.DataFrame:
    expr = customer_features(t, as_of=as_of, window_months=window_months)
    return con.execute(expr).set_index("customer_id").sort_index()


def test_columns_are_documented_in_order(con):
    out = customer_features(tables(["1"], [order("1", D)]), as_of=D)
    assert out.columns == ("customer_id", *FEATURES)
    assert all(zh and en for zh, en in FEATURES.values())


def test_recency_frequency_monetary_and_a_customer_without_orders(con):
    t = tables(["1", "2"], [order("1", days_before(10), 100.0), order("1", days_before(40), 50.0),
                            order("1", date(1996, 1, 1), 7.0)])
    f = features(con, t)
    one, two = f.loc["1"], f.loc["2"]
    assert (one.recency_days, one.frequency, one.monetary) == (10, 2, 150.0)
    assert one.has_ordered and one.orders_total == 3 and one.ltv_historic == 157.0
    assert pd.isna(two.recency_days) and not two.has_ordered
    assert (two.frequency, two.monetary, two.orders_total) == (0, 0.0, 0)


def test_window_is_d_minus_six_calendar_months_exclusive_to_d_inclusive(con):
    # D − 6 months = 1997-12-30: not in the window; 1997-12-31 and D itself are
    t = tables(["1"], [order("1", date(1997, 12, 30), 1.0), order("1", date(1997, 12, 31), 2.0),
                       order("1", D, 4.0)])
    f = features(con, t).loc["1"]
    assert (f.frequency, f.monetary, f.recency_days) == (2, 6.0, 0)


def test_month_arithmetic_clamps_to_the_end_of_february(con):
    as_of = date(1998, 8, 31)  # − 6 months = 1998-02-28
    t = tables(["1"], [order("1", date(1998, 2, 28), 1.0), order("1", date(1998, 3, 1), 2.0)])
    f = features(con, t, as_of=as_of).loc["1"]
    assert (f.frequency, f.monetary) == (1, 2.0)


def test_window_length_is_configurable(con):
    t = tables(["1"], [order("1", date(1998, 3, 30)), order("1", date(1998, 3, 31))])
    assert features(con, t, window_months=3).loc["1"].frequency == 1
    assert features(con, t, window_months=12).loc["1"].frequency == 2


def test_orders_after_d_are_ignored_everywhere(con):
    t = tables(["1"], [order("1", days_before(100), 10.0), order("1", date(1998, 7, 1), 999.0),
                       order("1", date(1999, 1, 1), 5.0, status="refunded")])
    f = features(con, t).loc["1"]
    assert (f.recency_days, f.frequency, f.monetary, f.orders_total) == (100, 1, 10.0, 1)
    assert f.ltv_historic == 10.0 and f.last_order_date == pd.Timestamp(days_before(100))


@pytest.mark.parametrize("status", ["cancelled", "Canceled", "已取消", " CANCELLED "])
def test_cancelled_orders_are_excluded(con, status):
    t = tables(["1"], [order("1", days_before(50), 100.0),
                       order("1", days_before(5), 500.0, status=status)])
    f = features(con, t).loc["1"]
    assert (f.recency_days, f.frequency, f.monetary) == (50, 1, 100.0)


@pytest.mark.parametrize("refund", [
    {"amount": -30.0},
    {"amount": 30.0, "status": "refunded"},
    {"amount": 30.0, "status": "已退款"},
    {"amount": -30.0, "status": "refunded"},
])
def test_refunds_reduce_m_and_are_not_orders(con, refund):
    t = tables(["1"], [order("1", days_before(50), 100.0), {**order("1", days_before(5)),
                                                             **refund}])
    f = features(con, t).loc["1"]
    assert (f.frequency, f.monetary, f.ltv_historic, f.refund_total) == (1, 70.0, 70.0, -30.0)
    assert f.recency_days == 50 and f.orders_total == 1


def test_chinese_completed_status_is_an_order(con):
    t = tables(["1"], [order("1", days_before(3), 10.0, status="已完成")])
    assert features(con, t).loc["1"].frequency == 1


def test_registration_date_and_registered_within_the_window(con):
    customers = [
        {"customer_id": "exact", "register_date": date(1997, 12, 30)},  # = D − 6 months
        {"customer_id": "after", "register_date": date(1997, 12, 31)},
        "by_order", "old_order",
    ]
    t = tables(customers, [order("by_order", date(1998, 1, 15)),
                           order("old_order", date(1997, 1, 15)),
                           order("exact", date(1998, 5, 1))])
    f = features(con, t)
    assert f.loc["exact"].registration_date == pd.Timestamp(1997, 12, 30)
    assert not f.loc["exact"].registered_in_window and f.loc["after"].registered_in_window
    assert f.loc["by_order"].registration_date == pd.Timestamp(1998, 1, 15)
    assert f.loc["by_order"].registered_in_window and not f.loc["old_order"].registered_in_window
    assert f.loc["after"].tenure_days == (D - date(1997, 12, 31)).days


def test_customers_who_appear_only_after_d_have_no_row(con):
    customers = ["later", "never", {"customer_id": "reg_later", "register_date": date(1998, 9, 1)},
                 {"customer_id": "reg_before", "register_date": date(1998, 1, 1)}]
    t = tables(customers, [order("later", date(1998, 8, 1)), order("reg_before", date(1998, 8, 1))])
    f = features(con, t)
    assert sorted(f.index) == ["never", "reg_before"]
    assert not f.loc["reg_before"].has_ordered


def test_value_and_behaviour_features_by_hand(con):
    orders = [
        order("1", date(1998, 6, 1), 100.0, profit=30.0, channel="线上", discount=5.0,
              order_id="a"),
        order("1", date(1998, 6, 1), 50.0, cost=40.0, channel="store", order_id="b"),
        order("1", date(1998, 5, 2), 50.0, channel="app", discount=0.0, order_id="c"),
        order("1", date(1998, 4, 2), 20.0, order_id="d"),
    ]
    t = tables(
        ["1", "2"], orders,
        order_items=[{"order_id": "a", "product_id": "p1", "category": "书"},
                     {"order_id": "b", "product_id": "p2", "category": "书"},
                     {"order_id": "c", "product_id": "p3", "category": "CD"},
                     {"order_id": "zz", "product_id": "p4", "category": "DVD"}],
        events=[{"customer_id": "1", "ts": datetime(1998, 6, 2, 9), "event_type": "login"},
                {"customer_id": "1", "ts": datetime(1998, 6, 3), "event_type": "登录"},
                {"customer_id": "1", "ts": datetime(1998, 6, 3), "event_type": "view"},
                {"customer_id": "1", "ts": datetime(1997, 6, 3), "event_type": "login"},
                {"customer_id": "1", "ts": datetime(1998, 7, 3), "event_type": "login"}],
        interactions=[{"customer_id": "1", "ts": datetime(1998, 6, 1), "kind": "投诉",
                       "satisfaction": 2},
                      {"customer_id": "1", "ts": datetime(1996, 6, 1), "kind": "complaint",
                       "satisfaction": 4},
                      {"customer_id": "1", "ts": datetime(1998, 6, 9), "kind": "survey"}],
        referrals=[{"referrer_id": "1", "referred_id": "2", "ts": datetime(1998, 1, 1)},
                   {"referrer_id": "1", "referred_id": "9", "ts": datetime(1999, 1, 1)}],
    )
    f = features(con, t)
    one, two = f.loc["1"], f.loc["2"]
    assert one.aov == 220.0 / 4 and one.order_days == 3 and one.repurchased
    assert one.interpurchase_days == (date(1998, 6, 1) - date(1998, 4, 2)).days / 2
    assert one.profit == 40.0 and one.margin == pytest.approx(40.0 / 150.0)
    assert one.online_share == pytest.approx(2 / 3) and one.discount_share == 0.5
    assert one.category_breadth == 2
    assert (one.login_count, one.activity_count) == (2, 3)
    assert (one.complaint_count, one.satisfaction_mean) == (1, 3.0)
    assert one.referral_count == 1
    assert (two.category_breadth, two.login_count, two.referral_count) == (0, 0, 0)
    assert pd.isna(two.aov) and pd.isna(two.satisfaction_mean) and not two.repurchased


def test_optional_tables_left_out_give_empty_features(con):
    f = features(con, tables(["1"], [order("1", D)])).loc["1"]
    assert pd.isna(f.login_count) and pd.isna(f.category_breadth)


def test_window_must_be_positive():
    with pytest.raises(ValueError, match="window_months"):
        customer_features(tables(["1"], []), as_of=D, window_months=0)


def test_money_sums_are_exact_so_inclusive_bounds_hold(con):
    # as doubles, 1.37 + 967.44 + 30.19 = 999.0000000000001 — which would fail M ≤ 999
    days = [days_before(d) for d in (1, 2, 3)]
    t = tables(["1"], [order("1", d, a) for d, a in zip(days, (1.37, 967.44, 30.19),
                                                        strict=True)])
    assert features(con, t).loc["1"].monetary == 999.0


def test_outlier_orders_are_counted_when_cleaning_flagged_them(con):
    t = tables(["1", "2"], [order("1", days_before(5), 99_999.0), order("1", days_before(9)),
                            order("2", days_before(3))])
    o = t["orders"]
    t["orders"] = o.mutate(is_outlier=o.amount > 10_000)
    f = features(con, t)
    assert (f.loc["1"].outlier_orders, f.loc["2"].outlier_orders) == (1, 0)
    assert features(con, tables(["1"], [order("1", D)])).loc["1"].outlier_orders == 0
