"""Campaign pages: plans and progress, planning a campaign (analysts), one campaign's
evaluation with its lift chart, and recording actions (operators)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse

from custseg.errors import CustsegError
from custseg.web import templating
from custseg.web.deps import Lang, PageUser, StateDep
from custseg.web.routes.campaigns import ActionIn, call
from custseg.web.routes.pages import forbidden
from custseg.web.security import allowed

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=200)]


def _lift_chart(kpis: list[dict], lang: str) -> list[dict]:
    lifts = [k for k in kpis if k.get("lift") is not None]
    shown = [k for k in lifts if k.get("kind") == "proportion"] or lifts  # one scale
    if not shown:
        return []
    return [{"id": "lift", "data": [{
        "type": "bar", "x": [k.get("label") or k["name"] for k in shown],
        "y": [k["lift"] for k in shown],
        "error_y": {"type": "data", "symmetric": False,
                    "array": [(k["ci_high"] or k["lift"]) - k["lift"] for k in shown],
                    "arrayminus": [k["lift"] - (k["ci_low"] or k["lift"]) for k in shown]}}],
        "layout": {"title": {"text": templating.t("web_lift", lang)}, "height": 340,
                   "margin": {"t": 40, "l": 50, "r": 20, "b": 80}}}]


@router.get("/campaigns")
def campaigns_page(request: Request, user: PageUser, state: StateDep, lang: Lang,
                   notice: str | None = None):
    progress = call(state, "campaign_status", by="week")
    try:
        book = call(state, "playbook", None, lang=lang)
    except CustsegError:
        book = []
    return templating.render(request, "campaigns.html", user=user, lang=lang,
                             campaigns=call(state, "campaigns"), progress=progress,
                             playbook=book, can_plan=allowed(user.role, "analyst"),
                             notice=notice)


@router.post("/campaigns")
def plan_page(request: Request, user: PageUser, state: StateDep, lang: Lang,
              plan: Annotated[str, Form(max_length=300)]):
    if not allowed(user.role, "analyst"):
        return forbidden(request, user, lang, "analyst")
    segment, _, measure = plan.partition("|")
    created = call(state, "plan_campaign", segment, measure, lang=lang)
    return RedirectResponse(f"/campaigns/{created['campaign_id']}",
                            status_code=status.HTTP_303_SEE_OTHER)


@router.get("/campaigns/{campaign_id}")
def campaign_page(campaign_id: str, request: Request, user: PageUser, state: StateDep,
                  lang: Lang, notice: str | None = None):
    try:
        report = call(state, "evaluate_campaign", campaign_id, lang=lang)
    except HTTPException as exc:
        return templating.render(request, "error.html", user=user, lang=lang,
                                 status_code=exc.status_code, title="404", message=exc.detail)
    return templating.render(request, "campaign.html", user=user, lang=lang, c=report,
                             can_record=allowed(user.role, "operator"), notice=notice,
                             today=date.today().isoformat(),
                             charts=_lift_chart(report.get("kpis", []), lang))


@router.post("/campaigns/{campaign_id}/actions")
def action_page(campaign_id: str, request: Request, user: PageUser, state: StateDep,
                lang: Lang, customer_id: Annotated[str, Form(max_length=64)],
                action_status: Annotated[str, Form(alias="status", max_length=10)],
                at: Annotated[str, Form(max_length=10)], note: Text = ""):
    if not allowed(user.role, "operator"):
        return forbidden(request, user, lang, "operator")
    body = ActionIn(customer_id=customer_id, status=action_status, at=at, note=note or None)
    values = {k: str(v) for k, v in body.model_dump(exclude_none=True).items()}
    done = call(state, "record_action", campaign_id=campaign_id, owner=user.username, **values)
    return RedirectResponse(f"/campaigns/{campaign_id}?notice=action+{done['action_id']}",
                            status_code=status.HTTP_303_SEE_OTHER)
