"""Where expressions are computed: the project database itself, or Apache Spark.

The pipeline builds the same Ibis expressions on every engine; a compute engine gives it the
canonical tables, materialises intermediate tables (``stage``), runs small aggregates
(``execute``) and brings per-customer results back to the project database (``to_store``),
which keeps every run. `DuckDBCompute` is the default and changes nothing: the tables are
already in the store. `custseg.io.spark.SparkCompute` reads the tables from Parquet handed
over by the project database and writes its results back the same way.

>>> import ibis
>>> con = ibis.duckdb.connect()
>>> _ = con.raw_sql("CREATE TABLE orders AS SELECT 1 AS n")
>>> compute = DuckDBCompute(con)
>>> staged = compute.stage(con.table("orders").mutate(m=2), "_t")
>>> compute.execute(staged.m.sum()), compute.to_store(staged, "_out") is staged
(2, True)
>>> compute.drop("_t")
"""

from __future__ import annotations

from typing import Any, Protocol

import ibis

from custseg.io import results


class Compute(Protocol):
    """What a segmentation run needs from an engine."""

    name: str

    def tables(self) -> dict[str, ibis.Table]: ...

    def stage(self, expr: ibis.Table, name: str) -> ibis.Table: ...

    def execute(self, expr: ibis.Expr) -> Any: ...

    def to_store(self, expr: ibis.Table, name: str) -> ibis.Table: ...

    def drop(self, *names: str) -> None: ...


class DuckDBCompute:
    """Compute in the project database (the default engine)."""

    name = "duckdb"

    def __init__(self, con: ibis.BaseBackend):
        self.con = con

    def tables(self) -> dict[str, ibis.Table]:
        """The canonical tables a run reads (`custseg.io.results.input_tables`)."""
        return results.input_tables(self.con)

    def stage(self, expr: ibis.Table, name: str) -> ibis.Table:
        return results.stage(self.con, expr, name)

    def execute(self, expr: ibis.Expr) -> Any:
        return self.con.execute(expr)

    def to_store(self, expr: ibis.Table, name: str) -> ibis.Table:
        """``expr`` itself: it already lives in the store."""
        return expr

    def drop(self, *names: str) -> None:
        results.drop(self.con, *names)
