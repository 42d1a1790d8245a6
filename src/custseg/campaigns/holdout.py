"""Campaign lists: who may be contacted, and a reproducible random holdout (control) group.

`draw` splits a segment's members into ``target`` and ``holdout`` in the engine: customers
are ordered by MD5 of ``"<seed>:<customer_id>"`` and the first ``round(share × n)`` form the
holdout (at least one, and one customer at least stays a target). The draw depends only on
the seed and the set of customers (not on row order or engine), every customer lands in
exactly one arm, and the holdout size is exact.

`objectors` applies consent (SPEC §10): customers who object to marketing or to profiling
(`custseg.privacy.consent.marketing_objectors`) are left out of both arms and counted.

>>> import ibis
>>> members = ibis.memtable({"customer_id": [str(i) for i in range(20)]})
>>> arms = draw(members, share=0.1, seed=42).execute()
>>> arms.arm.value_counts().to_dict()
{'target': 18, 'holdout': 2}
>>> arms.equals(draw(members, share=0.1, seed=42).execute())
True
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from custseg.privacy.consent import marketing_objectors


def draw(members: ibis.Table, *, share: float, seed: int) -> ibis.Table:
    """``customer_id, arm`` with ``arm`` in ``target``/``holdout``; see the module docstring."""
    key = (ibis.literal(f"{int(seed)}:") + members.customer_id.cast(dt.string)).hexdigest("md5")
    ranked = members.select("customer_id", _key=key).mutate(
        _rank=ibis.row_number().over(order_by=[ibis._._key, ibis._.customer_id]),
        _n=ibis._.customer_id.count().over(ibis.window()))
    size = ibis.least(ibis.greatest((ranked._n * share).round(0).cast(dt.int64), 1),
                      ibis.greatest(ranked._n - 1, 1))
    return ranked.select("customer_id",
                         arm=ibis.ifelse(ranked._rank < size, "holdout", "target"))


def objectors(customers: ibis.Table) -> ibis.Table:
    """``customer_id`` of customers no campaign may contact: they object to marketing or to
    profiling (the list is drawn from a segmentation)."""
    return marketing_objectors(customers)
