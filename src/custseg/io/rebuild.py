"""Run the cleaning stage: raw tables → canonical tables, quarantine log and identity map.

Everything is recomputed from ``raw_*`` each time, so cleaning twice changes nothing and a
changed rule (or a re-admitted row) applies to all data. The steps run in the engine; only
the distinct region names go through Python (cpca). The caller owns the transaction.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from custseg import schema
from custseg.cleaning import rules
from custseg.cleaning.build import ISSUE_COLUMNS, canonical_rows, issue_rows, issues, typed_rows
from custseg.cleaning.regions import normalize_regions
from custseg.cleaning.standardize import parse_status
from custseg.config import Settings
from custseg.errors import CustsegError
from custseg.io.keys import is_encrypted
from custseg.io.readers import WORK
from custseg.privacy import blind

_MAX_MERGE_STEPS = 50
_LINEAGE = ["_load_id", "_source", "_row"]
_ORDER_KEYS = ["order_id", "customer_id", "order_date", "amount"]
HASH_COLUMNS = ("name_hash", "phone_hash", "email_hash", "id_number_hash")  # encrypted only


@functools.lru_cache(maxsize=512)
def compile_sql(node) -> str:
    """SQL of an expression node; the same cleaning steps compile once per process.

    Compiling is most of the cost of cleaning a small file; nodes compare by structure, so
    rebuilding the same expression finds the cached SQL.
    """
    return ibis.to_sql(node.to_expr(), dialect="duckdb")


class CompletenessError(CustsegError):
    """A key field is missing in more rows than the configured limit allows."""


@dataclass
class _Run:
    con: ibis.BaseBackend
    settings: Settings

    @property
    def db(self):
        return self.con.con

    def sql(self, expr: ibis.Expr) -> str:
        return compile_sql(expr.op())

    def temp(self, name: str, expr: ibis.Table) -> ibis.Table:
        self.db.execute(f"CREATE OR REPLACE TABLE {WORK}.{name} AS {self.sql(expr)}")
        return self.con.table(name)

    def table(self, name: str, expr: ibis.Table) -> None:
        self.db.execute(f"CREATE OR REPLACE TABLE {name} AS {self.sql(expr)}")

    def log(self, expr: ibis.Table) -> None:
        cols = ", ".join(ISSUE_COLUMNS)
        self.db.execute(f"INSERT INTO quarantine ({cols}, stage) SELECT {cols}, 'clean' "
                        f"FROM ({self.sql(expr)})")

    def typed(self, table: str) -> ibis.Table:
        ing = self.settings.ingest
        typed = self.temp(f"_t_{table}", typed_rows(
            self.con.table(f"raw_{table}"), table, null_tokens=ing.null_tokens,
            day_first=ing.day_first))
        self.log(issue_rows(typed, table))
        return self.temp(f"_c_{table}", canonical_rows(typed, table))


def clean_database(con: ibis.BaseBackend, settings: Settings) -> None:
    """Rebuild every canonical table, ``identity_map`` and the cleaning part of quarantine."""
    run = _Run(con, settings)
    run.db.execute("DELETE FROM quarantine WHERE stage <> 'read'")
    customers, test_ids, mapping = _customers(run)
    orders = _orders(run, test_ids, mapping)
    run.table("orders", orders.drop("_source"))
    merged = rules.merge_customers(customers, con.table("orders"))
    hashes = [c for c in HASH_COLUMNS if c in merged.columns]
    run.table("customers", merged.select(*schema.column_names("customers"), "region", *hashes))
    _order_checks(run, con.table("orders"), con.table("customers"))
    _others(run, test_ids, mapping)
    completeness_gate(run)
    work = run.db.execute("SELECT database_name, schema_name, table_name FROM duckdb_tables() "
                          "WHERE temporary OR schema_name = ?", [WORK]).fetchall()
    for names in work:
        run.db.execute("DROP TABLE IF EXISTS " + ".".join(f'"{n}"' for n in names))


def _regions(run: _Run, rows: ibis.Table) -> ibis.Table:
    schema_ = ["province_raw", "city_raw", "province_std", "city_std", "region"]
    found: list = []
    if run.settings.cleaning.normalize_regions:
        pairs = run.con.to_pyarrow(rows.select("province", "city").distinct()).to_pylist()
        found = normalize_regions((r["province"], r["city"]) for r in pairs)
    arrow = pa.table({k: pa.array([r[i] for r in found], pa.string())
                      for i, k in enumerate(schema_)})
    run.db.register("_regions_arrow", arrow)
    run.db.execute(f"CREATE OR REPLACE TABLE {WORK}._regions AS SELECT * FROM _regions_arrow")
    run.db.unregister("_regions_arrow")
    return run.con.table("_regions")


def _customers(run: _Run) -> tuple[ibis.Table, ibis.Table, ibis.Table]:
    cs = run.settings.cleaning
    canonical = run.typed("customers")
    if is_encrypted(run.db):
        rows = blind.customer_rows(canonical, run.con.table("raw_customers"),
                                   _regions(run, canonical))
    else:
        rows = rules.customer_rows(canonical, _regions(run, canonical))
    overrides = run.con.table("quarantine_overrides")
    is_test = ibis.literal(False)
    if cs.test_accounts:
        is_test = rules.test_account(rows, cs.test_patterns, cs.internal_phones) & ~rules.exempt(
            rows, overrides, "customers", "test_account")
    rows = run.temp("_c_customers_n", rows.mutate(_is_test=is_test))
    _customer_changes(run, rows)
    test = rows.filter(rows._is_test)
    run.log(issues(test, "customers", "test_account", "test account (name, e-mail, tags or "
                   "internal phone)", "rejected", raw=rules.row_text(test, ["customer_id",
                                                                            "name", "email"])))
    test_ids = run.temp("_test_ids", test.select("customer_id").distinct())
    valid = rows.filter(~rows._is_test)
    mapping = _identity(run, valid)
    merged_rows = rules.remap(valid, mapping, "customer_id")
    return merged_rows.drop("id_number_ok", "_is_test", "_raw_phone", "_raw_email",
                            "_raw_gender", "_raw_region"), test_ids, mapping


def _customer_changes(run: _Run, rows: ibis.Table) -> None:
    checks = [
        ("invalid_id_number", "id_number", rows.id_number.notnull() & ~rows.id_number_ok,
         "ID number fails the GB 11643 shape or check digit", "flagged", "id_number"),
        ("unreadable_phone", "phone", rows._raw_phone.notnull() & rows.phone.isnull(),
         "not a phone number; set to empty", "changed", "_raw_phone"),
        ("unreadable_email", "email", rows._raw_email.notnull() & rows.email.isnull(),
         "not an e-mail address; set to empty", "changed", "_raw_email"),
        ("unreadable_gender", "gender", rows._raw_gender.notnull() & rows.gender.isnull(),
         "gender not recognised; set to empty", "changed", "_raw_gender"),
        ("unknown_region", "province", (rows._raw_region != "") & rows.region.isnull(),
         "region not found in the administrative divisions", "flagged", "_raw_region"),
    ]
    for rule, column, cond, reason, action, raw in checks:
        sel = rows.filter(cond)
        run.log(issues(sel, "customers", rule, reason, action, column=column, raw=sel[raw]))


def _identity(run: _Run, valid: ibis.Table) -> ibis.Table:
    cs = run.settings.cleaning
    if not cs.identity_merge or not cs.merge_keys:
        run.db.execute("CREATE OR REPLACE TABLE identity_map (customer_id VARCHAR, "
                       "surviving_id VARCHAR, keys VARCHAR)")
        return run.con.table("identity_map")
    keys = run.temp("_keys", rules.identity_keys(valid, cs.merge_keys))
    labels = run.temp("_labels", rules.initial_labels(valid))
    for _ in range(_MAX_MERGE_STEPS):
        run.temp("_labels_next", rules.propagate(labels, keys))
        changed = run.db.execute(
            "SELECT count(*) FROM _labels a JOIN _labels_next b USING (customer_id) "
            "WHERE a.label <> b.label").fetchone()[0]
        labels = run.temp("_labels", run.con.table("_labels_next"))
        if not changed:
            break
    run.table("identity_map", rules.identity_map(labels, keys))
    mapping = run.con.table("identity_map")
    moved = valid.join(mapping, "customer_id")
    run.log(issues(moved, "customers", "identity_merge", "same person as another customer "
                   "(shared " + "/".join(cs.merge_keys) + ")", "merged", column="customer_id",
                   raw=moved.customer_id, new=moved.surviving_id))
    return mapping


def _orders(run: _Run, test_ids: ibis.Table, mapping: ibis.Table) -> ibis.Table:
    cs = run.settings.cleaning
    canonical = run.typed("orders")
    overrides = run.con.table("quarantine_overrides")
    loads = run.con.table("load_log").select(_lid="load_id", _loaded_at="started_at",
                                             _derived="derived_order_id")
    o = canonical.mutate(source_customer_id=canonical.customer_id,
                         status=parse_status(canonical.status))
    o = rules.remap(o, mapping, "customer_id")
    o = o.left_join(loads, o._load_id == loads._lid).drop("_lid")

    def ex(rule: str) -> ibis.Value:
        return ~rules.exempt(o, overrides, "orders", rule)

    checks = [("test_account", o.source_customer_id.isin(test_ids.customer_id) & ex(
        "test_account"))] if cs.test_accounts else []
    if cs.logic_checks:
        checks += [
            ("implausible_date", (o.order_date < cs.earliest_date) & ex("implausible_date")),
            ("future_date", (o.order_date > o._loaded_at.date()) & ex("future_date")),
            ("negative_not_refund", (o.amount < 0) & (o.status != "refunded").fill_null(True)
             & ex("negative_not_refund")),
        ]
    reject = ibis.cases(*[(cond.fill_null(False), rule) for rule, cond in checks],
                        else_=ibis.null(dt.string)) if checks else ibis.null(dt.string)
    o = run.temp("_o_checked", o.mutate(_reject=reject, _content=rules.order_content(o)))
    ok = o.filter(o._reject.isnull())
    if cs.dedupe_orders:
        o = run.temp("_o_dedup", ibis.union(o.filter(o._reject.notnull()),
                                            _dedupe(run, ok)))
    reasons = {
        "test_account": "order of a test account", "implausible_date": "order date before "
        f"{cs.earliest_date}", "future_date": "order date after the day it was loaded",
        "negative_not_refund": "negative amount on an order that is not a refund",
        "order_id_conflict": "same order id with different content", "duplicate_order":
        "exact duplicate of an earlier row (kept once)",
    }
    for rule, reason in reasons.items():
        sel = o.filter(o._reject == rule)
        run.log(issues(sel, "orders", rule, reason,
                       "removed" if rule == "duplicate_order" else "rejected",
                       raw=rules.row_text(sel, _ORDER_KEYS)))
    kept = o.filter(o._reject.isnull())
    return _order_flags(run, kept, overrides)


def _dedupe(run: _Run, ok: ibis.Table) -> ibis.Table:
    """``ok`` with ``_reject`` set on orders whose id has different contents (all of them)
    and on repeats of an earlier identical row.

    Only rows of an order id that occurs more than once are compared, in a narrow table: a
    window over every order with all its columns would need memory for all of them.
    """
    counts = ok.group_by("order_id").aggregate(_k=ok.count())
    repeated = counts.filter(counts._k > 1).select("order_id")
    rows = ok.filter(ok.order_id.isin(repeated.order_id))
    rep = run.temp("_o_repeated", rows.select("order_id", "_content", "_load_id", "_row"))
    variants = rep.group_by("order_id").aggregate(_n=rep._content.nunique())
    conflict_ids = variants.filter(variants._n > 1).select("order_id")
    rank = ibis.row_number().over(group_by=[rep.order_id, rep._content],
                                  order_by=[rep._load_id, rep._row])
    marked = rep.select(_mark_load=rep._load_id, _mark_row=rep._row, _mark=ibis.cases(
        (rep.order_id.isin(conflict_ids.order_id), "order_id_conflict"),
        (rank > 0, "duplicate_order"), else_=ibis.null(dt.string)))
    marks = run.temp("_o_marks", marked.filter(marked._mark.notnull()))
    joined = ok.left_join(marks, [ok._load_id == marks._mark_load, ok._row == marks._mark_row])
    return joined.mutate(_reject=joined._mark).drop("_mark_load", "_mark_row", "_mark")


def _order_flags(run: _Run, kept: ibis.Table, overrides: ibis.Table) -> ibis.Table:
    cs = run.settings.cleaning
    is_outlier = ibis.literal(False)
    if cs.outliers:
        basis = kept.filter((kept.amount > 0) & (kept.status != "refunded").fill_null(True))
        bounds = run.sql(rules.outlier_bounds(basis, cs.outlier_method, cs.outlier_k))
        # two numbers: as literals, not a cross join the engine may build on every order
        lo, hi = (ibis.literal(v, dt.float64) for v in run.db.execute(bounds).fetchone())
        logged = ibis.ifelse(kept.amount > 0, kept.amount, ibis.null(dt.float64)).log()
        is_outlier = ((logged < lo) | (logged > hi)).fill_null(False)
        is_outlier = is_outlier & ~rules.exempt(kept, overrides, "orders", "outlier_amount")
    possible = ibis.literal(False)
    if run.db.execute("SELECT coalesce(bool_or(derived_order_id), false) FROM load_log"
                      ).fetchone()[0]:  # the window holds every order: only when needed
        seen = ibis.row_number().over(
            group_by=[kept.customer_id, kept.order_date, kept.amount, kept.quantity],
            order_by=[kept._load_id, kept._row])
        possible = kept._derived.fill_null(False) & (seen > 0)
    final = run.temp("_o_final", kept.mutate(is_outlier=is_outlier, possible_duplicate=possible))
    flags = [
        ("outlier_amount", final.is_outlier, "amount far outside the usual range (robust "
         f"{cs.outlier_method}, k={cs.outlier_k}); kept, left out of model fitting"),
        ("possible_duplicate", final.possible_duplicate, "same customer, day, amount and "
         "quantity as another line of a file without order ids; kept"),
        ("zero_amount", final.amount == 0, "order amount is zero"),
    ]
    if cs.logic_checks:
        flags.append(("paid_before_order", final.paid_date < final.order_date,
                      "paid date before order date"))
    for rule, cond, reason in flags:
        sel = final.filter(cond.fill_null(False))
        run.log(issues(sel, "orders", rule, reason, "flagged", raw=rules.row_text(sel,
                                                                                   _ORDER_KEYS)))
    return final.select(*schema.column_names("orders"), "source_customer_id", "is_outlier",
                        "possible_duplicate", *_LINEAGE)


def _order_checks(run: _Run, orders: ibis.Table, customers: ibis.Table) -> None:
    if not run.settings.cleaning.logic_checks:
        return
    sources = run.con.table("load_log").select(_load_id="load_id", _source="source")
    j = orders.join(customers.select("customer_id", "register_date"), "customer_id").join(
        sources, "_load_id")
    sel = j.filter(j.order_date < j.register_date)
    run.log(issues(sel, "orders", "before_registration", "order date before the customer's "
                   "registration date", "flagged", raw=rules.row_text(sel, _ORDER_KEYS)))


def _others(run: _Run, test_ids: ibis.Table, mapping: ibis.Table) -> None:
    id_columns = {"events": ["customer_id"], "interactions": ["customer_id"],
                  "referrals": ["referrer_id", "referred_id"], "order_items": []}
    for table, ids in id_columns.items():
        canonical = run.typed(table)
        if not ids:
            run.table(table, canonical.drop("_source"))
            continue
        rows = canonical
        test = ibis.or_(*[rows[c].isin(test_ids.customer_id) for c in ids])
        sel = rows.filter(test)
        run.log(issues(sel, table, "test_account", "row of a test account", "rejected",
                       raw=rules.row_text(sel, ids)))
        kept = rules.remap(rows.filter(~test), mapping, *ids)
        run.table(table, kept.drop("_source"))


def completeness_gate(run: _Run) -> None:
    """Stop when a key field is missing or unreadable in more rows than allowed."""
    limit = run.settings.cleaning.max_missing_rate
    problems = []
    for table in schema.TABLES:
        total = run.db.execute(f"SELECT count(*) FROM raw_{table}").fetchone()[0]
        if not total:
            continue
        for key in schema.key_columns(table):
            hits = run.db.execute(
                "SELECT count(*), list(_source || ' row ' || _row ORDER BY _load_id, _row)[1:3] "
                "FROM quarantine WHERE table_name = ? AND column_name = ? AND stage = 'clean' "
                "AND (rule = 'missing_key' OR rule LIKE 'unreadable_%') AND action = 'rejected'",
                [table, key]).fetchone()
            rate = hits[0] / total
            if rate > limit:
                problems.append(f"{table}.{key} is missing or unreadable in {hits[0]:,} of "
                                f"{total:,} rows ({rate:.1%} > {limit:.0%}), e.g. "
                                + "; ".join(hits[1]))
    if problems:
        raise CompletenessError(
            "completeness check failed, nothing was loaded: " + " | ".join(problems)
            + " — fix the mapping or the file, or raise [cleaning] max_missing_rate")
