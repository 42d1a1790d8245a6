"""Baskets: the distinct items of each order (or of each customer and period) as Ibis rows.

A basket is one completed order up to the as-of date D (cancelled orders and refunds are
not purchases, see `custseg.features.orders.order_kind`), or with ``basket="customer-period"``
everything one customer bought in one calendar month, quarter or year. Its items are the
``product_id``, ``brand`` or ``category`` of its order lines; lines with a quantity of 0 or
less and lines without a value at the level are left out, and an item counts once per basket
however many lines carry it. A basket without any item at the level is no basket.
"""

from __future__ import annotations

from datetime import date

import ibis

from custseg.features.orders import add_months, order_kind

LEVELS = {"product": "product_id", "brand": "brand", "category": "category"}
PERIODS = {"month": "M", "quarter": "Q", "year": "Y"}
BASKET_KINDS = ("order", "customer-period")
SEP = "\x1f"
"""Joins the sorted items of an itemset into one key (shown with ``|``)."""


def basket_lines(orders: ibis.Table, order_items: ibis.Table, *, level: str = "product",
                 basket: str = "order", period: str = "month", as_of: date,
                 window_months: int | None = None) -> ibis.Table:
    """One row per basket and distinct item: ``basket_id, customer_id, item``.

    Parameters
    ----------
    orders, order_items : ibis.Table
        The canonical tables.
    level : {"product", "brand", "category"}
        Which column of ``order_items`` is the item.
    basket : {"order", "customer-period"}
        One basket per order, or per customer and ``period`` (month, quarter or year).
    as_of : date
        Orders after D are ignored.
    window_months : int, optional
        Only orders with D − N calendar months < order date ≤ D (default: all up to D).

    Examples
    --------
    >>> import ibis
    >>> from datetime import date
    >>> o = ibis.memtable({"order_id": ["1", "2"], "customer_id": ["c", "c"],
    ...     "order_date": [date(2024, 1, 5), date(2024, 1, 9)], "amount": [9.0, 5.0],
    ...     "status": [None, "cancelled"]})
    >>> i = ibis.memtable({"order_id": ["1", "1", "1", "2"], "product_id": ["a", "b", "a", "c"],
    ...     "quantity": [1, 1, 2, 1]})
    >>> lines = basket_lines(o, i, as_of=date(2024, 1, 31))
    >>> sorted(ibis.duckdb.connect().to_pyarrow(lines.item).to_pylist())
    ['a', 'b']
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if basket not in BASKET_KINDS:
        raise ValueError(f"basket must be one of {', '.join(BASKET_KINDS)}, got {basket!r}")
    o = orders.filter((order_kind(orders.status, orders.amount) == "order")
                      & (orders.order_date <= as_of))
    if window_months is not None:
        o = o.filter(o.order_date > add_months(as_of, -window_months))
    if basket == "order":
        o = o.select("customer_id", basket_id=o.order_id, oid=o.order_id)
    else:
        start = o.order_date.truncate(PERIODS[period]).cast("string")
        o = o.select("customer_id", basket_id=o.customer_id + SEP + start, oid=o.order_id)
    items = order_items
    if "quantity" in items.columns:
        items = items.filter(items.quantity.isnull() | (items.quantity > 0))
    items = items.select(oid2=items.order_id, item=items[LEVELS[level]].cast("string").strip())
    items = items.filter(items.item.notnull() & (items.item != "")).distinct()
    joined = o.join(items, o.oid == items.oid2).select("basket_id", "customer_id", "item")
    # order ids are unique, so order baskets are distinct already; periods join orders
    return joined if basket == "order" else joined.distinct()


def with_segments(lines: ibis.Table, assignments: ibis.Table) -> ibis.Table:
    """Basket lines of the customers in a segmentation, with their ``segment_id``.

    ``assignments`` has ``customer_id, segment_id`` (one row per customer, as in
    ``segment_assignments`` of one run); baskets of customers outside it are left out.
    """
    seg = assignments.select(cid=assignments.customer_id, segment_id=assignments.segment_id)
    joined = lines.join(seg, lines.customer_id == seg.cid)
    return joined.select("basket_id", "segment_id", "item")
