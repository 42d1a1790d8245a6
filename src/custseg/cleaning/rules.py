"""Cleaning rules of SPEC §3 as Ibis expressions over typed rows.

Each function takes tables and returns tables; none executes anything. A rule either rejects
a row (it leaves the canonical table), removes a duplicate, merges an identity, changes a
value or flags a row it keeps; `issues` turns any of these into quarantine rows with the
source, row, rule and the values concerned. The order of the steps lives in
``custseg.io.rebuild``, which runs them.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from custseg.cleaning.standardize import (
    id_number_valid,
    is_mobile,
    parse_email,
    parse_gender,
    parse_id_number,
    parse_phone,
)

REJECTING = ("rejected", "removed")
OVERRIDABLE = ("test_account", "future_date", "implausible_date", "negative_not_refund",
               "outlier_amount")


def exempt(rows: ibis.Table, overrides: ibis.Table, table: str, rule: str) -> ibis.Value:
    """True for rows an analyst re-admitted from ``rule`` (`custseg quarantine readmit`)."""
    chosen = overrides.filter((overrides.table_name == table) & (overrides.rule == rule))
    keys = chosen.select(k=chosen._load_id * 10**12 + chosen._row)
    return (rows._load_id * 10**12 + rows._row).isin(keys.k)


def customer_rows(canonical: ibis.Table, regions: ibis.Table) -> ibis.Table:
    """Customer rows with phones, e-mails, ID numbers, genders and regions normalised.

    ``_raw_*`` columns keep what was written, for the change log.
    """
    joined = canonical.left_join(
        regions, [canonical.province.identical_to(regions.province_raw),
                  canonical.city.identical_to(regions.city_raw)])
    id_number = parse_id_number(joined.id_number)
    return joined.select(
        *[c for c in canonical.columns if c not in ("phone", "email", "id_number", "gender",
                                                    "province", "city")],
        phone=parse_phone(joined.phone), email=parse_email(joined.email), id_number=id_number,
        id_number_ok=id_number_valid(id_number), gender=parse_gender(joined.gender),
        province=ibis.coalesce(joined.province_std, joined.province),
        city=ibis.coalesce(joined.city_std, joined.city), region=joined.region,
        _raw_phone=joined.phone, _raw_email=joined.email, _raw_gender=joined.gender,
        _raw_region=ibis.coalesce(joined.province, "") + ibis.coalesce(joined.city, ""),
    )


def test_account(rows: ibis.Table, patterns: list[str], phones: list[str]) -> ibis.Value:
    """Rows of test accounts: a pattern in name, e-mail or tags, or an internal phone.

    Encrypted rows carry ``_test_hit``, the verdict on name, e-mail and phone taken when they
    were loaded (`custseg.privacy.blind`); only tags are matched here then.
    """
    encrypted = "_test_hit" in rows.columns
    hit = rows._test_hit.fill_null(False) if encrypted else ibis.literal(False)
    for pattern in patterns:
        p = pattern.lower()
        for col in ("tags",) if encrypted else ("name", "email", "tags"):
            hit = hit | rows[col].lower().contains(p).fill_null(False)
    if phones and not encrypted:
        hit = hit | rows.phone.isin(phones).fill_null(False)
    return hit


def identity_keys(rows: ibis.Table, keys: list[str]) -> ibis.Table:
    """(customer_id, key, value) for merge keys that identify a person.

    Only mobile phones count (a shared landline is a switchboard, not a person) and only ID
    numbers with a valid check digit. Encrypted rows are compared by their keyed hashes
    (``phone_hash`` …, see `custseg.privacy.blind`).
    """
    usable = {
        "phone": rows.phone_mobile if "phone_mobile" in rows.columns else is_mobile(rows.phone),
        "email": rows.email.notnull(),
        "id_number": rows.id_number_ok.fill_null(False),
    }

    def value(k: str) -> ibis.Value:
        return rows[f"{k}_hash"] if f"{k}_hash" in rows.columns else rows[k].cast(dt.string)

    parts = [rows.filter(usable[k]).select("customer_id", key=ibis.literal(k), value=value(k))
             for k in keys]
    return ibis.union(*parts, distinct=True)


def initial_labels(rows: ibis.Table) -> ibis.Table:
    """Each customer's label: earliest registration first, then the smaller id, survives."""
    first = rows.group_by("customer_id").aggregate(reg=rows.register_date.min())
    rank = ibis.coalesce(first.reg.cast(dt.string), "9999-12-31") + "|" + first.customer_id
    return first.select("customer_id", label=rank)


def propagate(labels: ibis.Table, keys: ibis.Table) -> ibis.Table:
    """One step of connected components: each customer takes the smallest label reachable
    through one shared key. Repeat until nothing changes (transitive merges)."""
    with_label = keys.join(labels, "customer_id")
    per_value = with_label.group_by(["key", "value"]).aggregate(best=with_label.label.min())
    reach = keys.join(per_value, ["key", "value"]).group_by("customer_id").aggregate(
        best=per_value.best.min())
    joined = labels.left_join(reach, "customer_id")
    return joined.select(
        customer_id=labels.customer_id,
        label=ibis.ifelse(joined.best.notnull() & (joined.best < labels.label), joined.best,
                          labels.label),
    )


def identity_map(labels: ibis.Table, keys: ibis.Table) -> ibis.Table:
    """Merged customers: ``customer_id → surviving_id`` and the keys that linked them."""
    moved = labels.select("customer_id", surviving_id=labels.label.split("|")[1])
    moved = moved.filter(moved.customer_id != moved.surviving_id)
    groups = labels.select("customer_id", group=labels.label)
    k = keys.join(groups, "customer_id")
    other = k.view()
    shared = k.join(other, [k.key == other.key, k.value == other.value, k.group == other.group,
                            k.customer_id != other.customer_id])
    linked = shared.group_by(cid=shared.customer_id).aggregate(
        keys=shared.key.collect(distinct=True).sort().join(","))
    out = moved.left_join(linked, moved.customer_id == linked.cid)
    return out.select("customer_id", "surviving_id", "keys")


def remap(rows: ibis.Table, mapping: ibis.Table, *columns: str) -> ibis.Table:
    """``rows`` with each id column replaced by the surviving id of a merged identity."""
    out = rows
    for column in columns:
        m = mapping.select(_from=mapping.customer_id, _to=mapping.surviving_id)
        joined = out.left_join(m, out[column] == m._from)
        out = joined.mutate(**{column: ibis.coalesce(joined._to, joined[column])}).drop(
            "_from", "_to")
    return out


def merge_customers(rows: ibis.Table, orders: ibis.Table) -> ibis.Table:
    """One row per (surviving) customer: every customer of a customers source or an order.

    Attributes come from the most recent load (then the last row) that gave a value, so a
    later export updates a customer without blanking what it does not carry.
    """
    order_key = rows._load_id * 10**12 + rows._row
    attrs = rows.group_by("customer_id").aggregate(**{
        c: rows[c].argmax(order_key, where=rows[c].notnull())
        for c in rows.columns if c != "customer_id" and not c.startswith("_")
    })
    ids = ibis.union(rows.select("customer_id"), orders.select("customer_id"), distinct=True)
    return ids.left_join(attrs, "customer_id").drop("customer_id_right")


def order_content(rows: ibis.Table) -> ibis.Value:
    """A fingerprint of an order's values (not its lineage), for duplicates and conflicts."""
    cols = ["customer_id", "order_date", "amount", "paid_date", "cost", "profit", "status",
            "channel", "payment_method", "store", "discount", "quantity"]
    return ibis.literal("|").join([rows[c].cast(dt.string).fill_null("∅") for c in cols]).hash()


def outlier_bounds(amounts: ibis.Table, method: str, k: float) -> ibis.Table:
    """Bounds on log(amount) by median ± k·1.4826·MAD or quartiles ± k·IQR (one-row table).

    The log scale fits spending, which is skewed: a robust rule on raw amounts would flag
    every large but ordinary basket. ``amounts`` is read twice (median, then MAD), so the
    engine materialises it: only its ``amount`` column is kept.
    """
    amounts = amounts.select("amount")
    x = amounts.amount.log()
    if method == "iqr":
        stats = amounts.aggregate(q1=x.quantile(0.25), q3=x.quantile(0.75))
        return stats.select(lo=stats.q1 - k * (stats.q3 - stats.q1),
                            hi=stats.q3 + k * (stats.q3 - stats.q1))
    med = amounts.aggregate(med=x.median())
    dev = amounts.cross_join(med)
    mad = dev.aggregate(med=dev.med.max(), mad=(dev.amount.log() - dev.med).abs().median())
    return mad.select(lo=mad.med - k * 1.4826 * mad.mad, hi=mad.med + k * 1.4826 * mad.mad)


def row_text(rows: ibis.Table, columns: list[str]) -> ibis.Value:
    """``col=value; …`` of a row, the original values kept in the quarantine log."""
    parts = [ibis.literal(f"{c}=") + rows[c].cast(dt.string).fill_null("") for c in columns]
    return ibis.literal("; ").join(parts)
