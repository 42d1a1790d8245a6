"""Consent and objection (SPEC §10): who is kept out of profiling and of marketing.

``customers.objects_profiling`` and ``customers.objects_marketing`` are true for customers
who objected (是/yes/true/1 in the source; headers such as 拒绝画像 or 退订 map onto them,
see `custseg.schema`). NULL means no objection is recorded.

- Objectors to profiling are left out of segmentations: no assignment, no export, not in the
  counts of template 1 (the run says how many were left out). Predictions leave them out
  the same way, fitting and scoring included (`without_objectors`).
- Exports for action (segment members, predictions) leave out `marketing_excluded`.
- Campaign lists leave out `marketing_excluded`: objectors to marketing, and objectors to
  profiling too, since a list drawn from segments is built by profiling.

>>> import ibis
>>> customers = ibis.memtable({"customer_id": ["a", "b", "c"],
...                            "objects_profiling": [True, None, False],
...                            "objects_marketing": [None, True, False]})
>>> sorted(profiling_objectors(customers).execute().customer_id)
['a']
>>> sorted(marketing_objectors(customers).execute().customer_id)
['a', 'b']
>>> consent_counts(customers).execute().iloc[0].tolist()
[1, 1]
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from custseg.segment.result import Notice

CONSENT_COLUMNS = ("objects_profiling", "objects_marketing")


def _flag(customers: ibis.Table, column: str) -> ibis.BooleanValue:
    if column not in customers.columns:  # a database cleaned before the columns existed
        return ibis.literal(False)
    return customers[column].cast("boolean").fill_null(False)


def profiling_objectors(customers: ibis.Table) -> ibis.Table:
    """``customer_id`` of the customers who object to profiling."""
    return customers.filter(_flag(customers, "objects_profiling")).select("customer_id")


def marketing_objectors(customers: ibis.Table) -> ibis.Table:
    """``customer_id`` of the customers no campaign may target: they object to marketing
    or to profiling."""
    keep_out = _flag(customers, "objects_marketing") | _flag(customers, "objects_profiling")
    return customers.filter(keep_out).select("customer_id")


def marketing_excluded(con) -> ibis.Table:
    """Customer ids to leave out of campaign lists (`marketing_objectors` of ``customers``
    in the project database ``con``), as an expression to anti-join with a list."""
    return marketing_objectors(con.table("customers"))


def profiling_excluded(con) -> ibis.Table:
    """Customer ids to leave out of segmentations and other profiling."""
    return profiling_objectors(con.table("customers"))


def without(rows: ibis.Table, excluded: ibis.Table) -> ibis.Table:
    """``rows`` (keyed by ``customer_id``) without the customers of ``excluded``."""
    return rows.anti_join(excluded, "customer_id")


def without_objectors(tables: Mapping[str, ibis.Table]
                      ) -> tuple[dict[str, ibis.Table], ibis.Scalar]:
    """Input tables (by name, ``customers`` among them) without the rows of customers who
    object to profiling, and how many customers that leaves out."""
    objectors = profiling_objectors(tables["customers"])
    kept = {name: without(t, objectors) if "customer_id" in t.columns else t
            for name, t in tables.items()}
    return kept, objectors.count()


def consent_counts(customers: ibis.Table) -> ibis.Table:
    """One row: how many customers object to profiling and to marketing."""
    return customers.aggregate(**{c: customers.count(where=_flag(customers, c))
                                  for c in CONSENT_COLUMNS})


_LEFT_OUT_OF = {"segmentation": ("本次细分", "this segmentation"),
                "predictions": ("本次预测", "these predictions")}


def objection_notice(count: int, of: str = "segmentation") -> Notice:
    """The line template 1 (or a prediction run) shows when objectors to profiling were
    left out; ``of`` is ``segmentation`` or ``predictions``."""
    zh, en = _LEFT_OUT_OF[of]
    return Notice("info", f"{count:,} 位客户反对画像，未纳入{zh}（不计入客户数）",
                  f"{count:,} customers who object to profiling were left out of {en} "
                  "(not counted)")
