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
from custseg.io import database, keys, quality
from custseg.io.database import LoadReport
from custseg.io.rebuild import clean_database
from custseg.privacy.consent import consent_counts
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
            try:
                keyring = self.__dict__.get("_key_override") or keys.read_key(
                    self.settings, self.directory)
                self._privacy = keys.activate(self._con, self.settings, keyring)
            except BaseException:
                self.close()
                raise
        return self._con

    @property
    def privacy(self) -> keys.Privacy:
        """How personal data is stored and whether its key is here (`custseg.io.keys`);
        ``project.privacy.reveal_record(row)`` decrypts a row read from the database."""
        self.connect()
        return self._privacy

    def close(self) -> None:
        store = self.__dict__.pop("_store", None)
        if store is not None and getattr(store, "dialect", None) == "postgres":
            store.close()
        if self._con is not None:
            self._con.disconnect()
            self._con = None

    def store(self):
        """The operational store (users, actions, audit, run registry): the project database,
        or the PostgreSQL server of ``[engine] operational_store`` (`custseg.io.store`)."""
        if self.__dict__.get("_store") is None:
            from custseg.io.store import open_store

            self._store = open_store(self.settings.engine.operational_store,
                                     self.connect().con)
        return self._store

    def publish_runs(self) -> int:
        """Copy the runs table to the operational store's registry when that is a server."""
        if not self.settings.engine.operational_store:
            return 0
        from custseg.io.store import publish_runs

        return publish_runs(self.connect().con, self.store(), self.settings.project.name)

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
                sheet=sheet, privacy=self.privacy)
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
            header_row=src.header_row, derive_order_id=src.derive_order_id,
            privacy=self.privacy)

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

        result = runs.segment(self.connect(), self.settings, model, as_of=as_of, lang=lang,
                              store_features=store_features, objective=objective,
                              compute=self.compute())
        self.publish_runs()
        return result

    def compute(self):
        """The engine that computes features and segments (``[engine] kind``): the project
        database, or Spark fed with its canonical tables (`custseg.io.spark.SparkCompute`)."""
        from custseg.io.compute import DuckDBCompute

        if self.settings.engine.kind == "spark":
            from custseg.io.spark import SparkCompute

            return SparkCompute.from_settings(self.connect(), self.settings, self.directory)
        return DuckDBCompute(self.connect())

    def run(self, *, as_of: date | None = None, on_step=None) -> dict:
        """The whole periodic pipeline: load new source data, clean, run every configured
        segmentation (and predictions), and record it as a pipeline run (see
        `custseg.refresh`)."""
        from custseg.refresh import run_pipeline

        outcome = run_pipeline(self, as_of=as_of, on_step=on_step)
        self.publish_runs()
        return outcome

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

        result = predict_runs.predict(self.connect(), self.settings, as_of=as_of,
                                      horizon=horizon, time_unit=time_unit)
        self.publish_runs()
        return result

    def basket(self, *, level: str | None = None, segment_model: str | None = None,
               min_support: float | None = None, min_confidence: float | None = None,
               min_lift: float | None = None, as_of: date | None = None, **options):
        """Association rules (what is bought together) as of ``as_of``, stored as a run.

        Baskets are orders (or customer-periods) with their items at ``level`` (product,
        brand or category); rules above the minimum support, confidence and lift come with
        leverage and conviction, overall and, with ``segment_model``, per segment of that
        model's latest run (run first when there is none) with ``lift_vs_overall``. Values
        left None come from ``[basket]``; ``options`` are further `BasketSettings` fields
        (``max_len``, ``basket`` …). Returns `custseg.basket_runs.BasketResult` (``.rules``,
        ``.run_id``); the rules are in ``basket_rules``.
        """
        from custseg import basket_runs

        return basket_runs.basket(
            self.connect(), self.settings, as_of=as_of, segment_model=segment_model,
            level=level, min_support=min_support, min_confidence=min_confidence,
            min_lift=min_lift, **options)

    def export_segments(self, run_id: str, path: Path | str) -> int:
        """Write ``customer_id, segment_id, segment_name`` of a run to .csv/.xlsx/.parquet."""
        from custseg.io import results

        return results.export_assignments(self.connect(), run_id, Path(path))

    # playbook and campaigns (SPEC §7, §8); see `custseg.campaign_runs`
    def playbook(self, model: str | None = None, *, lang: str | None = None) -> list[dict]:
        """One record per segment of ``model`` (default ``[playbook] model``, then
        ``[segmentation] model``): ``segment_id, segment_name, direction, measures, owner,
        budget, kpis`` (KPI → target text), ``missing`` (required parts it lacks), ``model``."""
        from custseg import campaign_runs
        from custseg.playbook import records

        name, book = campaign_runs.playbook(self.connect(), self.settings, model)
        rows = records(book, lang or self.settings.project.language)
        return [{**r, "model": name} for r in rows]

    def plan_campaign(self, segment: str, measure: str, **options) -> dict:
        """Draw a segment's target list and random holdout and store the campaign; options:
        ``model, holdout, seed, owner, cost, start, pre_days, post_days, lang``."""
        from custseg import campaign_runs

        return campaign_runs.plan_campaign(self.connect(), self.settings, segment=segment,
                                           measure=measure, **options)

    def export_campaign(self, campaign_id: str, path: Path | str, *,
                        user: str | None = None) -> int:
        """Write a campaign's target list to .csv/.xlsx/.parquet, names and phones masked;
        the export is written to the audit log (as ``user``, default the login name)."""
        from custseg import campaign_runs

        return campaign_runs.export_campaign(self.connect(), self.settings, campaign_id,
                                             Path(path), reveal=self.privacy.reveal, user=user)

    def campaigns(self) -> list[dict]:
        """Every campaign, newest first."""
        from custseg import campaign_runs

        return campaign_runs.campaigns(self.connect())

    def import_actions(self, path: Path | str) -> dict:
        """Record the actions of a CSV/Excel file; rows that cannot be recorded are
        quarantined with file, row, column and reason."""
        from custseg import campaign_runs

        return campaign_runs.import_actions(self.connect(), self.settings, Path(path))

    def record_action(self, **values: str | None) -> dict:
        """Record one action: ``customer_id, status, at`` and optionally ``campaign_id,
        measure, owner, note, redeemed, converted`` (as text)."""
        from custseg import campaign_runs

        return campaign_runs.record_action(self.connect(), self.settings, **values)

    def campaign_status(self, *, by: str = "week", campaign_id: str | None = None) -> dict:
        """Action progress per week/month, campaign, segment and owner, plus per campaign
        its reach, completion and redemption."""
        from custseg import campaign_runs

        return campaign_runs.campaign_status(self.connect(), by=by, campaign_id=campaign_id)

    def evaluate_campaign(self, campaign_id: str, *, cost: float | None = None,
                          lang: str | None = None) -> dict:
        """Treated vs holdout per KPI with 95% CIs, targets met, and diagnostics; ``kpis`` is
        a list of ``name, treated, control, lift, ci_low, ci_high, target, met`` …"""
        from custseg import campaign_runs

        return campaign_runs.evaluate_campaign(self.connect(), self.settings, campaign_id,
                                               cost=cost, lang=lang)

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

    def erase(self, customer_id: str, *, by: str) -> dict:
        """Erase a customer everywhere (right to erasure, SPEC §10) and record it in the audit
        log as done ``by`` whom, without the erased values (`custseg.io.erasure.erase`).

        The customer's rows leave every table (raw, canonical, identity map, snapshots,
        predictions, campaign tables); later loads skip them. With ``[engine]
        operational_store`` the audit log there is redacted the same way, over a connection of
        its own (one transaction). Returns what was removed.
        """
        from custseg.io.erasure import erase

        url = self.settings.engine.operational_store
        if not url:
            return erase(self.connect(), self.settings, self.privacy, customer_id, by=by)
        from custseg.io.store import PostgresStore

        with PostgresStore(url) as store:
            return erase(self.connect(), self.settings, self.privacy, customer_id, by=by,
                         store=store)

    def explain(self, customer_id: str, *, all_runs: bool = False,
                lang: str | None = None) -> dict:
        """Why the customer is where they are (SPEC §10): for the latest run of each
        segmentation (every run with ``all_runs``) the rule that matched with the customer's
        values, or the features that set their cluster apart with their z-scores; for the
        latest predictions the model's top factors with the customer's values
        (`custseg.explain_runs`)."""
        from custseg.explain_runs import explain

        return explain(self.connect(), self.settings, customer_id, all_runs=all_runs,
                       lang=lang)

    def init_key(self, path: Path | str | None = None) -> dict:
        """Write a new key file (mode 0600) and encrypt the project's personal data with it.

        ``path`` defaults to ``[privacy] key_file``; a different path must be set there (or
        in ``CUSTSEG_KEY``) for later commands to find the key.
        """
        if self.privacy.encrypted:
            raise CustsegError("personal data is already encrypted (key id "
                               f"{self.privacy.key_id}); use `custseg keys rotate`")
        target = Path(path) if path else keys.key_path(self.settings, self.directory)
        keyring = keys.write_key_file(target)
        self._privacy = keys.enable(self.connect(), self.settings, keyring,
                                    self._privacy.index_key)
        return {"key_file": str(target), "key_id": keyring.key_id}

    def rotate_key(self, old: keys.Keyring | None = None) -> dict:
        """Re-encrypt every personal value with a new key in one transaction.

        With ``old`` (the database's key, e.g. from ``CUSTSEG_OLD_KEY``) the new key is the
        one configured now; without it a new key file replaces ``[privacy] key_file`` and the
        previous one is kept beside it as ``.old`` (delete it once no backup needs it).
        """
        if old is not None:
            self.close()
            self._key_override = old  # the database is still encrypted with the old key
            con = self.connect()
            new = keys.read_key(self.settings, self.directory)
            if new is None:
                raise CustsegError("no new key: set CUSTSEG_KEY or [privacy] key_file")
            counts = keys.rotate(con, old, new)
            self._key_override = None
            self._privacy = keys.Privacy(True, new, new.index_key, new.key_id)
            return {"key_id": new.key_id, "values": counts}
        con, current = self.connect(), self.privacy
        if current.keyring is None or current.keyring.source == keys.ENV_KEY:
            raise CustsegError("give the database's current key as the old key "
                               f"({keys.ENV_OLD_KEY} or --old-key-file) and the new one in "
                               f"{keys.ENV_KEY} or [privacy] key_file")
        path = keys.key_path(self.settings, self.directory)
        new, staged = keys.stage_key_file(path)
        try:
            counts = keys.rotate(con, current.keyring, new)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        backup = keys.commit_key_file(path, staged)
        self._privacy = keys.Privacy(True, new, new.index_key, new.key_id)
        return {"key_id": new.key_id, "key_file": str(path),
                "previous_key_file": str(backup) if backup else None, "values": counts}

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
            "privacy": self.privacy.status() | {"consent": con.to_pyarrow(
                consent_counts(con.table("customers"))).to_pylist()[0]},
            "loads": [dict(zip(["load_id", "table", "source", "rows_read", "rows_loaded",
                                "rows_duplicate", "rows_rejected", "status", "started_at"],
                               row, strict=True)) for row in loads],
        }


def open_project(directory: Path | str = ".") -> Project:
    """Open a project folder (shortcut for `Project.open`)."""
    return Project.open(directory)
