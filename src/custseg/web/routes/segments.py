"""Segmentations: template 1 of a run, the models with their latest runs, and the members
of a segment (paged, searchable, exportable as CSV)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status

from custseg import snapshots
from custseg.errors import CustsegError
from custseg.io import profiles
from custseg.io.accounts import User
from custseg.web.deps import DbDep, Lang, Operator, StateDep, StoreDep, Viewer
from custseg.web.exports import csv_response
from custseg.web.privacy import CursorBackend, audit_event, audit_view
from custseg.web.routes.customers import Limit, Offset, Search, masked_page, search_hashes
from custseg.web.schemas import MemberPage, Message, ModelRun, SegmentTable
from custseg.web.security import sees_personal

router = APIRouter(prefix="/api/segments", tags=["segments"])
NOT_FOUND = {404: {"model": Message}}
ModelQ = Annotated[str | None, Query(max_length=64, description="segmentation model, e.g. "
                                     "rfm-rules (default: the latest run of any model)")]
RunQ = Annotated[str | None, Query(max_length=64, description="a run id (default: the "
                                   "model's latest run)")]
LangQ = Annotated[str | None, Query(pattern="^(zh|en)$", description="label language")]


def find_run(db, model: str | None, run_id: str | None) -> dict:
    """The run asked for (by id, else the latest of ``model``) with its template 1; 404 when
    there is none."""
    run_id = run_id or profiles.latest_run_id(db, model)
    if run_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"no segmentation run{f' of {model}' if model else ''} yet")
    try:
        run = snapshots.get_run(CursorBackend(db), run_id)
    except CustsegError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    if run["kind"] != "segment" or (model and run["model"] != model):
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"run {run_id} is not a {model or 'segmentation'} run")
    return run


def template_one(run: dict, lang: str) -> dict:
    """Template 1 (客户细分结果表) of a run in ``lang``."""
    rows = [{"segment_id": s["segment_id"], "name": s[f"name_{lang}"],
             "dimensions": s[f"dimensions_{lang}"],
             "characteristics": s[f"characteristics_{lang}"], "customers": s["customers"],
             "share_pct": round(s["share_pct"], 2), "keywords": s[f"keywords_{lang}"],
             "owner": s["owner"]} for s in run.get("segments", [])]
    return {"model": run["model"], "run_id": run["run_id"], "as_of": run["as_of"],
            "lang": lang, "total": sum(r["customers"] for r in rows), "segments": rows}


@router.get("", response_model=SegmentTable, responses=NOT_FOUND)
def segment_table(user: Viewer, db: DbDep, ui_lang: Lang, model: ModelQ = None,
                  run_id: RunQ = None, lang: LangQ = None) -> dict:
    """The segment result table (template 1) of the latest run of ``model``."""
    return template_one(find_run(db, model, run_id), lang or ui_lang)


@router.get("/models", response_model=list[ModelRun])
def models(user: Viewer, db: DbDep) -> list[dict]:
    """Every segmentation model that has runs, with its latest run."""
    return profiles.segment_models(db)


def members(db, user: User, segment_id: str, model: str | None, run_id: str | None, *,
            limit: int, offset: int, q: str | None, privacy=None) -> dict:
    run = find_run(db, model, run_id)
    if segment_id not in {s["segment_id"] for s in run.get("segments", [])}:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"run {run['run_id']} has no segment {segment_id!r}")
    page = profiles.segment_members(db, run["run_id"], segment_id, limit=limit,
                                    offset=offset, q=q,
                                    personal_search=sees_personal(user.role),
                                    search_hashes=search_hashes(user, privacy, q))
    return {**masked_page(page, user, privacy), "run_id": run["run_id"], "segment_id": segment_id}


@router.get("/{segment_id}/customers", response_model=MemberPage, responses=NOT_FOUND)
def segment_customers(segment_id: str, user: Viewer, state: StateDep, db: DbDep,
                      store: StoreDep,
                      model: ModelQ = None,
                      run_id: RunQ = None, limit: Limit = 50, offset: Offset = 0,
                      q: Search = None) -> dict:
    """A page of the segment's customers (personal fields masked for operators and
    viewers)."""
    page = members(db, user, segment_id, model, run_id, limit=limit, offset=offset, q=q,
                   privacy=state.project.privacy)
    if page["items"]:
        audit_view(store, user, f"segment {segment_id} of run {page['run_id']}",
                   f"member list of {len(page['items'])} from offset {offset}")
    return page


@router.get("/{segment_id}/customers.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}, **NOT_FOUND})
def export_segment(segment_id: str, user: Operator, state: StateDep, db: DbDep,
                   store: StoreDep,
                   model: ModelQ = None,
                   run_id: RunQ = None,
                   personal: Annotated[bool, Query(description="analysts and admins: export "
                                                   "personal fields in clear")] = False):
    """The segment's customers as CSV for execution: masked unless an analyst or admin asks
    for ``personal=true``. Every export is audited."""
    clear = personal and sees_personal(user.role)
    viewer = user if clear else User(user.username, "operator")
    page = members(db, viewer, segment_id, model, run_id, limit=1_000_000, offset=0, q=None,
                   privacy=state.project.privacy)
    audit_event(store, user, "export", f"segment {segment_id} of run {page['run_id']}",
                f"{len(page['items'])} customers, {'clear' if clear else 'masked'} csv")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{page['run_id']}_{segment_id}.csv")
    return csv_response(page["items"], list(profiles.LIST_COLUMNS), name)
