"""The customer feature table: one row per customer as of a date (SPEC §5).

Definitions, in the words the product documents:

- as-of date D: given by the user, default the latest order date in the data (the pipeline
  resolves the default); orders after D are ignored everywhere (no leakage from the future).
- R = days from the customer's last order date to D (calendar days, an integer); a customer
  who never ordered has R = infinity, stored as NULL with ``has_ordered = false``. Rules treat
  a NULL ``recency_days`` as infinitely large, so R ≥ 90 matches and R ≤ 30 does not.
- F = number of orders with D − 6 calendar months < order_date ≤ D; M = the sum of their
  amounts. Cancelled orders are excluded; refunds reduce M. The window length is configurable.
- registration date = customers.register_date, else the first order date; "registered ≤ 6
  months" means registration date > D − 6 calendar months.

Month arithmetic is calendar arithmetic clamped to the end of shorter months (D = 1998-08-31
gives the window start 1998-02-28). A customer whose registration date, or first order when
there is none, lies after D did not exist at D and has no row.

>>> import ibis
>>> from datetime import date
>>> customers = ibis.memtable({"customer_id": ["1", "2"]})
>>> orders = ibis.memtable({"order_id": ["a", "b"], "customer_id": ["1", "1"],
...                         "order_date": [date(2024, 1, 10), date(2024, 6, 1)],
...                         "amount": [100.0, 50.0]})
>>> t = customer_features({"customers": customers, "orders": orders}, as_of=date(2024, 6, 30))
>>> df = t.order_by("customer_id").execute()
>>> df[["customer_id", "recency_days", "frequency", "monetary"]].to_dict("records")
[{'customer_id': '1', 'recency_days': 29.0, 'frequency': 2, 'monetary': 150.0}, \
{'customer_id': '2', 'recency_days': nan, 'frequency': 0, 'monetary': 0.0}]
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import ibis
import ibis.expr.datatypes as dt

from custseg import schema
from custseg.features.activity import (
    category_features,
    event_features,
    interaction_features,
    referral_features,
)
from custseg.features.orders import add_months, order_features, ratio

FEATURES: dict[str, tuple[str, str]] = {
    "as_of": ("分析基准日 D", "as-of date D"),
    "has_ordered": ("D 之前有过订单（未取消、非退款）",
                    "has an order (not cancelled, not a refund) on or before D"),
    "first_order_date": ("D 之前最早订单日期", "first order date on or before D"),
    "last_order_date": ("D 之前最近订单日期", "last order date on or before D"),
    "registration_date": ("customers.register_date，缺失时取首单日期",
                          "customers.register_date, else the first order date"),
    "registered_in_window": ("注册日期 > D − 窗口月数（日历月）",
                             "registration date > D − window months (calendar months)"),
    "recency_days": ("R = D − 最近订单日期（天）；从未下单为无穷大（存为 NULL）",
                     "R = D − last order date in days; infinity (NULL) if never ordered"),
    "frequency": ("F = 订单数，D − 窗口月数 < 订单日期 ≤ D",
                  "F = orders with D − window months < order_date ≤ D"),
    "monetary": ("M = 窗口内订单金额之和，退款为负",
                 "M = sum of amounts in the window, refunds negative"),
    "aov": ("客单价 = M / F（F = 0 时为空）", "average order value = M / F (empty if F = 0)"),
    "tenure_days": ("D − 注册日期（天）", "D − registration date in days"),
    "orders_total": ("D 之前全部订单数", "all orders on or before D"),
    "order_days": ("D 之前有订单的不同日期数", "distinct days with an order on or before D"),
    "interpurchase_days": ("平均购买间隔 = (最近 − 最早订单日期) / (下单天数 − 1)",
                           "mean days between purchases = (last − first order date) / "
                           "(order days − 1)"),
    "repurchased": ("复购 = 下单天数 ≥ 2；群体复购率为其均值",
                    "repurchase = order days ≥ 2; a group's repurchase rate is its mean"),
    "ltv_historic": ("历史价值 = D 之前全部金额之和，退款为负",
                     "historic LTV = all-time net spend on or before D, refunds negative"),
    "refund_total": ("D 之前退款金额之和（负数）", "sum of refunds on or before D (negative)"),
    "outlier_orders": ("D 之前被标记为异常金额的订单数（这些客户不参与模型拟合）",
                       "orders on or before D flagged as outlier amounts (such customers are "
                       "left out of model fitting)"),
    "profit": ("利润 = Σ profit，缺失时 amount − cost（D 之前订单）",
               "profit = Σ profit, else amount − cost (orders on or before D)"),
    "margin": ("利润率 = 利润 / 有利润或成本的订单金额",
               "margin = profit / amount of the orders with profit or cost"),
    "category_breadth": ("D 之前订单明细中的不同品类数",
                         "distinct categories in order items on or before D"),
    "online_share": ("线上订单 / 渠道已知订单", "online orders / orders with a known channel"),
    "discount_share": ("有优惠订单 (discount > 0) / 有优惠字段订单",
                       "orders with discount > 0 / orders with a discount value"),
    "login_count": ("窗口内登录事件数", "login events in the window"),
    "activity_count": ("窗口内全部行为事件数", "all events in the window"),
    "complaint_count": ("窗口内投诉次数", "complaints in the window"),
    "satisfaction_mean": ("D 之前满意度均值 (1–5)", "mean satisfaction (1–5) on or before D"),
    "referral_count": ("D 之前推荐的不同客户数", "distinct customers referred on or before D"),
}

_COUNTS = ("frequency", "orders_total", "order_days", "outlier_orders", "category_breadth",
           "login_count", "activity_count", "complaint_count", "referral_count")
_SUMS = ("monetary", "ltv_historic", "refund_total")


def canonical(table: ibis.Table, name: str) -> ibis.Table:
    """``table`` with every canonical column of ``name``; absent ones are NULL of their type."""
    types = {"str": dt.string, "int": dt.int64, "float": dt.float64, "date": dt.date,
             "timestamp": dt.timestamp, "bool": dt.boolean}
    missing = {c.name: ibis.null(types[c.type]) for c in schema.columns(name)
               if c.name not in table.columns}
    return table.mutate(**missing) if missing else table


def _attach(base: ibis.Table, part: ibis.Table) -> ibis.Table:
    joined = base.left_join(part, "customer_id")
    return joined.select(*[joined[c] for c in base.columns],
                         *[joined[c] for c in part.columns if c != "customer_id"])


def _parts(tables: Mapping[str, ibis.Table], as_of: date, start: date) -> list[ibis.Table]:
    orders = canonical(tables["orders"], "orders")
    parts = [order_features(orders, as_of=as_of, window_start=start)]
    if "order_items" in tables:
        parts.append(category_features(canonical(tables["order_items"], "order_items"),
                                       orders, as_of=as_of))
    if "events" in tables:
        parts.append(event_features(canonical(tables["events"], "events"), as_of=as_of,
                                    window_start=start))
    if "interactions" in tables:
        parts.append(interaction_features(canonical(tables["interactions"], "interactions"),
                                          as_of=as_of, window_start=start))
    if "referrals" in tables:
        parts.append(referral_features(canonical(tables["referrals"], "referrals"),
                                       as_of=as_of))
    return parts


def customer_features(tables: Mapping[str, ibis.Table], *, as_of: date,
                      window_months: int = 6) -> ibis.Table:
    """One row per customer of ``tables["customers"]`` who existed at ``as_of`` (registered,
    or first ordered, on or before it; or without any date), with the features of `FEATURES`.

    ``tables`` needs ``customers`` and ``orders``; ``order_items``, ``events``,
    ``interactions`` and ``referrals`` are optional (their features are NULL without them,
    0 for customers without rows in them). Nothing is executed: the result is an expression.
    """
    if window_months < 1:
        raise ValueError(f"window_months must be at least 1, got {window_months}")
    start = add_months(as_of, -window_months)
    customers = canonical(tables["customers"], "customers")
    base = customers.select("customer_id", "register_date")
    for part in _parts(tables, as_of, start):
        base = _attach(base, part)
    return _finish(base, as_of, start)


def _finish(t: ibis.Table, as_of: date, start: date) -> ibis.Table:
    d = ibis.literal(as_of, type=dt.date)
    ordered = t.last_order_date.notnull()
    existed = ordered | (t.register_date.coalesce(t.first_order_ever) <= as_of) | (
        t.register_date.isnull() & t.first_order_ever.isnull())
    t = t.filter(existed)
    fill = {c: t[c].coalesce(0) for c in _COUNTS if c in t.columns}
    fill |= {c: t[c].coalesce(0.0) for c in _SUMS}
    t = t.mutate(**fill, registration_date=t.register_date.coalesce(t.first_order_date))
    out = {
        "customer_id": t.customer_id, "as_of": d, "has_ordered": ordered,
        "first_order_date": t.first_order_date, "last_order_date": t.last_order_date,
        "registration_date": t.registration_date,
        "registered_in_window": (t.registration_date > start).coalesce(False),
        "recency_days": d.delta(t.last_order_date, unit="day"),
        "frequency": t.frequency, "monetary": t.monetary, "aov": ratio(t.monetary, t.frequency),
        "tenure_days": d.delta(t.registration_date, unit="day"),
        "orders_total": t.orders_total, "order_days": t.order_days,
        "interpurchase_days": ratio(t.last_order_date.delta(t.first_order_date, unit="day"),
                                    t.order_days - 1),
        "repurchased": t.order_days >= 2,
        "ltv_historic": t.ltv_historic, "refund_total": t.refund_total,
        "outlier_orders": t.outlier_orders, "profit": t.profit,
        "margin": ibis.ifelse(t._profit_base != 0, t.profit / t._profit_base,
                              ibis.null(dt.float64)),
        "online_share": ratio(t._online, t._channel_known),
        "discount_share": ratio(t._discounted, t._discount_known),
    }
    optional = {"category_breadth": dt.int64, "login_count": dt.int64,
                "activity_count": dt.int64, "complaint_count": dt.int64,
                "satisfaction_mean": dt.float64, "referral_count": dt.int64}
    out |= {c: t[c] if c in t.columns else ibis.null(typ) for c, typ in optional.items()}
    return t.select(customer_id=out["customer_id"], **{name: out[name] for name in FEATURES})
