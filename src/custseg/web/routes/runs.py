"""Runs (snapshots): list, show, start a segmentation or prediction, remove."""

from __future__ import annotations

import warnings

from fastapi import APIRouter, HTTPException, status

from custseg import snapshots
from custseg.errors import CustsegError, CustsegWarning
from custseg.web.deps import Analyst, DbDep, StateDep, Viewer
from custseg.web.privacy import CursorBackend
from custseg.web.schemas import Message, RunCreated, RunDetail, RunInfo, RunRequest

router = APIRouter(prefix="/api/runs", tags=["runs"])
NOT_FOUND = {404: {"model": Message}}


@router.get("", response_model=list[RunInfo])
def list_runs(user: Viewer, db: DbDep) -> list[dict]:
    """Every run, newest first."""
    return snapshots.list_runs(CursorBackend(db))


@router.get("/{run_id}", response_model=RunDetail, responses=NOT_FOUND)
def get_run(run_id: str, user: Viewer, db: DbDep) -> dict:
    """A run with its config and, for segmentations, template 1 in both languages."""
    try:
        return snapshots.get_run(CursorBackend(db), run_id)
    except CustsegError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


@router.post("", response_model=RunCreated, status_code=status.HTTP_201_CREATED,
             responses={400: {"model": Message}})
def start_run(body: RunRequest, user: Analyst, state: StateDep) -> dict:
    """Run a segmentation (``kind=segment``, ``model``) or the predictions (``kind=predict``)
    as of ``as_of`` and store it; analysts and admins only. Runs one at a time. custseg's
    warnings come back in ``warnings``."""
    with state.writing() as project, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CustsegWarning)
        if body.kind == "predict":
            result = project.predict(as_of=body.as_of)
            out = {"run_id": result.run_id, "kind": "predict", "model": None}
        else:
            result = project.segment(body.model, as_of=body.as_of)
            out = {"run_id": result.run_id, "kind": "segment", "model": result.model}
    for w in caught:
        if not issubclass(w.category, CustsegWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return {**out, "warnings": [str(w.message) for w in caught
                                if issubclass(w.category, CustsegWarning)]}


@router.delete("/{run_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def remove_run(run_id: str, user: Analyst, state: StateDep) -> None:
    """Delete a run and everything stored under its id."""
    with state.writing() as project:
        try:
            snapshots.remove_run(project.connect(), run_id)
        except CustsegError as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
