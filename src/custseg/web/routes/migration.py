"""Migration between two snapshots of one segmentation (SPEC §9)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from custseg import snapshots
from custseg.errors import CustsegError
from custseg.web.deps import AppState, DbDep, Lang, StateDep, Viewer
from custseg.web.privacy import CursorBackend
from custseg.web.schemas import Message

router = APIRouter(prefix="/api/migration", tags=["migration"])
RunQ = Annotated[str | None, Query(max_length=64)]


def default_runs(db, model: str | None) -> tuple[str, str]:
    """The two latest snapshots (by as-of date) of ``model`` (default: the latest model with
    two runs), earlier first."""
    runs = [r for r in snapshots.list_runs(CursorBackend(db)) if r["kind"] == "segment"]
    model = model or next((r["model"] for r in runs
                           if sum(s["model"] == r["model"] for s in runs) >= 2), None)
    mine = sorted((r for r in runs if r["model"] == model),
                  key=lambda r: (r["as_of"] or "", r["created_at"]))
    if len(mine) < 2:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            "migration needs two runs of one segmentation model")
    return mine[-2]["run_id"], mine[-1]["run_id"]


def migration_report(state: AppState, db, *, model: str | None, run_a: str | None,
                     run_b: str | None, lang: str) -> dict:
    if not (run_a and run_b):
        run_a, run_b = default_runs(db, model)
    with state.lock:
        try:
            return snapshots.migration(state.project.connect(), run_a, run_b, model=model,
                                       lang=lang)
        except CustsegError as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


@router.get("", response_model=dict[str, Any], responses={404: {"model": Message}})
def migration(user: Viewer, state: StateDep, db: DbDep, lang: Lang,
              model: Annotated[str | None, Query(max_length=64)] = None,
              run_a: RunQ = None, run_b: RunQ = None) -> dict:
    """From → to matrix, largest flows, movers, drift and Sankey data between two runs
    (default: the model's two latest)."""
    return migration_report(state, db, model=model, run_a=run_a, run_b=run_b, lang=lang)
