"""Playbook and campaigns over a project database: plan, track, evaluate (SPEC §7, §8).

Pipeline-level orchestration (it executes expressions); `custseg.pipeline.Project` exposes
each function as a method. Business rules live in `custseg.playbook` and
`custseg.campaigns`; tables in `custseg.io.campaign_store`.
"""

from __future__ import annotations

import difflib
import getpass
import json
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path

from custseg.campaigns import arm_stats, diagnose, draw, evaluate_kpis, objectors, outcomes
from custseg.campaigns.progress import execution, progress
from custseg.campaigns.targets import parse_share
from custseg.config import Settings
from custseg.errors import CustsegError
from custseg.io import audit, results
from custseg.io import campaign_store as store
from custseg.playbook import Strategy, build_playbook
from custseg.segment import MODELS

SUMMARY = ("segment_id", "name_zh", "name_en", "keywords_zh", "keywords_en", "customers",
           "share_pct")


def _model(settings: Settings, model: str | None) -> str:
    return model or settings.playbook.model or settings.segmentation.model


def latest_run(con, model: str) -> dict | None:
    """``run_id, as_of`` of the newest segmentation run of ``model``, or None."""
    results.ensure_result_tables(con)
    row = con.con.execute(
        "SELECT run_id, as_of FROM runs WHERE kind = 'segment' AND "
        "json_extract_string(config, '$.model') = ? ORDER BY created_at DESC LIMIT 1",
        [model]).fetchone()
    return {"run_id": row[0], "as_of": row[1]} if row else None


def _summary(con, run_id: str) -> list[dict]:
    cur = con.con.execute(f"SELECT {', '.join(SUMMARY)} FROM segment_summary WHERE run_id = ? "
                          "ORDER BY position", [run_id])
    return [dict(zip(SUMMARY, r, strict=True)) for r in cur.fetchall()]


def playbook(con, settings: Settings, model: str | None = None) -> tuple[str, list[Strategy]]:
    """The model and its playbook: the segments of its latest run, else its defaults."""
    name = _model(settings, model)
    if name not in MODELS:
        close = difflib.get_close_matches(name, MODELS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise CustsegError(f"unknown model {name!r}{hint}; models: {', '.join(MODELS)}")
    run = latest_run(con, name)
    segments = _summary(con, run["run_id"]) if run else None
    book = build_playbook(name, settings.playbook, segments)
    if not book:
        raise CustsegError(f"no {name} segmentation yet and no default playbook for it; run "
                           f"`custseg segment --model {name}` first")
    return name, book


def _strategy(con, settings: Settings, model: str, run_id: str, segment: str) -> Strategy:
    book = build_playbook(model, settings.playbook, _summary(con, run_id))
    for row in book:
        if row.segment_id == segment:
            return row
    known = ", ".join(s.segment_id for s in book)
    raise CustsegError(f"--segment {segment!r} is not a segment of the latest {model} run "
                       f"{run_id} (segments: {known})")


def plan_campaign(con, settings: Settings, *, segment: str, measure: str,
                  model: str | None = None, holdout: float | str | None = None,
                  seed: int | None = None, owner: str | None = None,
                  cost: float | None = None, start: date | None = None,
                  pre_days: int | None = None, post_days: int | None = None,
                  lang: str | None = None) -> dict:
    """Draw the target list and a random holdout from a segment of the model's latest run.

    Customers who object to marketing or profiling are left out and counted
    (``excluded_objectors``, see `custseg.campaigns.objectors`).
    The start defaults to the day after the run's as-of date; ``seed`` defaults to a random
    one, stored so the draw can be repeated.
    """
    name = _model(settings, model)
    run = latest_run(con, name)
    if run is None:
        raise CustsegError(f"no {name} segmentation yet; run `custseg segment --model {name}` "
                           "first")
    strategy = _strategy(con, settings, name, run["run_id"], segment)
    chosen = strategy.measure(measure)
    share = parse_share(holdout if holdout is not None else settings.campaigns.holdout)
    seed = int(seed) if seed is not None else secrets.randbelow(2 ** 31)
    assigned = con.table("segment_assignments")
    members = assigned.filter((assigned.run_id == run["run_id"])
                              & (assigned.segment_id == segment)).select("customer_id")
    total = con.execute(members.count())
    members = members.anti_join(objectors(con.table("customers")), "customer_id")
    excluded = total - con.execute(members.count())
    if total - excluded < 2:
        raise CustsegError(f"segment {segment} of run {run['run_id']} has {total - excluded} "
                           "customers who may be contacted; a campaign needs at least 2")
    lang = lang or settings.project.language
    row = {"campaign_id": store.next_campaign_id(con), "created_at": datetime.now(),
           "model": name, "segment_run_id": run["run_id"], "segment_id": segment,
           "segment_name": strategy.name(lang), "measure": chosen.key, "holdout_share": share,
           "seed": seed, "owner": owner or strategy.owner(lang), "cost": cost,
           "pre_days": pre_days or settings.campaigns.pre_days,
           "post_days": post_days or settings.campaigns.post_days,
           "start_date": start or run["as_of"] + timedelta(days=1), "status": "planned",
           "excluded_objectors": excluded}
    arms = store.save_campaign(con, row, draw(members, share=share, seed=seed))
    return {**row, "measure_name": chosen.name(lang), "target_customers": arms["target"],
            "holdout_customers": arms["holdout"]}


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"


def export_campaign(con, settings: Settings, campaign_id: str, path: Path, *,
                    lang: str | None = None, reveal=None, user: str | None = None) -> int:
    """Write the campaign's target list, masked, to ``path`` and log the export in the audit
    log; ``reveal`` decrypts personal values when they are encrypted at rest."""
    camp = store.get_campaign(con, campaign_id)
    lang = lang or settings.project.language
    try:
        name = _strategy(con, settings, camp["model"], camp["segment_run_id"],
                         camp["segment_id"]).measure(camp["measure"]).name(lang)
    except CustsegError:
        name = camp["measure"]
    rows = store.export_list(con, campaign_id, path, measure_name=name, reveal=reveal)
    audit.record(con, user=user or _login(), action="export",
                 target=f"campaign {campaign_id}",
                 detail=f"masked target list, {rows} rows, {Path(path).name}")
    return rows


def _jsonable(row: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in row.items()}


def campaigns(con) -> list[dict]:
    """Every campaign, newest first, with JSON-friendly values."""
    return [_jsonable(r) for r in store.list_campaigns(con)]


def campaign_status(con, *, by: str = "week", campaign_id: str | None = None) -> dict:
    """Progress per period, campaign, segment and owner, and a summary per campaign."""
    store.ensure_campaign_tables(con)
    acts = con.table("actions")
    if campaign_id is not None:
        store.get_campaign(con, campaign_id)
        acts = acts.filter(acts.campaign_id == campaign_id)
    frame = con.execute(progress(acts, by=by))
    frame["period"] = frame["period"].map(lambda d: d.date() if hasattr(d, "date") else d)
    rows = frame.to_dict("records")
    summary = []
    for camp in store.list_campaigns(con):
        if campaign_id is None or camp["campaign_id"] == campaign_id:
            summary.append({"campaign_id": camp["campaign_id"], "segment_id": camp["segment_id"],
                            "measure": camp["measure"], "owner": camp["owner"],
                            "status": camp["status"], **_execution(con, camp["campaign_id"])})
    return {"by": by, "rows": [_jsonable(r) for r in rows], "campaigns": summary}


def _execution(con, campaign_id: str) -> dict:
    acts = con.table("actions")
    acts = acts.filter(acts.campaign_id == campaign_id)
    frame = con.execute(execution(acts, store.members(con, campaign_id)))
    return {k: int(v) for k, v in frame.iloc[0].items()}


def evaluate_campaign(con, settings: Settings, campaign_id: str, *, cost: float | None = None,
                      lang: str | None = None) -> dict:
    """Treated vs holdout for every KPI with data, against the playbook targets, with
    diagnostics; see `custseg.campaigns.evaluate`."""
    camp = store.get_campaign(con, campaign_id)
    lang = lang or settings.project.language
    start = camp["start_date"]
    pre, post = camp["pre_days"], camp["post_days"]
    optional = results.tables_with_rows(con, ["interactions"])
    outcome = outcomes(store.members(con, campaign_id), con.table("orders"), start=start,
                       pre_days=pre, post_days=post,
                       interactions=con.table("interactions") if optional else None)
    frame = con.execute(arm_stats(outcome))
    stats = {r["arm"]: r for r in frame.to_dict("records")}
    try:
        strategy = _strategy(con, settings, camp["model"], camp["segment_run_id"],
                             camp["segment_id"])
        targets, measure = strategy.kpis, strategy.measure(camp["measure"]).name(lang)
    except CustsegError:  # the playbook changed since: no targets, the stored measure key
        targets, measure = {}, camp["measure"]
    cost = cost if cost is not None else camp["cost"]
    kpis = evaluate_kpis(stats, targets, cost=cost, lang=lang)
    done = _execution(con, campaign_id)
    data_end = results.latest_order_date(con)
    post_end = start + timedelta(days=post)
    notes = diagnose(kpis, done, data_end=data_end, post_end=post_end - timedelta(days=1),
                     post_start=start)
    judged = [k["met"] for k in kpis if k["met"] is not None]
    return json.loads(json.dumps({
        **_jsonable(camp), "measure_name": measure,
        "pre_window": [start - timedelta(days=pre), start - timedelta(days=1)],
        "post_window": [start, post_end - timedelta(days=1)], "data_through": data_end,
        "arms": {"target": camp["target_customers"], "holdout": camp["holdout_customers"]},
        "cost": cost, "kpis": kpis, "execution": done, "diagnostics": notes,
        "targets_met": all(judged) if judged else None}, default=str, ensure_ascii=False))


def import_actions(con, settings: Settings, path: Path) -> dict:
    """Record the actions of a CSV/Excel file; bad rows go to the quarantine."""
    return store.import_actions(con, Path(path), day_first=settings.ingest.day_first)


def record_action(con, settings: Settings, **values: str | None) -> dict:
    """Record one action (``customer_id, campaign_id, measure, status, owner, at, note,
    redeemed, converted`` as text)."""
    return store.record_action(con, values, day_first=settings.ingest.day_first)
