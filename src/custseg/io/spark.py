"""Apache Spark as the compute engine (``[engine] kind = "spark"``, SPEC §12).

Loading and cleaning stay in the project's DuckDB file, which owns parsing and quarantine.
The canonical tables are handed to Spark as Parquet (`handoff`, cached per state of the
database), Spark computes features, segmentations and cluster assignment through Ibis's
PySpark backend with the very expressions DuckDB runs, and per-customer results come back to
the project database as Parquet (`SparkCompute.to_store`), where every run is kept.

One Spark session serves the whole process (`session` reuses an active one), so tests and
notebooks pay the JVM start-up once.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import ibis

from custseg import schema
from custseg.errors import CustsegError
from custseg.io import results

DEFAULT_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
}
LOCAL_CONF = {  # one machine: few shuffle partitions, no network round trips
    "spark.sql.shuffle.partitions": "8",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}
_DONE = "_handoff_done"


def quiet_pyspark() -> None:
    """Silence one known warning of pyspark 4.0 under pandas 3 (``astype(copy=False)``
    inside ``toPandas``), only when it comes from pyspark; remove with pyspark ≥ 4.1."""
    from pandas.errors import Pandas4Warning

    warnings.filterwarnings("ignore", "The copy keyword is deprecated", Pandas4Warning,
                            "pyspark")


def session(master: str = "local[*]", conf: Mapping[str, str] | None = None):
    """The process's Spark session: the active one, else a new one on ``master``.

    ``conf`` is added to `DEFAULT_CONF` (and `LOCAL_CONF` for ``local[...]`` masters).
    Settings read at JVM start (``spark.driver.memory``) apply only to a new session.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - pyspark is a pinned dependency
        raise CustsegError("[engine] kind = \"spark\" needs pyspark: "
                           "pip install -c requirements.lock pyspark") from None
    quiet_pyspark()
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.master(master).appName("custseg")
    merged = DEFAULT_CONF | (LOCAL_CONF if master.startswith("local") else {}) | dict(conf or {})
    for key, value in merged.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def connect(master: str = "local[*]", conf: Mapping[str, str] | None = None):
    """An Ibis PySpark backend on `session`."""
    return ibis.pyspark.connect(session(master, conf))


def _fingerprint(db, names: list[str]) -> str:
    """Changes whenever a load, a cleaning run or a re-admission changed the tables."""
    state = [db.execute("SELECT max(load_id), count(*) FROM load_log").fetchone(),
             db.execute("SELECT count(*) FROM quarantine_overrides").fetchone(),
             db.execute("SELECT count(*), count(DISTINCT rule) FROM quarantine").fetchone()]
    state += [(n, db.execute(f'SELECT count(*) FROM "{n}"').fetchone()) for n in names]
    return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()[:16]


def handoff(con, directory: Path, names: Iterable[str]) -> dict[str, Path]:
    """Write the canonical tables ``names`` of the project database to Parquet under
    ``directory/<fingerprint>/`` and return their paths; an unchanged database reuses the
    files of the previous hand-over, and older hand-overs are removed."""
    db = con.con
    names = [n for n in names if n in schema.TABLES]
    folder = Path(directory) / _fingerprint(db, names)
    paths = {n: folder / f"{n}.parquet" for n in names}
    if not (folder / _DONE).exists():
        folder.mkdir(parents=True, exist_ok=True)
        for name, path in paths.items():
            db.execute(f"COPY \"{name}\" TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)")
        (folder / _DONE).touch()
    for old in Path(directory).iterdir():
        if old.is_dir() and old != folder and (old / _DONE).exists():
            shutil.rmtree(old, ignore_errors=True)
    return paths


class SparkCompute:
    """Compute on Spark; the project database (``store``) keeps the results.

    Parameters
    ----------
    store : Ibis DuckDB backend
        The project database: the canonical tables come from it and results go back to it.
    directory : Path
        Where Parquet files are handed over (``[engine] spark_dir``).
    master, conf
        Passed to `session`.
    """

    name = "spark"

    def __init__(self, store, directory: Path, *, master: str = "local[*]",
                 conf: Mapping[str, str] | None = None):
        self.store = store
        self.directory = Path(directory)
        self.spark = connect(master, conf)
        self._staged: dict[str, Path] = {}

    @classmethod
    def from_settings(cls, store, settings: Any, project_dir: Path) -> SparkCompute:
        """From ``[engine]``: ``spark_master``, ``spark_conf`` and ``spark_dir``."""
        engine = settings.engine
        return cls(store, Path(project_dir) / engine.spark_dir, master=engine.spark_master,
                   conf=engine.spark_conf)

    def tables(self) -> dict[str, ibis.Table]:
        """The canonical tables a run reads (`custseg.io.results.input_tables`), read by
        Spark from their hand-over Parquet files."""
        paths = handoff(self.store, self.directory / "tables", results.input_tables(self.store))
        return {n: self.spark.read_parquet(str(p), table_name=f"custseg_{n}")
                for n, p in paths.items()}

    def stage(self, expr: ibis.Table, name: str) -> ibis.Table:
        """Materialise ``expr`` once, as Parquet (it may not fit in memory)."""
        self.drop(name)
        path = self.directory / "stage" / f"{name}-{uuid.uuid4().hex[:8]}"
        self.spark.to_parquet(expr, path)
        self._staged[name] = path
        return self.spark.read_parquet(str(path), table_name=f"custseg{name}")

    def execute(self, expr: ibis.Expr) -> Any:
        return self.spark.execute(expr)

    def to_store(self, expr: ibis.Table, name: str) -> ibis.Table:
        """``expr`` computed by Spark, as a temporary table of the project database."""
        path = self.directory / "stage" / f"{name}-{uuid.uuid4().hex[:8]}"
        self.spark.to_parquet(expr, path)
        self._staged[name] = path
        self.store.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM '
                               f"read_parquet('{path}/*.parquet')")
        return self.store.table(name)

    def drop(self, *names: str) -> None:
        """Forget staged tables: Spark views, Parquet files and the store's temporary tables."""
        for name in names:
            path = self._staged.pop(name, None)
            if path is not None:
                self.spark._session.catalog.dropTempView(f"custseg{name}")
                shutil.rmtree(path, ignore_errors=True)
        results.drop(self.store, *names)
