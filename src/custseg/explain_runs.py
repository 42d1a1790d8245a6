"""Explain one customer's stored assignments and predictions (`Project.explain`).

Pipeline-level orchestration: reads the stored runs (config, assignments, features, RFM
scores, predictions), rebuilds each run's rules or cases from its saved settings and the
features it stored, and evaluates the explanation expressions of
`custseg.privacy.explain` for the one customer.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from custseg.clv import rfm_summary
from custseg.config import SegmentationSettings, Settings
from custseg.errors import CustsegError
from custseg.features import customer_features
from custseg.io import results
from custseg.predict import purchases
from custseg.privacy import explain as ex
from custseg.segment import build
from custseg.segment.cases import CaseSegmenter
from custseg.segment.kmeans import RFM

SCORES = ("r_score", "f_score", "m_score")


def _rows(con, sql: str, params: list) -> list[dict]:
    cur = con.con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _tables(con) -> set[str]:
    return {r[0] for r in con.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def resolve(con, customer_id: str) -> str:
    """The surviving id of ``customer_id`` (a merged source id points to it)."""
    found = con.con.execute("SELECT surviving_id FROM identity_map WHERE customer_id = ?",
                            [customer_id]).fetchone()
    cid = found[0] if found else customer_id
    if not con.con.execute("SELECT 1 FROM customers WHERE customer_id = ?", [cid]).fetchone():
        raise CustsegError(f"no customer {customer_id!r} in this project")
    return cid


def _latest(rows: list[dict], key: str, all_runs: bool) -> list[dict]:
    if all_runs:
        return rows
    seen, out = set(), []
    for r in rows:
        if r[key] not in seen:
            seen.add(r[key])
            out.append(r)
    return out


def _one(con, expr) -> dict[str, Any]:
    rows = con.to_pyarrow(expr).to_pylist()
    return rows[0] if rows else {}


def _segment(con, run: dict, cid: str, lang: str) -> dict:
    config = json.loads(run["config"])
    model = config.get("model")
    out = {"run_id": run["run_id"], "model": model, "as_of": ex._plain(run["as_of"]),
           "segment_id": run["segment_id"], "segment_name": run["segment_name"],
           "definition": run.get(f"dimensions_{lang}")}
    if "features" not in _tables(con):
        return out | {"method": "definition", "note": "the run stored no features"}
    f = con.table("features")
    f = f.filter(f.run_id == run["run_id"]).drop("run_id")
    row = f.filter(f.customer_id == cid)
    values = _one(con, row)
    if not values:
        return out | {"method": "definition", "note": "the run stored no features"}
    try:
        seg_settings = SegmentationSettings.model_validate(
            config.get("settings", {}).get("segmentation", {}))
    except ValidationError:
        seg_settings = SegmentationSettings()
    return out | _model_explanation(con, model, seg_settings, f, row, values, run, lang)


def _model_explanation(con, model, seg_settings, f, row, values, run, lang) -> dict:
    assigned = run["segment_id"]
    if model == "rfm-rules":
        seg = build(model, seg_settings).fit(f)
        holds = _one(con, ex.rule_checks(row, seg.rules_))
        return ex.explain_rules(seg.rules_, holds, values, assigned, lang)
    if model == "rfm-scores" and "rfm_scores" in _tables(con):
        seg = build(model, seg_settings).fit(f)
        s = con.table("rfm_scores")
        srow = s.filter((s.run_id == run["run_id"]) & (s.customer_id == values["customer_id"])
                        ).select(*SCORES)
        scores = _one(con, srow)
        holds = _one(con, ex.rule_checks(srow, seg.rules_))
        return ex.explain_rules(seg.rules_, holds, {**values, **scores}, assigned, lang)
    if model == "kmeans":
        if assigned == "N":
            return {"method": "cluster", "note": "never ordered: not clustered (R = ∞)"}
        columns = [c for c in (seg_settings.cluster_features or RFM) if c in f.columns]
        a = con.table("segment_assignments")
        a = a.filter(a.run_id == run["run_id"])
        rows = con.to_pyarrow(ex.cluster_profile(f, a, columns, values["customer_id"])
                              ).to_pylist()
        return ex.explain_cluster(rows, run.get(f"dimensions_{lang}"))
    seg = build(model, seg_settings) if model else None
    if isinstance(seg, CaseSegmenter):
        seg.fit(f)
        table = seg._with_first(row) if hasattr(seg, "_with_first") else row
        holds = _one(con, ex.case_checks(table, seg.cases_))
        shown = _one(con, table)
        return ex.explain_cases(seg.cases_, holds, shown, assigned, lang)
    dims = list(getattr(seg_settings.demographic, "attributes", [])) if model == (
        "demographic") else ["recency_days", "frequency", "monetary"]
    return {"method": "definition", "values": {d: ex._plain(values.get(d)) for d in dims}}


def _predictions(con, settings: Settings, cid: str, all_runs: bool) -> list[dict]:
    if "predictions" not in _tables(con):
        return []
    rows = _rows(con, "SELECT p.*, r.as_of, r.config FROM predictions p JOIN runs r USING "
                 "(run_id) WHERE p.customer_id = ? ORDER BY r.created_at DESC", [cid])
    out = []
    for row in rows if all_runs else rows[:1]:
        config = json.loads(row.pop("config"))
        as_of = row.pop("as_of")
        val = config.get("validation", {})
        factors = {"churn": (val.get("churn") or {}).get("top_factors", [])}
        for k, rep in (val.get("propensity") or {}).items():
            factors[f"propensity_{k}"] = (rep or {}).get("top_factors", [])
        names = sorted({f["feature"] for items in factors.values() for f in items})
        values, medians = _feature_values(con, settings, cid, as_of, names)
        orders = con.table("orders")
        bought = purchases(orders.filter(orders.order_date.cast("date") <= as_of))
        summary = rfm_summary(bought, calibration_end=as_of,
                              time_unit=config.get("time_unit", "W"))
        hist = _one(con, summary.filter(summary.customer_id == cid).select(
            "frequency", "recency", "T", "monetary_value"))
        out.append({"run_id": row["run_id"], "as_of": ex._plain(as_of)}
                   | ex.explain_prediction(row, factors, values, medians, hist))
    return out


def _feature_values(con, settings: Settings, cid: str, as_of, names: list[str]
                    ) -> tuple[dict, dict]:
    if not names:
        return {}, {}
    expr = customer_features(results.input_tables(con), as_of=as_of,
                             window_months=settings.features.window_months)
    names = [n for n in names if n in expr.columns]
    try:
        staged = results.stage(con, expr.select("customer_id", *names), "_explain_features")
        values = _one(con, staged.filter(staged.customer_id == cid))
        medians = _one(con, staged.aggregate(**{n: staged[n].cast("float64").median()
                                                for n in names})) if names else {}
    finally:
        results.drop(con, "_explain_features")
    return values, medians


def explain(con, settings: Settings, customer_id: str, *, all_runs: bool = False,
            lang: str | None = None) -> dict:
    """Why the customer is in each segment and why each prediction: see `Project.explain`."""
    lang = lang or settings.project.language
    cid = resolve(con, customer_id)
    objects = _one(con, con.table("customers").filter(
        con.table("customers").customer_id == cid).select("objects_profiling")) if (
        "objects_profiling" in con.table("customers").columns) else {}
    out: dict[str, Any] = {"customer_id": cid,
                           "objects_profiling": bool(objects.get("objects_profiling")),
                           "segmentations": [], "predictions": []}
    if "segment_assignments" in _tables(con):
        runs = _rows(con, "SELECT a.run_id, a.segment_id, a.segment_name, r.as_of, r.config, "
                     "json_extract_string(r.config, '$.model') AS model, s.dimensions_zh, "
                     "s.dimensions_en FROM segment_assignments a JOIN runs r USING (run_id) "
                     "LEFT JOIN segment_summary s ON s.run_id = a.run_id AND "
                     "s.segment_id = a.segment_id WHERE a.customer_id = ? "
                     "ORDER BY r.created_at DESC", [cid])
        out["segmentations"] = [_segment(con, r, cid, lang)
                                for r in _latest(runs, "model", all_runs)]
    out["predictions"] = _predictions(con, settings, cid, all_runs)
    if out["objects_profiling"]:
        out["note"] = ("the customer objects to profiling: runs since the objection hold no "
                       "assignment or prediction for them")
    return out
