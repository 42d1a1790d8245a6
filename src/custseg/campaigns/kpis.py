"""Campaign KPIs with exact definitions, as engine expressions over the canonical tables.

A campaign starts on day S and looks at a pre window [S − pre_days, S) and a post window
[S, S + post_days). Orders are read as in `custseg.features.orders`: cancelled orders are
ignored, refunds (status refunded or a negative amount) are not orders and reduce revenue.
`outcomes` gives one row per campaign member; `arm_stats` aggregates it per arm into counts,
means and variances, which is all `custseg.campaigns.evaluate` needs.

Before vs after (SPEC §8): a KPI's pre figure is its definition moved one window back, the pre
window playing the post window — e.g. the pre repurchase rate is the share with an order in
[S − pre_days, S) among those who ordered before S − pre_days. The activation rate has none
(its customers have no pre-window order by definition), nor has ROI.

>>> import ibis
>>> from datetime import date
>>> members = ibis.memtable({"customer_id": ["1", "2"], "arm": ["target", "holdout"]})
>>> orders = ibis.memtable({"customer_id": ["1", "1", "2"], "amount": [50.0, 80.0, 30.0],
...     "status": [None, None, "cancelled"],
...     "order_date": [date(2024, 1, 5), date(2024, 3, 3), date(2024, 3, 4)]})
>>> out = outcomes(members, orders, start=date(2024, 3, 1), pre_days=30, post_days=30)
>>> out.order_by("customer_id").execute()[["bought_before", "bought_post", "revenue_post"]]
   bought_before  bought_post  revenue_post
0           True         True          80.0
1          False        False           0.0
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.datatypes as dt

from custseg.features.orders import order_kind


@dataclass(frozen=True)
class Kpi:
    """A KPI: a rate (``proportion``) or a per-customer ``mean`` of an `outcomes` column over
    the customers where ``eligible`` holds (all members when None); ``pre_value`` and
    ``pre_eligible`` give its pre-window figure the same way (None: no pre figure)."""

    name: str
    kind: str
    value: str
    eligible: str | None
    zh: str
    en: str
    definition: str
    pre_value: str | None = None
    pre_eligible: str | None = None

    def label(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en


KPIS: dict[str, Kpi] = {k.name: k for k in (
    Kpi("repurchase_rate", "proportion", "bought_post", "bought_before", "复购率",
        "repurchase rate", "customers with an order in the post window, among those who "
        "ordered before the start", "bought_pre", "bought_before_pre"),
    Kpi("repurchase_30d", "proportion", "bought_30d", "bought_before", "30天复购率",
        "30-day repurchase", "customers with an order within 30 days from the start, among "
        "those who ordered before the start", "bought_30d_pre", "bought_before_30d_pre"),
    Kpi("activation_rate", "proportion", "bought_post", "inactive_pre", "激活率",
        "activation rate", "customers with an order in the post window, among those without an "
        "order in the pre window (dormant at the start)"),
    Kpi("conversion_rate", "proportion", "bought_post", None, "转化率", "conversion rate",
        "customers with an order in the post window, among all members", "bought_pre"),
    Kpi("aov", "mean", "aov_post", None, "客单价", "average order value",
        "mean over customers who ordered in the post window of their order amount per order",
        "aov_pre"),
    Kpi("revenue", "mean", "revenue_post", None, "人均收入", "revenue per customer",
        "order amounts minus refunds in the post window per member (0 without orders)",
        "revenue_pre"),
    Kpi("satisfaction", "mean", "satisfaction_post", None, "平均满意度", "mean satisfaction",
        "mean over customers rated in the post window of their mean satisfaction (1–5)",
        "satisfaction_pre"),
)}
ROI = Kpi("roi", "ratio", "revenue_post", None, "投资回报率", "ROI",
          "(incremental revenue − cost) / cost, incremental revenue = (revenue per treated "
          "customer − revenue per control customer) × treated customers")
NAMES = (*KPIS, ROI.name)


def outcomes(members: ibis.Table, orders: ibis.Table, *, start: date, pre_days: int,
             post_days: int, interactions: ibis.Table | None = None) -> ibis.Table:
    """One row per member with the columns the KPIs read.

    ``members`` has ``customer_id`` and ``arm`` (other columns are kept). Columns added:
    ``bought_before`` (an order before S), ``inactive_pre`` (no order in the pre window),
    ``bought_post``, ``bought_30d``, ``orders_post``, ``revenue_post``, ``aov_post`` (NULL
    without a post order) and ``satisfaction_post`` (NULL without a rating); for the pre
    figures ``bought_before_pre`` (an order before S − pre_days), ``bought_pre``,
    ``bought_before_30d_pre`` (an order before S − 30), ``bought_30d_pre`` (an order in the 30
    days before S), ``revenue_pre``, ``aov_pre`` and ``satisfaction_pre``.
    """
    pre_start, post_end = start - timedelta(days=pre_days), start + timedelta(days=post_days)
    d30, d30_pre = start + timedelta(days=30), start - timedelta(days=30)
    o = orders.semi_join(members, "customer_id")
    o = o.mutate(kind=order_kind(o.status, o.amount)).filter(
        lambda t: (t.kind != "cancelled") & (t.order_date < max(post_end, d30)))
    is_order = o.kind == "order"
    in_post = (o.order_date >= start) & (o.order_date < post_end)
    in_pre = (o.order_date >= pre_start) & (o.order_date < start)
    signed = ibis.ifelse(o.kind == "refund", -o.amount.abs(), o.amount)
    per = o.group_by("customer_id").aggregate(
        _before=(is_order & (o.order_date < start)).any(),
        _pre=(is_order & in_pre).any(),
        _d30=(is_order & (o.order_date >= start) & (o.order_date < d30)).any(),
        _orders=(is_order & in_post).cast("int64").sum(),
        _amount=ibis.ifelse(is_order & in_post, o.amount, 0.0).sum(),
        _revenue=ibis.ifelse(in_post, signed, 0.0).sum(),
        _before_pre=(is_order & (o.order_date < pre_start)).any(),
        _before_30_pre=(is_order & (o.order_date < d30_pre)).any(),
        _d30_pre=(is_order & (o.order_date >= d30_pre) & (o.order_date < start)).any(),
        _orders_pre=(is_order & in_pre).cast("int64").sum(),
        _amount_pre=ibis.ifelse(is_order & in_pre, o.amount, 0.0).sum(),
        _revenue_pre=ibis.ifelse(in_pre, signed, 0.0).sum(),
    )
    j = members.left_join(per, "customer_id").drop("customer_id_right")
    orders_post, orders_pre = j._orders.fill_null(0), j._orders_pre.fill_null(0)
    out = j.mutate(
        bought_before=j._before.fill_null(False),
        inactive_pre=~j._pre.fill_null(False),
        bought_post=orders_post > 0,
        bought_30d=j._d30.fill_null(False),
        orders_post=orders_post,
        revenue_post=j._revenue.fill_null(0.0).cast(dt.float64),
        aov_post=ibis.ifelse(orders_post > 0, j._amount / orders_post.cast(dt.float64), None
                             ).cast(dt.float64),
        bought_before_pre=j._before_pre.fill_null(False),
        bought_pre=j._pre.fill_null(False),
        bought_before_30d_pre=j._before_30_pre.fill_null(False),
        bought_30d_pre=j._d30_pre.fill_null(False),
        revenue_pre=j._revenue_pre.fill_null(0.0).cast(dt.float64),
        aov_pre=ibis.ifelse(orders_pre > 0, j._amount_pre / orders_pre.cast(dt.float64), None
                            ).cast(dt.float64),
    ).drop(*(c for c in j.columns if c.startswith("_")))
    if interactions is None:
        return out.mutate(satisfaction_post=ibis.null(dt.float64),
                          satisfaction_pre=ibis.null(dt.float64))
    i = interactions.semi_join(members, "customer_id")
    i = i.filter((i.ts >= pre_start) & (i.ts < post_end) & i.satisfaction.notnull())
    score = i.satisfaction.cast(dt.float64)
    rated = i.group_by("customer_id").aggregate(
        satisfaction_post=ibis.ifelse(i.ts >= start, score, None).mean(),
        satisfaction_pre=ibis.ifelse(i.ts < start, score, None).mean())
    return out.left_join(rated, "customer_id").drop("customer_id_right")


def arm_stats(outcomes: ibis.Table, by: tuple[str, ...] = ()) -> ibis.Table:
    """Per arm (and ``by`` columns): ``members`` and, per KPI, ``<kpi>__n``, ``__mean`` and
    ``__var`` (sample variance) over the eligible customers with a value, and for KPIs with a
    pre figure ``<kpi>__pre_n`` and ``__pre_mean``."""
    def eligible(value: str, where: str | None):
        x = outcomes[value].cast(dt.float64)
        keep = x.notnull() & outcomes[where] if where else x.notnull()
        return keep, ibis.ifelse(keep, x, None)

    metrics = {"members": outcomes.count()}
    for kpi in KPIS.values():
        keep, x = eligible(kpi.value, kpi.eligible)
        metrics |= {f"{kpi.name}__n": keep.cast("int64").sum(),
                    f"{kpi.name}__mean": x.mean(),
                    f"{kpi.name}__var": x.var(how="sample")}
        if kpi.pre_value:
            keep, x = eligible(kpi.pre_value, kpi.pre_eligible)
            metrics |= {f"{kpi.name}__pre_n": keep.cast("int64").sum(),
                        f"{kpi.name}__pre_mean": x.mean()}
    return outcomes.group_by(["arm", *by]).aggregate(**metrics)
