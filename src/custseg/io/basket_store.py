"""Stored association rules: one ``runs`` row of kind ``basket`` and its ``basket_rules``.

``basket_rules(run_id, level, segment_model, segment_run_id, segment_id, antecedent,
consequent, support, confidence, lift, leverage, conviction, lift_vs_overall,
antecedent_count, consequent_count, pair_count, baskets)`` holds the overall rules
(``segment_id`` NULL) and, when the run used a segmentation, each segment's rules with
``lift_vs_overall`` = the segment's lift / the overall lift of the same rule. Items of an
antecedent or consequent are joined with ``|``; ``pair_count`` counts the baskets holding
the whole rule; ``conviction`` is infinite for rules with confidence 1.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import ibis
import pandas as pd

from custseg.errors import CustsegError
from custseg.io.database import transaction
from custseg.io.results import (
    EXCEL_MAX_ROWS,
    EXPORT_FORMATS,
    _escaped,
    _insert_run,
    _lit,
    _sql,
    ensure_result_tables,
)

BASKET_DDL = """CREATE TABLE IF NOT EXISTS basket_rules (run_id VARCHAR, level VARCHAR,
    segment_model VARCHAR, segment_run_id VARCHAR, segment_id VARCHAR, antecedent VARCHAR,
    consequent VARCHAR, support DOUBLE, confidence DOUBLE, lift DOUBLE, leverage DOUBLE,
    conviction DOUBLE, lift_vs_overall DOUBLE, antecedent_count BIGINT,
    consequent_count BIGINT, pair_count BIGINT, baskets BIGINT)"""
RULE_TABLE_COLUMNS = ("level", "segment_model", "segment_run_id", "segment_id", "antecedent",
                      "consequent", "support", "confidence", "lift", "leverage", "conviction",
                      "lift_vs_overall", "antecedent_count", "consequent_count", "pair_count",
                      "baskets")
EXPORT_RULE_COLUMNS = ("antecedent", "consequent", "support", "confidence", "lift")
ORDER = ("segment_id NULLS FIRST, lift DESC, confidence DESC, support DESC, antecedent, "
         "consequent")


def ensure_basket_tables(con) -> None:
    ensure_result_tables(con)
    con.raw_sql(BASKET_DDL)


def save_basket_rules(con, *, run_id: str, as_of: date, config: dict,
                      rules: ibis.Table) -> int:
    """Store a basket run and its rules (columns `RULE_TABLE_COLUMNS`), all or nothing;
    returns the number of rules."""
    ensure_basket_tables(con)
    db = con.con
    cols = ", ".join(RULE_TABLE_COLUMNS)
    with transaction(db):
        _insert_run(db, run_id, "basket", as_of, config)
        db.execute(f"INSERT INTO basket_rules (run_id, {cols}) SELECT {_lit(run_id)}, {cols} "
                   f"FROM ({_sql(rules)})")
    return db.execute("SELECT count(*) FROM basket_rules WHERE run_id = ?", [run_id]
                      ).fetchone()[0]


def stage_frame(con, frame: pd.DataFrame, schema: dict[str, str], name: str) -> ibis.Table:
    """Copy a DataFrame into a temporary table with the given SQL column types."""
    db = con.con
    db.register("_basket_frame", frame)
    try:
        cols = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in schema.items())
        db.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT {cols} FROM _basket_frame')
    finally:
        db.unregister("_basket_frame")
    return con.table(name)


def latest_basket_run(con) -> str | None:
    """The newest basket run, or None."""
    ensure_basket_tables(con)
    row = con.con.execute("SELECT run_id FROM runs WHERE kind = 'basket' "
                          "ORDER BY created_at DESC, run_id DESC LIMIT 1").fetchone()
    return row[0] if row else None


def load_basket_rules(con, run_id: str | None = None) -> pd.DataFrame:
    """The rules of a basket run (default: the latest), overall first, then by segment;
    within each by lift, confidence and support, highest first."""
    run_id = run_id or latest_basket_run(con)
    if run_id is None:
        raise CustsegError("no basket run stored yet; run `custseg basket` first")
    ensure_basket_tables(con)
    return con.con.execute(f"SELECT {', '.join(RULE_TABLE_COLUMNS)} FROM basket_rules "
                           f"WHERE run_id = ? ORDER BY {ORDER}", [run_id]).df()


def latest_segment_run(con, model: str, as_of: date | None = None) -> tuple[str, date] | None:
    """The newest stored run of segmentation ``model`` (as of ``as_of`` when given):
    ``(run_id, as_of)``, or None."""
    ensure_result_tables(con)
    where, params = "", [model]
    if as_of is not None:
        where, params = " AND r.as_of = ?", [model, as_of]
    row = con.con.execute(
        "SELECT r.run_id, r.as_of FROM runs r WHERE r.run_id IN (SELECT DISTINCT run_id FROM "
        f"segment_assignments WHERE model = ?){where} ORDER BY r.created_at DESC LIMIT 1",
        params).fetchone()
    return (row[0], row[1]) if row else None


def segment_names(con, run_id: str) -> dict[str, str]:
    """``segment_id → segment_name`` of a stored segmentation run."""
    rows = con.con.execute("SELECT DISTINCT segment_id, segment_name FROM segment_assignments "
                           "WHERE run_id = ? ORDER BY segment_id", [run_id]).fetchall()
    return {seg: name for seg, name in rows}


def export_basket_rules(con, run_id: str, path: Path, *, all_columns: bool = False) -> int:
    """Write a basket run's rules to .csv, .xlsx or .parquet, highest lift first.

    By default only the overall rules with exactly ``antecedent, consequent, support,
    confidence, lift``; ``all_columns`` writes every rule of the run (segments too) with all
    columns of ``basket_rules``. Text cells of CSV and Excel files are escaped against
    formula injection. Returns the number of rules written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise CustsegError(f"cannot export to {path.name}: use {', '.join(EXPORT_FORMATS)}")
    names = RULE_TABLE_COLUMNS if all_columns else EXPORT_RULE_COLUMNS
    text = {"level", "segment_model", "segment_run_id", "segment_id", "antecedent",
            "consequent"}
    cols = ", ".join(_escaped(c) if c in text and suffix != ".parquet" else c for c in names)
    where = f"run_id = {_lit(run_id)}" + ("" if all_columns else " AND segment_id IS NULL")
    query = f"SELECT {cols} FROM basket_rules WHERE {where} ORDER BY {ORDER}"
    db = con.con
    count = db.execute(f"SELECT count(*) FROM basket_rules WHERE {where}").fetchone()[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        if count > EXCEL_MAX_ROWS:
            raise CustsegError(f"{count:,} rules do not fit in an Excel sheet "
                               f"({EXCEL_MAX_ROWS:,} rows); export .csv or .parquet")
        frame = db.execute(query).df()
        if "conviction" in frame:  # a sheet has no infinity: leave the cell empty
            frame["conviction"] = frame["conviction"].where(frame["conviction"] != math.inf)
        frame.to_excel(path, index=False, sheet_name="rules")
    else:
        options = "FORMAT parquet" if suffix == ".parquet" else "HEADER, DELIMITER ','"
        db.execute(f"COPY ({query}) TO {_lit(str(path))} ({options})")
    return count
