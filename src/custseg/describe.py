"""Structure analysis of the customer base (seed 000 描述性统计): what ``custseg describe`` shows.

Pipeline-level orchestration: builds the feature table as of D and the expressions of
`custseg.features.structure`, executes them, and returns plain data for the CLI, the API
and the report.
"""

from __future__ import annotations

from datetime import date

from custseg.config import Settings
from custseg.errors import CustsegError
from custseg.features import FEATURES, customer_features
from custseg.features.structure import (
    DIMENSIONS,
    concentration,
    customer_dimensions,
    distribution,
    feature_stats,
)
from custseg.io import results
from custseg.runs import resolve_as_of

NUMERIC = [name for name in FEATURES if name not in (
    "as_of", "has_ordered", "first_order_date", "last_order_date", "registration_date",
    "registered_in_window", "repurchased")] + ["repurchased"]


def _records(con, expr) -> list[dict]:
    return con.to_pyarrow(expr).to_pylist()


def latest_run(con, model: str) -> str:
    """The newest stored run of a segmentation model."""
    row = con.con.execute(
        "SELECT r.run_id FROM runs r WHERE r.run_id IN (SELECT DISTINCT run_id FROM "
        "segment_assignments WHERE model = ?) ORDER BY r.created_at DESC LIMIT 1", [model]
    ).fetchone()
    if row is None:
        raise CustsegError(f"no stored run of model {model!r}; run `custseg segment --model "
                           f"{model}` first")
    return row[0]


def describe(con, settings: Settings, *, as_of: date | None = None,
             model: str | None = None, lorenz_points: int = 20) -> dict:
    """Distributions, feature statistics (overall and per segment of ``model``'s latest run),
    and revenue/profit concentration (Pareto top 20% share, Lorenz curve, Gini)."""
    as_of = resolve_as_of(con, settings, as_of)
    tables = results.input_tables(con)
    features = results.stage(con, customer_features(
        tables, as_of=as_of, window_months=settings.features.window_months), "_describe_f")
    try:
        rows = results.stage(con, customer_dimensions(con.table("customers"), features,
                                                      as_of=as_of), "_describe_d")
        numeric = [c for c in NUMERIC if c in features.columns]
        out = {
            "as_of": as_of.isoformat(),
            "customers": con.execute(features.count()),
            "distributions": {d: _records(con, distribution(rows, d)) for d in DIMENSIONS},
            "features": _records(con, feature_stats(features, numeric)),
        }
        if model:
            run_id = latest_run(con, model)
            seg = con.table("segment_assignments")
            seg = seg.filter((seg.run_id == run_id) & (seg.model == model)).select(
                "customer_id", "segment_id")
            out["segment_run"] = run_id
            out["features_by_segment"] = _records(con, feature_stats(features, numeric, seg))
        for measure in ("revenue", "profit"):
            summary, lorenz = concentration(rows, measure, points=lorenz_points)
            [out[f"{measure}_concentration"]] = _records(con, summary)
            out[f"{measure}_concentration"]["lorenz"] = _records(con, lorenz)
        return out
    finally:
        results.drop(con, "_describe_f", "_describe_d")
