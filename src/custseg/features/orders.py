"""Order-based features: R, F, M, lifetime spend, profit, channel and discount shares.

Every order row is first given a kind: ``cancelled`` (ignored everywhere), ``refund`` (reduces
spend, is not an order) or ``order``. Status text is compared after trimming and lower-casing;
English and Chinese values are known (`CANCELLED`, `REFUNDED`); any other status, or none,
is an order.
"""

from __future__ import annotations

import calendar
from datetime import date

import ibis
import ibis.expr.datatypes as dt

CANCELLED = ("cancelled", "canceled", "cancel", "void", "已取消", "取消", "交易关闭")
REFUNDED = ("refunded", "refund", "returned", "已退款", "退款", "已退货", "退货")
ONLINE = ("online", "线上", "app", "web", "website", "wechat", "微信", "小程序", "官网",
          "电商", "网店", "ecommerce", "e-commerce", "mini program")
OFFLINE = ("offline", "线下", "store", "门店", "shop", "实体店", "retail")


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the end of a shorter month.

    >>> add_months(date(1998, 6, 30), -6), add_months(date(1998, 8, 31), -6)
    (datetime.date(1997, 12, 30), datetime.date(1998, 2, 28))
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def exact(amount: ibis.Value) -> ibis.Value:
    """Money as a decimal with 6 places, so sums are exact and independent of row order
    (floating-point sums differ in the last bits with the order of addition, which moves
    customers across inclusive bounds such as M ≥ 2000 and across score ranks)."""
    return amount.cast(dt.Decimal(38, 6))


def order_kind(status: ibis.Value, amount: ibis.Value) -> ibis.Value:
    """``cancelled``, ``refund`` (status refunded or a negative amount) or ``order``."""
    text = status.strip().lower()
    return ibis.cases(
        (text.isin(CANCELLED), "cancelled"),
        (text.isin(REFUNDED) | (amount < 0), "refund"),
        else_="order",
    )


def order_features(orders: ibis.Table, *, as_of: date, window_start: date) -> ibis.Table:
    """One row per customer with orders: dates, counts and sums over the orders up to ``as_of``.

    ``first_order_ever`` ignores ``as_of``; it tells customers who appear only after ``as_of``
    apart. Refunds count negative (``-abs(amount)``) in sums and are never counted as orders.
    Sums are exact (`exact`) and returned as floats.
    """
    text = orders.status.strip().lower()
    o = orders.filter(~text.isin(CANCELLED).fill_null(False))
    # booleans, not the `order_kind` label: one string compare per row instead of one per use
    o = o.mutate(_refund=(text.isin(REFUNDED) | (o.amount < 0)).fill_null(False))
    is_order = ~o._refund
    upto = o.order_date <= as_of
    window = upto & (o.order_date > window_start)
    done = is_order & upto
    amount = exact(o.amount)
    net = ibis.ifelse(is_order, amount, -amount.abs())
    row_profit = exact(o.profit).coalesce(amount - exact(o.cost))
    channel = o.channel.strip().lower()
    outlier = (o.is_outlier.fill_null(False) if "is_outlier" in o.columns
               else ibis.literal(False))
    return o.group_by("customer_id").aggregate(
        outlier_orders=o.count(where=done & outlier),
        first_order_ever=o.order_date.min(where=is_order),
        first_order_date=o.order_date.min(where=done),
        last_order_date=o.order_date.max(where=done),
        frequency=o.count(where=is_order & window),
        monetary=net.sum(where=window).cast(dt.float64),
        orders_total=o.count(where=done),
        order_days=o.order_date.nunique(where=done),
        ltv_historic=net.sum(where=upto).cast(dt.float64),
        refund_total=net.sum(where=upto & ~is_order).cast(dt.float64),
        profit=row_profit.sum(where=done).cast(dt.float64),
        _profit_base=amount.sum(where=done & row_profit.notnull()).cast(dt.float64),
        _online=o.count(where=done & channel.isin(ONLINE)),
        _channel_known=o.count(where=done & channel.isin(ONLINE + OFFLINE)),
        _discounted=o.count(where=done & (o.discount > 0)),
        _discount_known=o.count(where=done & o.discount.notnull()),
    )


def ratio(num: ibis.Value, den: ibis.Value) -> ibis.Value:
    """``num / den`` as a float, NULL when ``den`` is 0 or NULL."""
    return ibis.ifelse(den > 0, num.cast(dt.float64) / den, ibis.null(dt.float64))
