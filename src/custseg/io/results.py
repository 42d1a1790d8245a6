"""Result tables: runs, segment assignments and summaries, feature snapshots, and exports.

Every segmentation is stored as a run, in one transaction:

- ``runs(run_id, kind, as_of, created_at, config, status)`` — ``config`` is JSON (model,
  window, settings);
- ``segment_assignments(run_id, model, customer_id, segment_id, segment_name)`` — one row per
  customer and run;
- ``segment_summary(run_id, model, …)`` — template 1, both languages (`COLUMNS` of
  `custseg.segment.result`);
- ``features(run_id, customer_id, …)`` — the feature table the run used;
- ``rfm_scores(run_id, customer_id, r_score, f_score, m_score)`` — for rfm-scores runs;
- ``predictions(run_id, customer_id, p_alive, expected_purchases, expected_spend, clv,
  churn_probability, churn_level, propensity_30d, propensity_90d)`` — one row per customer of
  a predict run (`save_predictions`); horizons and time units are in the run's config;
- ``run_charts(run_id, chart, data)`` — chart data of a run as JSON, one row per chart
  (`save_charts`, `load_charts`): for clustering runs ``k_curve``, ``profile_heatmap``,
  ``pca_scatter`` and ``clustering`` (K rule, preprocessing, reduction, rules, stability); for
  predict runs ``tracking`` (BG/NBD cumulative repeat purchases per week, actual and
  expected, `custseg.clv.validation.cumulative_tracking`).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path

import ibis
import pandas as pd

from custseg import schema
from custseg.errors import CustsegError
from custseg.io.database import transaction

RESULT_DDL = [
    """CREATE TABLE IF NOT EXISTS runs (run_id VARCHAR PRIMARY KEY, kind VARCHAR, as_of DATE,
        created_at TIMESTAMP, config VARCHAR, status VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS segment_assignments (run_id VARCHAR, model VARCHAR,
        customer_id VARCHAR, segment_id VARCHAR, segment_name VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS segment_summary (run_id VARCHAR, model VARCHAR,
        position INTEGER, segment_id VARCHAR, name_zh VARCHAR, name_en VARCHAR,
        dimensions_zh VARCHAR, dimensions_en VARCHAR, characteristics_zh VARCHAR,
        characteristics_en VARCHAR, customers BIGINT, share_pct DOUBLE, keywords_zh VARCHAR,
        keywords_en VARCHAR, owner VARCHAR, avg_recency_days DOUBLE, avg_frequency DOUBLE,
        avg_monetary DOUBLE, never_ordered BIGINT)""",
    """CREATE TABLE IF NOT EXISTS rfm_scores (run_id VARCHAR, customer_id VARCHAR,
        r_score TINYINT, f_score TINYINT, m_score TINYINT)""",
    """CREATE TABLE IF NOT EXISTS predictions (run_id VARCHAR, customer_id VARCHAR,
        p_alive DOUBLE, expected_purchases DOUBLE, expected_spend DOUBLE, clv DOUBLE,
        churn_probability DOUBLE, churn_level VARCHAR, propensity_30d DOUBLE,
        propensity_90d DOUBLE)""",
    "CREATE TABLE IF NOT EXISTS run_charts (run_id VARCHAR, chart VARCHAR, data VARCHAR)",
]
PREDICTION_COLUMNS = ("customer_id", "p_alive", "expected_purchases", "expected_spend", "clv",
                      "churn_probability", "churn_level", "propensity_30d", "propensity_90d")
EXPORT_COLUMNS = ("customer_id", "segment_id", "segment_name")
EXPORT_FORMATS = (".csv", ".xlsx", ".parquet")
EXCEL_MAX_ROWS = 1_048_575


def _sql(expr: ibis.Expr) -> str:
    return ibis.to_sql(expr, dialect="duckdb")


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def ensure_result_tables(con) -> None:
    for ddl in RESULT_DDL:
        con.raw_sql(ddl)


def new_run_id() -> str:
    """Unique, and sorted as created even within one second: ``20250305T143012.123456-1a2b3c``.

    Ids of older versions (``20250305T143012-1a2b3c``) sort before newer ones of their second.
    """
    return f"{datetime.now():%Y%m%dT%H%M%S.%f}-{uuid.uuid4().hex[:6]}"


def latest_order_date(con) -> date | None:
    """The latest order date in ``orders`` (the default as-of date), or None without orders."""
    return con.con.execute("SELECT max(order_date) FROM orders").fetchone()[0]


def tables_with_rows(con, names: list[str]) -> list[str]:
    """The tables among ``names`` that hold at least one row."""
    return [n for n in names
            if con.con.execute(f'SELECT 1 FROM "{n}" LIMIT 1').fetchone() is not None]


def input_tables(con) -> dict[str, ibis.Table]:
    """``customers``, ``orders`` and each other canonical table that holds rows: an empty
    optional table is left out, so its features are unknown (NULL), not 0."""
    optional = tables_with_rows(con, [t for t in schema.TABLES
                                      if t not in ("customers", "orders")])
    return {t: con.table(t) for t in ("customers", "orders", *optional)}


def stage(con, expr: ibis.Table, name: str) -> ibis.Table:
    """Materialise ``expr`` once as a temporary table and return it as an expression."""
    con.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {_sql(expr)}')
    return con.table(name)


def drop(con, *names: str) -> None:
    for name in names:
        con.con.execute(f'DROP TABLE IF EXISTS "{name}"')


def _store_features(db, run_id: str, features: ibis.Table) -> None:
    """Append the run's features; columns added by a newer version are added to the table."""
    select = f"SELECT {_lit(run_id)} AS run_id, * FROM ({_sql(features)})"
    db.execute(f"CREATE TABLE IF NOT EXISTS features AS {select} LIMIT 0")
    have = {r[0] for r in db.execute("SELECT column_name FROM duckdb_columns() "
                                     "WHERE table_name = 'features'").fetchall()}
    for column, sql_type, *_ in db.execute(f"DESCRIBE {select}").fetchall():
        if column not in have:
            db.execute(f'ALTER TABLE features ADD COLUMN "{column}" {sql_type}')
    db.execute(f"INSERT INTO features BY NAME {select}")


def _insert_run(db, run_id: str, kind: str, as_of: date, config: dict) -> None:
    db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, 'done')",
               [run_id, kind, as_of, datetime.now(),
                json.dumps(config, ensure_ascii=False, default=str)])


def save_segmentation(con, *, run_id: str, as_of: date, config: dict, model: str,
                      assignments: ibis.Table, summary: pd.DataFrame,
                      features: ibis.Table | None = None,
                      details: tuple[str, ibis.Table] | None = None,
                      charts: dict | None = None) -> None:
    """Store one segmentation run, all or nothing.

    ``assignments`` has ``customer_id, segment_id, segment_name``; ``details`` is an optional
    (table name, expression) pair of per-customer model output such as RFM scores; ``charts``
    the run's chart data (`save_charts`).
    """
    ensure_result_tables(con)
    db = con.con
    with transaction(db):
        _insert_run(db, run_id, "segment", as_of, config)
        db.execute(f"""INSERT INTO segment_assignments
            SELECT {_lit(run_id)}, {_lit(model)}, customer_id, segment_id, segment_name
            FROM ({_sql(assignments)})""")
        db.register("_summary_df", summary)
        db.execute(f"INSERT INTO segment_summary BY NAME SELECT {_lit(run_id)} AS run_id, "
                   f"{_lit(model)} AS model, * FROM _summary_df")
        db.unregister("_summary_df")
        if details is not None:
            table, expr = details
            db.execute(f'INSERT INTO "{table}" BY NAME SELECT {_lit(run_id)} AS run_id, * '
                       f"FROM ({_sql(expr)})")
        if features is not None:
            _store_features(db, run_id, features)
        if charts:
            _insert_charts(db, run_id, charts)


def _insert_charts(db, run_id: str, charts: dict) -> None:
    db.executemany("INSERT INTO run_charts VALUES (?, ?, ?)",
                   [[run_id, name, json.dumps(data, ensure_ascii=False, default=str)]
                    for name, data in charts.items()])


def save_charts(con, run_id: str, charts: dict) -> None:
    """Store chart data of a run: ``{chart name: JSON-serialisable data}``, one row each."""
    ensure_result_tables(con)
    with transaction(con.con):
        _insert_charts(con.con, run_id, charts)


def load_charts(con, run_id: str) -> dict:
    """``{chart name: data}`` stored for a run; empty when it has none."""
    db = con.con
    if db.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'run_charts'"
                  ).fetchone() is None:
        return {}
    rows = db.execute("SELECT chart, data FROM run_charts WHERE run_id = ? ORDER BY chart",
                      [run_id]).fetchall()
    return {name: json.loads(data) for name, data in rows}


def save_predictions(con, *, run_id: str, as_of: date, config: dict,
                     predictions: ibis.Table, charts: dict | None = None) -> None:
    """Store one predict run, its customer-level predictions (`PREDICTION_COLUMNS`) and its
    chart data (`save_charts`), all or nothing."""
    ensure_result_tables(con)
    db = con.con
    with transaction(db):
        _insert_run(db, run_id, "predict", as_of, config)
        db.execute(f"INSERT INTO predictions SELECT {_lit(run_id)}, "
                   f"{', '.join(PREDICTION_COLUMNS)} FROM ({_sql(predictions)})")
        if charts:
            _insert_charts(db, run_id, charts)


def _escaped(column: str) -> str:
    """Spreadsheet-safe text (SPEC §10): a leading quote before = + - @ tab or CR."""
    return (f"CASE WHEN regexp_matches({column}, '^[=+\\-@\\t\\r]') THEN '''' || {column} "
            f"ELSE {column} END AS {column}")


def export_assignments(con, run_id: str, path: Path) -> int:
    """Write ``customer_id, segment_id, segment_name`` of a run to .csv, .xlsx or .parquet.

    Text cells of CSV and Excel files are escaped against formula injection. Customers who
    object to marketing are left out: the file is a list to act on (SPEC §10,
    `custseg.privacy.consent.marketing_excluded`). Returns the number of rows written.
    """
    from custseg.privacy.consent import marketing_excluded

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise CustsegError(f"cannot export to {path.name}: use {', '.join(EXPORT_FORMATS)}")
    db = con.con
    cols = ", ".join(EXPORT_COLUMNS if suffix == ".parquet" else map(_escaped, EXPORT_COLUMNS))
    where = (f"run_id = {_lit(run_id)} AND customer_id NOT IN (SELECT customer_id FROM "
             f"({_sql(marketing_excluded(con))}))")
    query = f"SELECT {cols} FROM segment_assignments WHERE {where} ORDER BY customer_id"
    rows = db.execute(f"SELECT count(*) FROM segment_assignments WHERE {where}").fetchone()[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        if rows > EXCEL_MAX_ROWS:
            raise CustsegError(f"{rows:,} customers do not fit in an Excel sheet "
                               f"({EXCEL_MAX_ROWS:,} rows); export .csv or .parquet")
        db.execute(query).df().to_excel(path, index=False, sheet_name="segments")
    else:
        options = "FORMAT parquet" if suffix == ".parquet" else "HEADER, DELIMITER ','"
        db.execute(f"COPY ({query}) TO {_lit(str(path))} ({options})")
    return rows


def export_rows(con, rows: ibis.Table | str, path: Path, *, sheet: str = "predictions") -> int:
    """Write an expression's rows (or a SELECT) to .csv, .xlsx or .parquet, ordered by its
    first column; string cells of CSV and Excel files are escaped as in `export_assignments`.
    Returns the number of rows written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise CustsegError(f"cannot export to {path.name}: use {', '.join(EXPORT_FORMATS)}")
    db = con.con
    sql = rows if isinstance(rows, str) else _sql(rows)
    described = db.execute(f"DESCRIBE ({sql})").fetchall()
    cols = ", ".join(f'"{name}"' if suffix == ".parquet" or kind != "VARCHAR"
                     else _escaped(f'"{name}"') for name, kind, *_ in described)
    query = f'SELECT {cols} FROM ({sql}) ORDER BY "{described[0][0]}"'
    count = db.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        if count > EXCEL_MAX_ROWS:
            raise CustsegError(f"{count:,} customers do not fit in an Excel sheet "
                               f"({EXCEL_MAX_ROWS:,} rows); export .csv or .parquet")
        db.execute(query).df().to_excel(path, index=False, sheet_name=sheet)
    else:
        options = "FORMAT parquet" if suffix == ".parquet" else "HEADER, DELIMITER ','"
        db.execute(f"COPY ({query}) TO {_lit(str(path))} ({options})")
    return count


def export_predictions(con, run_id: str, columns: tuple[str, ...] | list[str],
                       path: Path) -> int:
    """Write ``customer_id`` and ``columns`` of a predict run's `predictions` rows, without
    customers who object to marketing (a list to act on, as in `export_assignments`)."""
    from custseg.privacy.consent import marketing_excluded

    unknown = [c for c in columns if c not in PREDICTION_COLUMNS]
    if unknown:
        raise CustsegError(f"predictions have no column(s) {', '.join(unknown)}")
    names = ", ".join(["customer_id", *[c for c in columns if c != "customer_id"]])
    return export_rows(con, f"SELECT {names} FROM predictions WHERE run_id = {_lit(run_id)} "
                       "AND customer_id NOT IN (SELECT customer_id FROM "
                       f"({_sql(marketing_excluded(con))}))", path)
