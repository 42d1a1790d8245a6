"""Movement of customers between the segments of two runs (SPEC §9), as Ibis expressions.

A customer present only in the later run comes from "(new)"; one present only in the earlier
run goes to "(gone)", so every customer of either run is counted exactly once.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

NEW, GONE = "(new)", "(gone)"


def migration_matrix(before: ibis.Table, after: ibis.Table) -> ibis.Table:
    """``from_segment, to_segment, customers, share`` (share of the from-segment's customers).

    ``before`` and ``after`` have ``customer_id, segment_id``.
    """
    a = before.select("customer_id", from_segment="segment_id")
    b = after.select(cid="customer_id", to_segment="segment_id")
    j = a.outer_join(b, a.customer_id == b.cid)
    flows = j.select(from_segment=ibis.coalesce(j.from_segment, NEW),
                     to_segment=ibis.coalesce(j.to_segment, GONE))
    counts = flows.group_by(["from_segment", "to_segment"]).aggregate(customers=flows.count())
    total = counts.customers.sum().over(group_by=counts.from_segment)
    return counts.mutate(share=counts.customers / total).order_by(
        ["from_segment", "to_segment"])


def movers(before: ibis.Table, after: ibis.Table, features_before: ibis.Table,
           features_after: ibis.Table, columns: list[str]) -> ibis.Table:
    """Customers whose segment changed, with the feature that changed most.

    Change is measured in standard deviations of the feature in the earlier run, so days,
    counts and money compare: ``main_feature``, ``before_value``, ``after_value``, ``change_sd``.
    """
    b = after.select("customer_id", to_segment="segment_id")
    moved = before.select("customer_id", from_segment="segment_id").join(b, "customer_id")
    moved = moved.filter(moved.from_segment != moved.to_segment)
    fa = features_before.select("customer_id", *columns)
    fb = features_after.select("customer_id",
                               **{f"{c}__b": features_after[c] for c in columns})
    sd = features_before.aggregate(**{f"{c}__sd": features_before[c].cast(dt.float64).std()
                                      for c in columns})
    j = moved.join(fa, "customer_id").join(fb, "customer_id").cross_join(sd)
    parts = []
    for c in columns:
        delta = (j[f"{c}__b"].cast(dt.float64).fill_null(0) - j[c].cast(dt.float64).fill_null(0))
        z = ibis.ifelse(j[f"{c}__sd"] > 0, delta / j[f"{c}__sd"], ibis.null(dt.float64))
        parts.append(j.select("customer_id", "from_segment", "to_segment",
                              main_feature=ibis.literal(c),
                              before_value=j[c].cast(dt.float64),
                              after_value=j[f"{c}__b"].cast(dt.float64), change_sd=z))
    long = ibis.union(*parts)
    rank = ibis.row_number().over(group_by=long.customer_id,
                                  order_by=[ibis.desc(long.change_sd.abs()), long.main_feature])
    return long.filter(long.change_sd.notnull()).mutate(_r=rank).filter(
        lambda t: t._r == 0).drop("_r").order_by("customer_id")


def sankey(matrix_rows: list[dict], names_before: dict[str, str],
           names_after: dict[str, str]) -> dict:
    """Nodes and links of a Sankey chart from the rows of `migration_matrix`.

    >>> sankey([{"from_segment": "A", "to_segment": "B", "customers": 3}], {"A": "a"}, {})
    {'nodes': ['a', '→ B'], 'links': [{'source': 0, 'target': 1, 'value': 3}]}
    """
    left = sorted({r["from_segment"] for r in matrix_rows})
    right = sorted({r["to_segment"] for r in matrix_rows})
    nodes = [names_before.get(s, s) for s in left] + [f"→ {names_after.get(s, s)}"
                                                       for s in right]
    links = [{"source": left.index(r["from_segment"]),
              "target": len(left) + right.index(r["to_segment"]), "value": r["customers"]}
             for r in matrix_rows]
    return {"nodes": nodes, "links": links}


def psi(before: ibis.Table, after: ibis.Table, column: str, *, bins: int = 10) -> ibis.Table:
    """Population stability index of one feature between two snapshots (one-row table).

    Bins are the deciles of the earlier snapshot (NULL is a bin of its own); PSI =
    Σ (p_after − p_before) · ln(p_after / p_before), with empty bins floored at 0.0001.
    Read it as < 0.1 stable, 0.1–0.25 some shift, > 0.25 a major shift.
    """
    x = before[column].cast(dt.float64)
    edges = before.aggregate(**{f"q{i}": x.quantile(i / bins) for i in range(1, bins)})

    def binned(t: ibis.Table) -> ibis.Table:
        v = t[column].cast(dt.float64)
        j = t.select(v=v).cross_join(edges)
        b = ibis.cases(*[(j.v <= j[f"q{i}"], i) for i in range(1, bins)], else_=bins)
        j = j.mutate(b=ibis.ifelse(j.v.isnull(), 0, b))
        counts = j.group_by("b").aggregate(n=j.count())
        return counts.mutate(p=counts.n / counts.n.sum().over())

    a, b = binned(before), binned(after)
    a = a.select(b="b", pa="p")
    b = b.select(b2="b", pb="p")
    j = a.outer_join(b, a.b == b.b2)
    pa = ibis.greatest(j.pa.fill_null(0), 0.0001)
    pb = ibis.greatest(j.pb.fill_null(0), 0.0001)
    return j.aggregate(psi=((pb - pa) * (pb / pa).ln()).sum(), feature=ibis.literal(column))
