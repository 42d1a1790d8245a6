"""Segmentation runs: features as of D → fit → assign in the engine → describe → store.

This is pipeline-level orchestration (it executes expressions); `custseg.pipeline.Project`
exposes it as `Project.segment`.
"""

from __future__ import annotations

import re
from datetime import date

from custseg import __version__
from custseg.config import Settings
from custseg.errors import CustsegError
from custseg.features import customer_features
from custseg.io import results
from custseg.io.compute import Compute, DuckDBCompute
from custseg.privacy.consent import objection_notice, profiling_objectors, without
from custseg.segment import build, describe, segment_stats
from custseg.segment.inputs import add_inputs
from custseg.segment.objectives import choose
from custseg.segment.result import SegmentResult


def _config(settings: Settings, model: str, as_of: date, lang: str) -> dict:
    data = settings.model_dump(mode="json")
    for source in data.get("sources", []):
        if source.get("url"):  # never store a database password in a run
            source["url"] = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", source["url"])
    if data.get("engine", {}).get("operational_store"):
        data["engine"]["operational_store"] = re.sub(
            r"(://[^:/@]+):[^@]*@", r"\1:***@", data["engine"]["operational_store"])
    return {"model": model, "as_of": as_of.isoformat(), "lang": lang,
            "window_months": settings.features.window_months, "version": __version__,
            "settings": data}


def resolve_as_of(con, settings: Settings, as_of: date | None) -> date:
    """The as-of date D: given, else ``[features] as_of``, else the latest order date."""
    as_of = as_of or settings.features.as_of or results.latest_order_date(con)
    if as_of is None:
        raise CustsegError("no orders loaded yet: ingest orders first, or give --as-of")
    return as_of


SNAPSHOT_FEATURES = ("has_ordered", "recency_days", "frequency", "monetary", "aov",
                     "ltv_historic")


def used_features(expr, segmenter):
    """``expr`` cut to the segmenter's features plus R, F, M, AOV and lifetime spend (which
    template 1 and the migration report read). The engine prunes the aggregates of the other
    columns, so a rule model over R, F, M costs about one GROUP BY. Unknown names keep every
    column, so the model's own check reports them with suggestions."""
    needed = segmenter.required_features()
    if needed is None or not set(needed) <= set(expr.columns):
        return expr
    keep = dict.fromkeys(["customer_id", *needed, *SNAPSHOT_FEATURES])
    return expr.select(*[c for c in keep if c in expr.columns])


def segment(con, settings: Settings, model: str | None = None, *, as_of: date | None = None,
            lang: str | None = None, store_features: bool = True,
            objective: str | None = None, compute: Compute | None = None) -> SegmentResult:
    """Run one segmentation and store it as a new run; see `Project.segment`.

    ``compute`` is the engine that computes features and assignments (default: the project
    database itself; `custseg.io.spark.SparkCompute` for Spark); results are stored in ``con``.
    """
    if objective:  # the objective's model and dimensions; an explicit model wins
        choice = choose(objective, model)
        settings = settings.model_copy(
            update={"segmentation": choice.apply(settings.segmentation)})
        model = choice.model
    name = model or settings.segmentation.model
    segmenter = build(name, settings.segmentation)
    lang = lang or settings.project.language
    as_of = resolve_as_of(con, settings, as_of)
    window = settings.features.window_months
    compute = compute or DuckDBCompute(con)
    tables = compute.tables()
    try:
        expr = customer_features(tables, as_of=as_of, window_months=window)
        if getattr(segmenter, "needs_inputs", False):
            expr = add_inputs(expr, tables, as_of=as_of, window_months=window)
        objectors = profiling_objectors(tables["customers"])  # SPEC §10: kept out, counted
        features = compute.stage(without(used_features(expr, segmenter), objectors),
                                 "_features")
        left_out = int(compute.execute(objectors.count()))
        segmenter.fit(features)
        assigned = compute.stage(segmenter.assign(features), "_assigned")
        texts = {lg: segmenter.texts(lg) for lg in ("zh", "en")} if hasattr(
            segmenter, "texts") else {}
        result = describe(compute.execute(segment_stats(features, assigned)),
                          segmenter.segments_, texts, model=name,
                          dimensions=getattr(segmenter, "dimensions_", []),
                          window_months=window, currency=settings.segmentation.currency,
                          as_of=as_of)
        result.warnings += getattr(segmenter, "notices_", [])  # e.g. unstable clusters
        result.warnings += [objection_notice(left_out)] if left_out else []
        names = {s.id: s.name(lang) for s in segmenter.segments_}
        labelled = assigned.select("customer_id", "segment_id",
                                   segment_name=assigned.segment_id.substitute(names))
        detail = getattr(segmenter, "detail_table", None)
        run_id = results.new_run_id()
        results.save_segmentation(
            con, run_id=run_id, as_of=as_of, model=name,
            config=_config(settings, name, as_of, lang) | {"excluded_objects_profiling":
                                                           left_out},
            assignments=compute.to_store(labelled, "_labelled"),
            summary=result.table,
            features=compute.to_store(features, "_features_out") if store_features else None,
            details=(detail, compute.to_store(assigned.drop("segment_id"), "_details"))
            if detail else None, charts=getattr(segmenter, "charts_", None))
    finally:
        compute.drop("_features", "_assigned", "_labelled", "_features_out", "_details")
    result.run_id = run_id
    return result
