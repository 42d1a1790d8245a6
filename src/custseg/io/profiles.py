"""Reads behind the customer 360 view and the member lists of the web app and REST API.

Plain parametrised SQL over a DuckDB connection or cursor (the web app gives each request
its own cursor). `prepare` runs once when the app starts: it creates the result tables a new
project may lack and an index on ``segment_assignments(customer_id)``, so looking up one
customer's segments stays a point query however many snapshots are stored. Values come back
as stored: decryption and masking are the caller's job (`custseg.privacy.masking`).

>>> import duckdb
>>> db = duckdb.connect()
>>> _ = db.execute("CREATE TABLE customers (customer_id VARCHAR, name VARCHAR, city VARCHAR)")
>>> _ = db.execute("INSERT INTO customers VALUES ('C1', '张三', '深圳市'), ('C2', '李四', NULL)")
>>> page = list_customers(db, limit=1, offset=1)
>>> page["total"], [(c["customer_id"], c["name"], c["phone"]) for c in page["items"]]
(2, [('C2', '李四', None)])
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

LIST_COLUMNS = ("customer_id", "name", "gender", "age", "phone", "email", "province", "city",
                "channel", "member_level", "register_date")
ORDER_COLUMNS = ("order_id", "order_date", "amount", "status", "channel", "payment_method",
                 "store", "discount", "is_outlier")
INTERACTION_COLUMNS = ("ts", "kind", "satisfaction", "nps", "text")
PREDICTION_COLUMNS = ("p_alive", "expected_purchases", "expected_spend", "clv",
                      "churn_probability", "churn_level", "propensity_30d", "propensity_90d")
_LATEST = """SELECT json_extract_string(config, '$.model') AS model,
    arg_max(run_id, created_at) AS run_id FROM runs WHERE kind = 'segment' GROUP BY 1"""


def prepare(con) -> None:
    """Result tables and the customer lookup index (an Ibis backend of the project)."""
    from custseg.io.results import ensure_result_tables

    ensure_result_tables(con)
    con.con.execute("CREATE INDEX IF NOT EXISTS segment_assignments_customer ON "
                    "segment_assignments (customer_id)")


def tables(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def columns(db, table: str) -> list[str]:
    return [r[0] for r in db.execute("SELECT column_name FROM duckdb_columns() WHERE "
                                     "table_name = ? ORDER BY column_index", [table]).fetchall()]


def _plain(value):
    """JSON-friendly scalars: dates as ISO text, decimals as floats, NaN/NA as None."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value != value:
        return None
    return value


def _records(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [{n: _plain(v) for n, v in zip(names, row, strict=True)}
            for row in cursor.fetchall()]


def _select(db, table: str, wanted: tuple[str, ...], prefix: str = "") -> str:
    """The wanted columns, NULL for those an older database lacks."""
    have = set(columns(db, table))
    return ", ".join(f'{prefix}"{c}"' if c in have else f'NULL AS "{c}"' for c in wanted)


def _search(db, q: str | None, personal: bool, prefix: str = "",
            hashes: dict[str, str] | None = None) -> tuple[str, list]:
    """A WHERE fragment: customer id starts with ``q``, or (``personal``) name or phone
    contains it. Searching by personal values is only offered to roles that may see them.

    ``hashes`` (`custseg.io.keys.search_hashes`) are given when personal data is encrypted:
    then a name or phone matches when its keyed hash is one of them (whole values only).
    """
    if not q:
        return "", []
    sql = "customer_id ILIKE ? || '%'"
    params = [q]
    if personal and hashes is None:
        sql += f" OR {prefix}name ILIKE '%' || ? || '%' OR {prefix}phone LIKE '%' || ? || '%'"
        params += [q, q]
    elif personal:
        have = set(columns(db, "customers"))
        for column, value in hashes.items():
            if column in have:
                sql += f' OR {prefix}"{column}" = ?'
                params.append(value)
    return f"WHERE ({sql})", params


def list_customers(db, *, limit: int, offset: int, q: str | None = None,
                   personal_search: bool = False,
                   search_hashes: dict[str, str] | None = None) -> dict:
    """A page of customers by id: ``{"total", "limit", "offset", "items"}``; see `_search`
    for ``q``."""
    where, params = _search(db, q, personal_search, hashes=search_hashes)
    total = db.execute(f"SELECT count(*) FROM customers {where}", params).fetchone()[0]
    cur = db.execute(f"SELECT {_select(db, 'customers', LIST_COLUMNS)} FROM customers {where} "
                     "ORDER BY customer_id LIMIT ? OFFSET ?", [*params, limit, offset])
    return {"total": total, "limit": limit, "offset": offset, "items": _records(cur)}


def get_customer(db, customer_id: str) -> dict | None:
    """Every stored attribute of one customer plus an order summary, or None."""
    cur = db.execute("SELECT * FROM customers WHERE customer_id = ?", [customer_id])
    found = _records(cur)
    if not found:
        return None
    summary = db.execute(
        "SELECT count(*) FILTER (WHERE amount >= 0 AND coalesce(status, '') NOT IN "
        "('cancelled', 'refunded')), coalesce(sum(amount) FILTER (WHERE coalesce(status, '') "
        "<> 'cancelled'), 0), min(order_date), max(order_date) FROM orders "
        "WHERE customer_id = ?", [customer_id]).fetchone()
    return {"attributes": found[0],
            "orders": {"count": summary[0], "amount": round(float(summary[1]), 2),
                       "first": _plain(summary[2]), "last": _plain(summary[3])}}


def customer_orders(db, customer_id: str, *, limit: int = 50) -> list[dict]:
    """The customer's latest orders, newest first."""
    cur = db.execute(f"SELECT {_select(db, 'orders', ORDER_COLUMNS)} FROM orders WHERE "
                     "customer_id = ? ORDER BY order_date DESC, order_id LIMIT ?",
                     [customer_id, limit])
    return _records(cur)


def customer_interactions(db, customer_id: str, *, limit: int = 50) -> list[dict]:
    """The customer's latest service interactions (complaints, surveys, visits), newest first."""
    cur = db.execute(f"SELECT {_select(db, 'interactions', INTERACTION_COLUMNS)} FROM "
                     "interactions WHERE customer_id = ? ORDER BY ts DESC LIMIT ?",
                     [customer_id, limit])
    return _records(cur)


def latest_runs(db) -> list[dict]:
    """The latest run of each segmentation model, by model: ``model, run_id, as_of`` and
    ``names`` (segment id → (Chinese name, English name))."""
    runs = _records(db.execute(f"SELECT l.model, l.run_id, r.as_of FROM ({_LATEST}) l "
                               "JOIN runs r USING (run_id) ORDER BY l.model"))
    for run in runs:
        run["names"] = {r[0]: (r[1], r[2]) for r in db.execute(
            "SELECT segment_id, name_zh, name_en FROM segment_summary WHERE run_id = ?",
            [run["run_id"]]).fetchall()}
    return runs


def latest_segments(db, customer_id: str, latest: list[dict] | None = None) -> list[dict]:
    """The customer's segment in the latest run of each segmentation model (None when the
    customer was not in that run); ``latest`` is `latest_runs`, if the caller keeps it.

    One point query on the customer (the index of `prepare`); a join or a filter on the
    run would make DuckDB scan the table instead.
    """
    latest = latest_runs(db) if latest is None else latest
    found = {r[0]: r[1:] for r in db.execute(
        "SELECT run_id, segment_id, segment_name FROM segment_assignments "
        "WHERE customer_id = ?", [customer_id]).fetchall()}
    out = []
    for run in latest:
        segment_id, name = found.get(run["run_id"], (None, None))
        zh, en = run["names"].get(segment_id, (None, None))
        out.append({"model": run["model"], "run_id": run["run_id"], "as_of": run["as_of"],
                    "segment_id": segment_id, "segment_name": name, "name_zh": zh,
                    "name_en": en})
    return out


def segment_history(db, customer_id: str) -> list[dict]:
    """The customer's segment in every stored segmentation run (snapshot), oldest first."""
    return _records(db.execute("""
        SELECT a.model, a.run_id, r.as_of, r.created_at, a.segment_id, a.segment_name,
               s.name_zh, s.name_en
        FROM segment_assignments a JOIN runs r USING (run_id)
        LEFT JOIN segment_summary s ON s.run_id = a.run_id AND s.segment_id = a.segment_id
        WHERE a.customer_id = ? ORDER BY a.model, r.as_of, r.created_at""", [customer_id]))


def customer_predictions(db, customer_id: str) -> dict | None:
    """The customer's row of the latest predict run, with its run id and as-of date; None
    when that run holds none (e.g. the customer objects to profiling)."""
    cols = ", ".join(f"p.{c}" for c in PREDICTION_COLUMNS)
    found = _records(db.execute(
        f"SELECT p.run_id, r.as_of, {cols} FROM (SELECT run_id, as_of FROM runs WHERE kind = "
        "'predict' ORDER BY created_at DESC LIMIT 1) r JOIN predictions p USING (run_id) "
        "WHERE p.customer_id = ?", [customer_id]))
    return found[0] if found else None


def latest_run_id(db, model: str | None = None) -> str | None:
    """The newest segmentation run, of ``model`` when given."""
    where, params = "kind = 'segment'", []
    if model:
        where += " AND json_extract_string(config, '$.model') = ?"
        params.append(model)
    row = db.execute(f"SELECT run_id FROM runs WHERE {where} ORDER BY created_at DESC "
                     "LIMIT 1", params).fetchone()
    return row[0] if row else None


def segment_models(db) -> list[dict]:
    """Each segmentation model with its latest run: ``model, run_id, as_of, runs``."""
    return _records(db.execute(f"""
        SELECT l.model, l.run_id, r.as_of, c.runs FROM ({_LATEST}) l JOIN runs r USING (run_id)
        JOIN (SELECT json_extract_string(config, '$.model') AS model, count(*) AS runs
              FROM runs WHERE kind = 'segment' GROUP BY 1) c USING (model)
        ORDER BY l.model"""))


def segment_members(db, run_id: str, segment_id: str, *, limit: int, offset: int,
                    q: str | None = None, personal_search: bool = False,
                    search_hashes: dict[str, str] | None = None) -> dict:
    """A page of the customers of one segment of a run, with their list attributes."""
    where, params = _search(db, q, personal_search, "c.", search_hashes)
    extra = f"AND {where[6:]}" if where else ""
    base = (f"FROM segment_assignments a LEFT JOIN customers c USING (customer_id) "
            f"WHERE a.run_id = ? AND a.segment_id = ? {extra}")
    args = [run_id, segment_id, *params]
    total = db.execute(f"SELECT count(*) {base}", args).fetchone()[0]
    cols = _select(db, "customers", LIST_COLUMNS[1:], "c.")
    cur = db.execute(f"SELECT a.customer_id, {cols} {base} ORDER BY a.customer_id "
                     "LIMIT ? OFFSET ?", [*args, limit, offset])
    return {"total": total, "limit": limit, "offset": offset, "items": _records(cur)}
