"""The data-quality report and the data catalog, read from the project database.

The balance is computed from independent counts, so it is a check, not a restatement:
for every table, rows in = clean + quarantined (+ merged for customers, whose repeated and
merged rows fold into one), where "clean" is counted in the canonical table itself.
"""

from __future__ import annotations

from custseg import schema
from custseg.config import Settings
from custseg.i18n import t

REMOVING = "('rejected', 'removed')"
CATEGORIES = {
    "customers": "basic", "orders": "transactions", "order_items": "transactions",
    "events": "behaviour", "interactions": "behaviour", "referrals": "behaviour",
}
VALUE_FIELDS = ["recency_days", "frequency", "monetary", "historic_ltv", "profit", "margin",
                "repurchase_rate", "referral_count"]


def _one(db, sql: str, params: list | None = None):
    return db.execute(sql, params or []).fetchone()[0]


def balance(db) -> dict[str, dict[str, int]]:
    """Rows in, clean, quarantined and merged per table."""
    out = {}
    for table in schema.TABLES:
        read_rejects = _one(db, "SELECT count(DISTINCT (_load_id, _row)) FROM quarantine "
                                "WHERE table_name = ? AND stage = 'read'", [table])
        rows_in = _one(db, f"SELECT count(*) FROM raw_{table}") + read_rejects
        quarantined = _one(db, "SELECT count(DISTINCT (_load_id, _row)) FROM quarantine WHERE "
                               f"table_name = ? AND action IN {REMOVING}", [table])
        entry = {"rows_in": rows_in, "clean": _one(db, f"SELECT count(*) FROM {table}"),
                 "quarantined": quarantined, "merged": 0}
        if table == "customers":
            entry.update(_customer_balance(db))
        out[table] = entry
    return out


def _customer_balance(db) -> dict[str, int]:
    valid = (f"SELECT r.customer_id FROM raw_customers r ANTI JOIN (SELECT _load_id, _row FROM "
             f"quarantine WHERE table_name = 'customers' AND action IN {REMOVING}) q "
             "USING (_load_id, _row)")
    ids = ("SELECT DISTINCT trim(customer_id) AS customer_id FROM (" + valid + ")")
    repeats = (_one(db, f"SELECT count(*) FROM ({valid})")
               - _one(db, f"SELECT count(*) FROM ({ids})"))
    identities = _one(db, f"SELECT count(*) FROM identity_map WHERE customer_id IN ({ids})")
    surviving = (f"SELECT DISTINCT coalesce(m.surviving_id, v.customer_id) FROM ({ids}) v "
                 "LEFT JOIN identity_map m USING (customer_id)")
    clean = _one(db, f"SELECT count(*) FROM customers WHERE customer_id IN ({surviving})")
    return {"clean": clean, "merged": repeats + identities, "identity_merges": identities,
            "from_orders": _one(db, "SELECT count(*) FROM customers") - clean}


def rules(db, examples: int = 3) -> dict[str, dict]:
    """Hits per cleaning rule with what happened and a few example rows."""
    rows = db.execute(
        "SELECT rule, any_value(action), count(*), "
        "list({'table': table_name, 'source': _source, 'row': _row, 'column': column_name, "
        f"'value': raw_value}} ORDER BY _load_id, _row)[1:{examples}] "
        "FROM quarantine GROUP BY rule ORDER BY rule"
    ).fetchall()
    return {r[0]: {"action": r[1], "count": r[2], "examples": r[3]} for r in rows}


def fields(db) -> dict[str, list[dict]]:
    """Per table and field: missing rate, distinct count, min and max."""
    out = {}
    for table in schema.TABLES:
        n = _one(db, f"SELECT count(*) FROM {table}")
        cols = []
        for col in schema.stored_columns(table):
            q = f'"{col.name}"'
            missing, distinct, lo, hi = db.execute(
                f"SELECT count(*) - count({q}), approx_count_distinct({q}), "
                f"CAST(min({q}) AS VARCHAR), CAST(max({q}) AS VARCHAR) FROM {table}"
            ).fetchone()
            cols.append({"field": col.name, "missing_rate": round(missing / n, 4) if n else None,
                         "distinct": distinct, "min": lo, "max": hi})
        out[table] = cols
    return out


def quality_report(db) -> dict:
    """The whole report: ``{"balance": …, "rules": …, "fields": …}``."""
    return {"balance": balance(db), "rules": rules(db), "fields": fields(db)}


def catalog(db, settings: Settings) -> list[dict]:
    """The data catalog (SPEC §4, template 2): category, fields, source, refresh frequency."""
    configured = {}
    for src in settings.sources:
        configured.setdefault(src.table, []).append((src.path or src.url, src.refresh))
    loaded = dict(db.execute(
        "SELECT table_name, list(DISTINCT source ORDER BY source) FROM load_log "
        "WHERE status = 'loaded' GROUP BY table_name").fetchall())
    lang = settings.project.language
    out = []
    for table in schema.TABLES:
        present = [c.name for c in schema.stored_columns(table)
                   if _one(db, f'SELECT count("{c.name}") FROM {table}')]
        sources = [s for s, _ in configured.get(table, [])] or loaded.get(table, [])
        refresh = sorted({r for _, r in configured.get(table, [])}) or ["on load"]
        out.append({"category": t(CATEGORIES[table], lang), "table": table,
                    "fields": present, "sources": sources, "refresh": ", ".join(refresh)})
    out.append({"category": t("value", lang), "table": "features",
                "fields": VALUE_FIELDS, "sources": ["computed by custseg"],
                "refresh": "every run"})
    return out
