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
from custseg.segment import build, describe, segment_stats
from custseg.segment.inputs import add_inputs
from custseg.segment.objectives import choose
from custseg.segment.result import SegmentResult


def _config(settings: Settings, model: str, as_of: date, lang: str) -> dict:
    data = settings.model_dump(mode="json")
    for source in data.get("sources", []):
        if source.get("url"):  # never store a database password in a run
            source["url"] = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", source["url"])
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
            objective: str | None = None) -> SegmentResult:
    """Run one segmentation and store it as a new run; see `Project.segment`."""
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
    tables = results.input_tables(con)
    try:
        expr = customer_features(tables, as_of=as_of, window_months=window)
        if getattr(segmenter, "needs_inputs", False):
            expr = add_inputs(expr, tables, as_of=as_of, window_months=window)
        features = results.stage(con, used_features(expr, segmenter), "_features")
        segmenter.fit(features)
        assigned = results.stage(con, segmenter.assign(features), "_assigned")
        texts = {lg: segmenter.texts(lg) for lg in ("zh", "en")} if hasattr(
            segmenter, "texts") else {}
        result = describe(con.execute(segment_stats(features, assigned)),
                          segmenter.segments_, texts, model=name,
                          dimensions=getattr(segmenter, "dimensions_", []),
                          window_months=window, currency=settings.segmentation.currency,
                          as_of=as_of)
        names = {s.id: s.name(lang) for s in segmenter.segments_}
        labelled = assigned.select("customer_id", "segment_id",
                                   segment_name=assigned.segment_id.substitute(names))
        detail = getattr(segmenter, "detail_table", None)
        run_id = results.new_run_id()
        results.save_segmentation(
            con, run_id=run_id, as_of=as_of, config=_config(settings, name, as_of, lang),
            model=name, assignments=labelled, summary=result.table,
            features=features if store_features else None,
            details=(detail, assigned.drop("segment_id")) if detail else None)
    finally:
        results.drop(con, "_features", "_assigned")
    result.run_id = run_id
    return result
