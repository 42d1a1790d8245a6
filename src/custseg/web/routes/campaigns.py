"""Campaigns (SPEC §7, §8): the playbook, plans with a random holdout, recorded actions,
progress and evaluation — over the project's campaign methods, one at a time."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from custseg.errors import CustsegError
from custseg.web.deps import Analyst, AppState, Lang, Operator, StateDep, Viewer
from custseg.web.schemas import Message

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"])
NOT_FOUND = {404: {"model": Message}}
Record = dict[str, Any]
WRITES = ("plan_campaign", "record_action")


class CampaignPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    segment: str = Field(min_length=1, max_length=64)
    measure: str = Field(min_length=1, max_length=200)
    model: str | None = Field(default=None, max_length=64)
    holdout: float | None = Field(default=None, gt=0, lt=1)
    seed: int | None = Field(default=None, ge=0, lt=2**31)
    owner: str | None = Field(default=None, max_length=100)
    cost: float | None = Field(default=None, ge=0)
    start: date | None = None
    pre_days: int | None = Field(default=None, ge=1, le=3650)
    post_days: int | None = Field(default=None, ge=1, le=3650)


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1, max_length=64)
    status: Literal["planned", "sent", "done"]
    at: date
    measure: str | None = Field(default=None, max_length=200)
    owner: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=500)
    redeemed: bool | None = None
    converted: bool | None = None


def call(state: AppState, method: str, *args, **kwargs):
    """A project campaign method under the app's lock; unknown campaigns give 404."""
    with state.writing() if method in WRITES else state.lock:
        try:
            return getattr(state.project, method)(*args, **kwargs)
        except CustsegError as exc:
            if "no campaign" in str(exc).lower():
                raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
            raise


@router.get("", response_model=list[Record])
def list_campaigns(user: Viewer, state: StateDep) -> list[dict]:
    """Every campaign, newest first."""
    return call(state, "campaigns")


@router.post("", response_model=Record, status_code=status.HTTP_201_CREATED,
             responses={400: {"model": Message}})
def plan_campaign(body: CampaignPlan, user: Analyst, state: StateDep, lang: Lang) -> dict:
    """Draw a segment's target list and random holdout (objectors left out and counted)."""
    options = body.model_dump(exclude_none=True, exclude={"segment", "measure"})
    return call(state, "plan_campaign", body.segment, body.measure, lang=lang, **options)


@router.get("/playbook", response_model=list[Record], responses={400: {"model": Message}})
def playbook(user: Viewer, state: StateDep, lang: Lang,
             model: Annotated[str | None, Query(max_length=64)] = None) -> list[dict]:
    """One strategy per segment: direction, measures, owner, budget, KPI targets."""
    return call(state, "playbook", model, lang=lang)


@router.get("/status", response_model=Record, responses=NOT_FOUND)
def campaign_status(user: Viewer, state: StateDep,
                    by: Annotated[Literal["week", "month"], Query()] = "week",
                    campaign_id: Annotated[str | None, Query(max_length=64)] = None) -> dict:
    """Actions per period, campaign, segment and owner; reach, completion, redemption."""
    return call(state, "campaign_status", by=by, campaign_id=campaign_id)


@router.get("/{campaign_id}/evaluation", response_model=Record, responses=NOT_FOUND)
def evaluation(campaign_id: str, user: Viewer, state: StateDep, lang: Lang) -> dict:
    """Treated vs holdout per KPI with 95% intervals, targets met, and likely causes."""
    return call(state, "evaluate_campaign", campaign_id, lang=lang)


@router.post("/{campaign_id}/actions", response_model=Record,
             status_code=status.HTTP_201_CREATED,
             responses={**NOT_FOUND, 400: {"model": Message}})
def record_action(campaign_id: str, body: ActionIn, user: Operator, state: StateDep) -> dict:
    """Record that a customer of the campaign got (or will get) its measure."""
    values = {k: (str(v).lower() if isinstance(v, bool) else str(v))
              for k, v in body.model_dump(exclude_none=True).items()}
    values.setdefault("owner", user.username)
    return call(state, "record_action", campaign_id=campaign_id, **values)


@router.get("/{campaign_id}/targets.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}, **NOT_FOUND})
def export_targets(campaign_id: str, user: Operator, state: StateDep) -> Response:
    """The campaign's target list for execution, names and phones masked; audited."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{campaign_id}.csv"
        call(state, "export_campaign", campaign_id, path, user=user.username)
        content = path.read_bytes()
    return Response(content, media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="campaign_{campaign_id}.csv"'})
