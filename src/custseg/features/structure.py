"""Structure of the customer base (描述性统计) as Ibis expressions: distributions, feature
statistics, Pareto shares, Lorenz curve and Gini coefficient.

Revenue per customer is the historic LTV as of D (net spend, refunds negative); for
concentration measures a customer with negative net spend counts as 0, since a share of
revenue below nothing has no meaning on a Lorenz curve.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.datatypes as dt

AGE_BANDS = ((0, 17, "<18"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"),
             (45, 54, "45-54"), (55, 200, "55+"))
UNKNOWN = "未知/unknown"
DIMENSIONS = ("age_band", "gender", "province", "city", "channel", "member_level",
              "register_cohort")


def age_band(age: ibis.Value) -> ibis.Value:
    """Age bands 18-24, 25-34, 35-44, 45-54, 55+ (and <18); unknown ages are "未知/unknown"."""
    cases = [((age >= lo) & (age <= hi), label) for lo, hi, label in AGE_BANDS]
    return ibis.cases(*cases, else_=UNKNOWN)


def age_as_of(customers: ibis.Table, as_of: date) -> ibis.Value:
    """``customers.age``, else whole years from ``birth_date`` to D."""
    c = customers
    d = ibis.literal(as_of, type=dt.date)
    years = d.year() - c.birth_date.year()
    before_birthday = (d.month() < c.birth_date.month()) | (
        (d.month() == c.birth_date.month()) & (d.day() < c.birth_date.day()))
    return ibis.coalesce(c.age, years - before_birthday.cast(dt.int64)).cast(dt.int64)


def customer_dimensions(customers: ibis.Table, features: ibis.Table, *, as_of: date
                        ) -> ibis.Table:
    """One row per customer of ``features`` with its descriptive dimensions and revenue.

    Age comes from ``age`` or, failing that, ``birth_date`` as of D; the register cohort is
    the year and quarter of the registration date (else the first order).
    """
    c = customers
    dims = c.select(
        "customer_id", _age=age_as_of(c, as_of), gender=c.gender,
        province=c.province, city=c.city, channel=c.channel, member_level=c.member_level)
    f = features.select("customer_id", "registration_date", revenue="ltv_historic",
                        profit="profit")
    j = f.left_join(dims, "customer_id")
    reg = j.registration_date
    cohort = reg.year().cast(dt.string) + "Q" + reg.quarter().cast(dt.string)
    out = {d: ibis.coalesce(j[d].cast(dt.string), UNKNOWN)
           for d in ("gender", "province", "city", "channel", "member_level")}
    return j.select("customer_id", "revenue", "profit", age_band=age_band(j._age),
                    register_cohort=ibis.coalesce(cohort, UNKNOWN), **out)


def distribution(rows: ibis.Table, dimension: str) -> ibis.Table:
    """Customers and revenue per value of ``dimension``, with shares of the total."""
    g = rows.group_by(value=rows[dimension]).aggregate(
        customers=rows.count(), revenue=rows.revenue.sum().fill_null(0))
    total = g.aggregate(n=g.customers.sum(), r=g.revenue.sum())
    j = g.cross_join(total)
    return j.select(
        "value", "customers", "revenue",
        customer_share=j.customers / j.n,
        revenue_share=ibis.ifelse(j.r != 0, j.revenue / j.r, ibis.null(dt.float64)),
    ).order_by([ibis.desc("customers"), "value"])


def feature_stats(features: ibis.Table, columns: list[str],
                  segments: ibis.Table | None = None) -> ibis.Table:
    """Mean, median and standard deviation of each numeric feature, overall or per segment.

    Long format: ``segment_id, feature, n, mean, median, std``.
    """
    t = features if segments is None else features.join(segments, "customer_id")
    key = ibis.literal("ALL") if segments is None else t.segment_id
    parts = []
    for pos, col in enumerate(columns):
        x = t[col].cast(dt.float64)
        parts.append(t.group_by(segment_id=key).aggregate(
            feature=ibis.literal(col), n=x.count(), mean=x.mean(), median=x.median(),
            std=x.std(), _pos=ibis.literal(pos)))
    return ibis.union(*parts).order_by(["segment_id", "_pos"]).drop("_pos")


def concentration(rows: ibis.Table, column: str = "revenue", *, points: int = 20
                  ) -> tuple[ibis.Table, ibis.Table]:
    """Pareto share, Gini and Lorenz curve of a per-customer amount.

    Returns ``(summary, lorenz)``: summary has ``customers, total, top20_share, gini``;
    lorenz has ``customer_share, value_share`` at ``points`` evenly spaced customer shares
    (plus the origin), customers sorted from the smallest amount up.
    Gini = Σ (2i − n − 1)·x_i / (n·Σ x) with x ascending and i = 1…n.
    """
    x = ibis.greatest(rows[column].fill_null(0), 0).cast(dt.float64)
    base = rows.select(x=x)
    asc = base.mutate(i=ibis.row_number().over(order_by=base.x) + 1,
                      cum=base.x.sum().over(ibis.window(order_by=base.x, rows=(None, 0))))
    n_total = asc.aggregate(n=asc.count(), total=asc.x.sum())
    j = asc.cross_join(n_total)
    summary = j.aggregate(
        customers=j.n.max(), total=j.total.max(),
        top20_share=ibis.ifelse(j.total.max() > 0,
                                j.x.sum(where=j.i > j.n * 0.8) / j.total.max(), None),
        gini=ibis.ifelse(j.total.max() > 0,
                         ((2 * j.i - j.n - 1) * j.x).sum() / (j.n.max() * j.total.max()),
                         None),
    )
    step = j.mutate(bucket=(j.i * points / j.n).ceil().cast(dt.int64))
    last = step.group_by("bucket").aggregate(
        customer_share=(step.i.max() / step.n.max()),
        value_share=ibis.ifelse(step.total.max() > 0, step.cum.max() / step.total.max(), 0.0))
    origin = ibis.memtable({"customer_share": [0.0], "value_share": [0.0]})
    lorenz = ibis.union(origin, last.select("customer_share", "value_share"))
    return summary, lorenz.order_by("customer_share")
