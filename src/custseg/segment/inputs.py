"""Per-customer inputs some segmentations need beyond `custseg.features.FEATURES`.

`add_inputs` attaches, to a feature table, columns computed from the canonical tables:

- ``gender`` — customers.gender as cleaned (``M``/``F``), else "未知/unknown";
- ``age`` — customers.age, else whole years from birth_date to D; ``age_band`` — 18-24,
  25-34, 35-44, 45-54, 55+ (and <18), else "未知/unknown";
- ``province``, ``city``, ``industry`` — as cleaned, else "未知/unknown";
  ``company_size`` — staff count (NULL when unknown);
- ``prev_frequency`` — F of the window before: orders (not cancelled, not refunds) with
  D − 2·w months < order_date ≤ D − w months, w = the window of F;
- ``top_brand_share`` — order-item lines of the customer's most bought brand / lines with a
  brand, over orders on or before D (NULL without branded lines).

The pipeline calls it for models with ``needs_inputs = True``.

>>> import ibis
>>> from datetime import date
>>> customers = ibis.memtable({"customer_id": ["1"], "gender": ["F"], "age": [30]})
>>> orders = ibis.memtable({"order_id": ["a", "b"], "customer_id": ["1", "1"],
...                         "order_date": [date(2023, 12, 1), date(2024, 6, 1)],
...                         "amount": [100.0, 50.0]})
>>> t = segment_inputs({"customers": customers, "orders": orders}, as_of=date(2024, 6, 30),
...                    window_months=6).execute()
>>> t[["gender", "age_band", "province", "prev_frequency"]].values.tolist()
[['F', '25-34', '未知/unknown', 1]]
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import ibis
import ibis.expr.datatypes as dt

from custseg.features.orders import add_months, order_kind
from custseg.features.structure import UNKNOWN, age_as_of, age_band
from custseg.features.table import canonical

INPUTS = ("gender", "age", "age_band", "province", "city", "industry", "company_size",
          "prev_frequency", "top_brand_share")


def _previous_window(orders: ibis.Table, as_of: date, window_months: int) -> ibis.Table:
    end = add_months(as_of, -window_months)
    start = add_months(as_of, -2 * window_months)
    o = orders.filter((order_kind(orders.status, orders.amount) == "order")
                      & (orders.order_date > start) & (orders.order_date <= end))
    return o.group_by("customer_id").aggregate(prev_frequency=o.count())


def _brand_share(items: ibis.Table, orders: ibis.Table, as_of: date) -> ibis.Table:
    kept = orders.filter((orders.order_date <= as_of)
                         & (order_kind(orders.status, orders.amount) == "order"))
    lines = items.filter(items.brand.notnull()).join(
        kept.select("order_id", "customer_id"), "order_id")
    per = lines.group_by(["customer_id", "brand"]).aggregate(n=lines.count())
    return per.group_by("customer_id").aggregate(
        top_brand_share=per.n.max().cast(dt.float64) / per.n.sum())


def segment_inputs(tables: Mapping[str, ibis.Table], *, as_of: date,
                   window_months: int = 6) -> ibis.Table:
    """One row per customer of ``tables["customers"]`` with the columns of `INPUTS`."""
    c = canonical(tables["customers"], "customers")
    orders = canonical(tables["orders"], "orders")
    text = {k: ibis.coalesce(c[k].cast(dt.string).strip().nullif(""), UNKNOWN)
            for k in ("gender", "province", "city", "industry")}
    age = age_as_of(c, as_of)
    base = c.select("customer_id", age=age, age_band=age_band(age),
                    company_size=c.company_size.cast(dt.int64), **text)
    prev = _previous_window(orders, as_of, window_months)
    j = base.left_join(prev, "customer_id")
    base = j.select(*[j[k] for k in base.columns],
                    prev_frequency=j.prev_frequency.coalesce(0))
    if "order_items" in tables:
        items = canonical(tables["order_items"], "order_items")
        j = base.left_join(_brand_share(items, orders, as_of), "customer_id")
        base = j.select(*[j[k] for k in base.columns], top_brand_share=j.top_brand_share)
    else:
        base = base.mutate(top_brand_share=ibis.null(dt.float64))
    return base.select("customer_id", *INPUTS)


def add_inputs(features: ibis.Table, tables: Mapping[str, ibis.Table], *, as_of: date,
               window_months: int = 6) -> ibis.Table:
    """``features`` with the columns of `INPUTS` it does not have yet (left join)."""
    extra = segment_inputs(tables, as_of=as_of, window_months=window_months)
    wanted = [k for k in INPUTS if k not in features.columns]
    if not wanted:
        return features
    j = features.left_join(extra.select("customer_id", *wanted), "customer_id")
    return j.select(*[j[k] for k in features.columns], *[j[k] for k in wanted])
