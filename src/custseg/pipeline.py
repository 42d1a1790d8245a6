"""Orchestration shared by every surface: a project folder, its config and its database.

>>> import tempfile, custseg
>>> with tempfile.TemporaryDirectory() as d:
...     project = custseg.Project.init(d)
...     sorted(project.status()["tables"])[:3]
['customers', 'events', 'interactions']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import ibis

from custseg import schema
from custseg.cleaning.rules import OVERRIDABLE
from custseg.config import (
    CONFIG_FILE,
    STARTER_CONFIG,
    Settings,
    SourceSettings,
    load_settings,
)
from custseg.errors import CustsegError
from custseg.io import database, quality
from custseg.io.database import LoadReport
from custseg.io.rebuild import clean_database
from custseg.segment.result import SegmentResult


class Project:
    """A project folder: ``custseg.toml`` (the config) and ``custseg.duckdb`` (the data).

    Use `Project.open` for an existing folder and `Project.init` to create one. Tables are
    Ibis expressions (`table`), so notebooks can filter and aggregate them in the engine.
    """

    def __init__(self, directory: Path | str, settings: Settings):
        self.directory = Path(directory)
        self.settings = settings
        self._con: ibis.BaseBackend | None = None

    @classmethod
    def open(cls, directory: Path | str = ".") -> Project:
        """Open a project folder, validating its custseg.toml."""
        return cls(directory, load_settings(Path(directory)))

    @classmethod
    def init(cls, directory: Path | str, *, name: str | None = None, language: str = "zh",
             exist_ok: bool = False) -> Project:
        """Create a project folder with a commented starter config and an empty database."""
        directory = Path(directory)
        config = directory / CONFIG_FILE
        if config.exists() and not exist_ok:
            raise CustsegError(f"{config} already exists; open the project instead")
        directory.mkdir(parents=True, exist_ok=True)
        if not config.exists():
            config.write_text(STARTER_CONFIG.format(name=name or directory.resolve().name,
                                                    language=language), encoding="utf-8")
        project = cls.open(directory)
        project.connect()
        return project

    @property
    def database_path(self) -> Path:
        return self.directory / self.settings.engine.database

    def connect(self) -> ibis.BaseBackend:
        """The Ibis connection to the project database (opened once, for writing)."""
        if self._con is None:
            engine = self.settings.engine
            self._con = database.connect(self.database_path, threads=engine.threads,
                                         memory_limit=engine.memory_limit)
            database.ensure_canonical(self._con)
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.disconnect()
            self._con = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def table(self, name: str) -> ibis.Table:
        """A canonical or system table as an Ibis expression."""
        return self.connect().table(name)

    def sql(self, query: str) -> ibis.Table:
        """A SQL query over the project database as an Ibis expression."""
        return self.connect().sql(query)

    def ingest(self, paths: Iterable[Path | str], *, table: str,
               mapping: dict[str, str] | None = None, derive_order_id: bool = False,
               encoding: str = "auto", delimiter: str = "auto", sheet: str | None = None,
               on_done: Callable[[LoadReport], None] | None = None) -> list[LoadReport]:
        """Load files into a canonical table; each file is its own transaction."""
        if table not in schema.TABLES:
            raise CustsegError(f"unknown table {table!r}; choose one of "
                               f"{', '.join(schema.TABLES)}")
        reports = []
        for path in paths:
            report = database.load(
                self.connect(), self.settings, table=table, path=Path(path), mapping=mapping,
                derive_order_id=derive_order_id, encoding=encoding, delimiter=delimiter,
                sheet=sheet)
            reports.append(report)
            if on_done:
                on_done(report)
        return reports

    def ingest_sources(self, on_done: Callable[[LoadReport], None] | None = None
                       ) -> list[LoadReport]:
        """Load every [[sources]] entry of the config; unchanged files add nothing."""
        reports = []
        for src in self.settings.sources:
            report = self.load_source(src)
            reports.append(report)
            if on_done:
                on_done(report)
        return reports

    def load_source(self, src: SourceSettings) -> LoadReport:
        return database.load(
            self.connect(), self.settings, table=src.table,
            path=self.directory / src.path if src.path else None, url=src.url,
            query=src.query, sql_table=src.sql_table, mapping=src.mapping,
            encoding=src.encoding, delimiter=src.delimiter, sheet=src.sheet,
            header_row=src.header_row, derive_order_id=src.derive_order_id)

    def segment(self, model: str | None = None, *, as_of: date | None = None,
                lang: str | None = None, store_features: bool = True,
                objective: str | None = None) -> SegmentResult:
        """Segment every customer as of ``as_of`` and store the result as a new run.

        Computes the features (SPEC §5) in the engine, fits ``model`` (a key of
        `custseg.segment.MODELS`, default ``[segmentation] model``), assigns every customer
        to exactly one segment, and stores the run, its assignments, template 1 and (with
        ``store_features``) the features the model read (with R, F, M, AOV and lifetime
        spend; `Project.features` gives the full table). ``as_of`` defaults to
        ``[features] as_of``, then to the latest order date. ``objective`` (a key of
        `custseg.segment.objectives.OBJECTIVES`) chooses the model and its dimensions; an
        explicit ``model`` wins.
        """
        from custseg import runs

        return runs.segment(self.connect(), self.settings, model, as_of=as_of, lang=lang,
                            store_features=store_features, objective=objective)

    def run(self, *, as_of: date | None = None, on_step=None) -> dict:
        """The whole periodic pipeline: load new source data, clean, run every configured
        segmentation (and predictions), and record it as a pipeline run (see
        `custseg.refresh`)."""
        from custseg.refresh import run_pipeline

        return run_pipeline(self, as_of=as_of, on_step=on_step)

    def describe(self, *, as_of: date | None = None, model: str | None = None) -> dict:
        """Structure of the customer base as of D: distributions of customers and revenue by
        age band, gender, region, channel, member level and register cohort; mean, median and
        std of every feature (per segment of ``model``'s latest run too); Pareto share of the
        top 20%, Lorenz curve and Gini of revenue and profit."""
        from custseg.describe import describe

        return describe(self.connect(), self.settings, as_of=as_of, model=model)

    def features(self, *, as_of: date | None = None) -> ibis.Table:
        """The full feature table as of D (every feature of `custseg.features.FEATURES`), an
        Ibis expression the engine evaluates when it is executed."""
        from custseg.features import customer_features
        from custseg.io import results
        from custseg.runs import resolve_as_of

        con = self.connect()
        return customer_features(results.input_tables(con),
                                 as_of=resolve_as_of(con, self.settings, as_of),
                                 window_months=self.settings.features.window_months)

    def predict(self, *, as_of: date | None = None, horizon: float | None = None,
                time_unit: str | None = None):
        """Predict CLV, churn risk and purchase propensity per customer as of ``as_of``.

        Fits BG/NBD + Gamma-Gamma on the purchase summary up to D (CLV over ``horizon`` in
        ``time_unit``, "W" or "D"; defaults from ``[prediction]``, the horizon converted when
        only the unit is given), checks BG/NBD on a holdout period before D, fits the churn
        and 30/90-day propensity classifiers on D − 2N and validates them on D − N, stores a
        "predict" run with one ``predictions`` row per customer and returns the fitted
        parameters and validation figures (`custseg.predict_runs.PredictionResult`).
        """
        from custseg import predict_runs

        return predict_runs.predict(self.connect(), self.settings, as_of=as_of,
                                    horizon=horizon, time_unit=time_unit)

    def export_segments(self, run_id: str, path: Path | str) -> int:
        """Write ``customer_id, segment_id, segment_name`` of a run to .csv/.xlsx/.parquet."""
        from custseg.io import results

        return results.export_assignments(self.connect(), run_id, Path(path))

    def clean(self) -> dict:
        """Re-run the cleaning stage over all loaded data (one transaction) and report."""
        with database.transaction(self.connect().con):
            clean_database(self.connect(), self.settings)
        return self.quality()

    def quality(self) -> dict:
        """The quality report: row balance per table, rule hits with examples, field profiles."""
        return quality.quality_report(self.connect().con)

    def rule_hits(self) -> dict[str, int]:
        """Rows each cleaning rule rejected, removed, merged, changed or flagged."""
        return {rule: r["count"] for rule, r in quality.rules(self.connect().con, 0).items()}

    def catalog(self) -> list[dict]:
        """The data catalog (template 2): category, fields, source and refresh per table."""
        return quality.catalog(self.connect().con, self.settings)

    def quarantine(self, *, rule: str | None = None, table: str | None = None,
                   limit: int = 100) -> list[dict]:
        """Quarantined and flagged rows, newest rules first, optionally filtered."""
        where, params = ["1 = 1"], []
        for col, value in (("rule", rule), ("table_name", table)):
            if value:
                where.append(f"{col} = ?")
                params.append(value)
        cur = self.connect().con.execute(
            "SELECT _load_id AS load_id, table_name AS table, _source AS source, _row AS row, "
            "column_name AS column, rule, action, reason, raw_value, new_value FROM quarantine "
            f"WHERE {' AND '.join(where)} ORDER BY table_name, rule, _load_id, _row LIMIT ?",
            [*params, limit])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def readmit(self, *, rule: str, table: str | None = None,
                rows: list[tuple[int, int]] | None = None, note: str = "") -> int:
        """Re-admit rows a rule quarantined or flagged, then clean again; returns rows re-admitted.

        Only rules an analyst can overrule are accepted (`custseg.cleaning.rules.OVERRIDABLE`);
        rows whose values cannot be read must be fixed in the source and loaded again.
        """
        if rule not in OVERRIDABLE:
            raise CustsegError(
                f"rows of rule {rule!r} cannot be re-admitted as they are; fix the source file "
                f"or the mapping and load it again (re-admittable: {', '.join(OVERRIDABLE)})")
        db = self.connect().con
        where, params = "rule = ?", [rule]
        if table:
            where += " AND table_name = ?"
            params.append(table)
        if rows:
            where += " AND (_load_id, _row) IN (" + ", ".join("(?, ?)" for _ in rows) + ")"
            params += [v for pair in rows for v in pair]
        n = db.execute(
            "INSERT INTO quarantine_overrides SELECT DISTINCT _load_id, table_name, _row, rule, "
            f"now(), ? FROM quarantine WHERE {where} AND stage <> 'read'", [note, *params]
        ).fetchone()[0]
        if n:
            self.clean()
        return n

    def status(self) -> dict:
        """Row counts of the canonical tables, the order date range and the load history."""
        con = self.connect()
        db = con.con
        tables = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in schema.TABLES}
        first, last = db.execute("SELECT min(order_date), max(order_date) FROM orders").fetchone()
        loads = db.execute(
            "SELECT load_id, table_name, source, rows_read, rows_loaded, rows_duplicate, "
            "rows_rejected, status, started_at FROM load_log ORDER BY load_id").fetchall()
        quarantined = db.execute(
            "SELECT count(DISTINCT (table_name, _load_id, _row)) FROM quarantine "
            "WHERE action IN ('rejected', 'removed')").fetchone()[0]
        return {
            "project": self.settings.project.name,
            "database": str(self.database_path),
            "tables": tables,
            "customers": tables["customers"],
            "order_dates": [first.isoformat() if first else None,
                            last.isoformat() if last else None],
            "quarantined_rows": quarantined,
            "loads": [dict(zip(["load_id", "table", "source", "rows_read", "rows_loaded",
                                "rows_duplicate", "rows_rejected", "status", "started_at"],
                               row, strict=True)) for row in loads],
        }


def open_project(directory: Path | str = ".") -> Project:
    """Open a project folder (shortcut for `Project.open`)."""
    return Project.open(directory)
