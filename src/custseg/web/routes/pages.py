"""Dashboard pages for every role: sign in/out, overview, segmentations, customers and the
customer 360 view, migration and runs. They render what the API routes compute."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import RedirectResponse

from custseg.errors import CustsegError
from custseg.io import accounts, profiles
from custseg.web import templating
from custseg.web.deps import DbDep, Lang, PageUser, StateDep, StoreDep
from custseg.web.privacy import audit_view
from custseg.web.routes import auth, customers, migration, overview, segments
from custseg.web.routes.customers import Offset, Search
from custseg.web.security import allowed, sees_personal

router = APIRouter(include_in_schema=False)
PAGE = 20


def forbidden(request: Request, user, lang: str, role: str):
    return templating.render(request, "error.html", user=user, lang=lang, status_code=403,
                             title="403", message=f"{role}")


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
def login_page(request: Request, lang: Lang, next: Annotated[str, Query(max_length=500)] = "/"):
    return templating.render(request, "login.html", user=None, lang=lang, next=next)


@router.post("/login")
def login_submit(request: Request, state: StateDep, store: StoreDep, lang: Lang,
                 username: Annotated[str, Form(max_length=64)],
                 password: Annotated[str, Form(max_length=1024)],
                 next: Annotated[str, Form(max_length=500)] = "/"):
    try:
        signed = auth.sign_in(state, store, username, password, auth.client_address(request))
    except HTTPException as exc:
        key = "web_too_many" if exc.status_code == 429 else "web_login_failed"
        return templating.render(request, "login.html", user=None, lang=lang, next=next,
                                 error=templating.t(key, lang), status_code=exc.status_code)
    response = RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    auth.set_session_cookie(response, request, signed)
    return response


@router.post("/logout")
def logout_page(user: PageUser, request: Request, state: StateDep, store: StoreDep):
    accounts.end_session(store, request.state.claims["jti"])
    state.forget_sessions()
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie("custseg_session", path="/")
    return response


def _structure(state, db) -> dict | None:
    """`Project.describe` for the overview, cached until data or runs change."""
    key = db.execute("SELECT (SELECT count(*) FROM load_log), (SELECT max(order_date) FROM "
                     "orders)").fetchone()
    if state.cache.get("structure_key") != key:
        with state.lock:
            try:
                state.cache["structure"] = state.project.describe() if key[1] else None
            except CustsegError:  # e.g. no orders in range: the page shows no charts
                state.cache["structure"] = None
        state.cache["structure_key"] = key
    return state.cache["structure"]


def _overview_charts(found: dict | None, model_tables: list[dict], lang: str) -> list[dict]:
    charts = [templating.pie(f"share-{i}", [f"{s['segment_id']} {s['name']}" for s in
                                            table["segments"]],
                             [s["customers"] for s in table["segments"]], title=table["model"])
              for i, table in enumerate(model_tables)]
    for name, rows in ((found or {}).get("distributions") or {}).items():
        if rows:
            charts.append(templating.bar(f"dist-{name}", [str(r["value"]) for r in rows][:15],
                                         [r["customers"] for r in rows][:15],
                                         title=templating.t(f"web_{name}", lang)))
    lorenz = ((found or {}).get("revenue_concentration") or {}).get("lorenz")
    if lorenz:
        charts.append({"id": "lorenz", "data": [
            {"type": "scatter", "mode": "lines", "x": [p["customer_share"] for p in lorenz],
             "y": [p["value_share"] for p in lorenz], "name": "Lorenz"},
            {"type": "scatter", "mode": "lines", "x": [0, 1], "y": [0, 1], "name": "="}],
            "layout": {"title": {"text": templating.t("web_lorenz", lang)}, "height": 320,
                       "margin": {"t": 40, "l": 40, "r": 20, "b": 40}}})
    return charts


@router.get("/")
def overview_page(request: Request, user: PageUser, state: StateDep, db: DbDep, lang: Lang):
    data = overview.overview(state, db)
    tables = [segments.template_one(segments.find_run(db, m["model"], None), lang)
              for m in data["models"]]
    found = _structure(state, db)
    conc = (found or {}).get("revenue_concentration") or {}
    return templating.render(
        request, "overview.html", user=user, lang=lang, **data,
        structure={"as_of": found["as_of"], "top20": conc.get("top20_share"),
                   "gini": conc.get("gini")} if found else None,
        charts=_overview_charts(found, tables, lang))


@router.get("/segments")
def segments_page(request: Request, user: PageUser, state: StateDep, db: DbDep,
                  store: StoreDep, lang: Lang,
                  model: segments.ModelQ = None, run_id: segments.RunQ = None,
                  segment: Annotated[str | None, Query(max_length=64)] = None,
                  q: Search = None, offset: Offset = 0):
    models = profiles.segment_models(db)
    table = members = None
    if models:
        table = segments.template_one(segments.find_run(db, model, run_id), lang)
    if table and segment:
        members = segments.members(db, user, segment, table["model"], table["run_id"],
                                   limit=PAGE, offset=offset, q=q,
                                   privacy=state.project.privacy)
        if members["items"]:
            audit_view(store, user, f"segment {segment} of run {table['run_id']}",
                                 f"member page of {len(members['items'])} from {offset}")
    charts = [templating.bar("segment-bars", [f"{s['segment_id']} {s['name']}"
                                              for s in table["segments"]],
                             [s["customers"] for s in table["segments"]],
                             title=templating.t("customers", lang), horizontal=True)
              ] if table else []
    return templating.render(request, "segments.html", user=user, lang=lang, models=models,
                             table=table, segment=segment, members=members, q=q,
                             charts=charts, can_export=allowed(user.role, "operator"),
                             sees_personal=sees_personal(user.role))


@router.get("/customers")
def customers_page(request: Request, user: PageUser, state: StateDep, db: DbDep,
                   store: StoreDep, lang: Lang, q: Search = None, offset: Offset = 0):
    page = customers.list_customers(user, state, db, store, limit=PAGE, offset=offset, q=q)
    return templating.render(request, "customers.html", user=user, lang=lang, members=page,
                             q=q)


def _history_chart(history: list[dict], lang: str) -> list[dict]:
    by_model: dict[str, list[dict]] = {}
    for row in history:
        by_model.setdefault(row["model"], []).append(row)
    traces = [{"type": "scatter", "mode": "lines+markers+text", "name": model,
               "x": [r["as_of"] for r in rows], "y": [r["segment_id"] for r in rows],
               "text": [r.get(f"name_{lang}") or r["segment_name"] for r in rows],
               "textposition": "top center"} for model, rows in by_model.items()]
    if not traces:
        return []
    return [{"id": "history-chart", "data": traces,
             "layout": {"title": {"text": templating.t("web_history", lang)}, "height": 320,
                        "yaxis": {"type": "category"},
                        "margin": {"t": 40, "l": 60, "r": 20, "b": 40}}}]


@router.get("/customers/{customer_id}")
def customer_page(customer_id: str, request: Request, user: PageUser, state: StateDep,
                  db: DbDep, store: StoreDep, lang: Lang):
    try:
        found = customers.customer_360(state, db, store, customer_id, user, lang)
    except HTTPException as exc:
        return templating.render(request, "error.html", user=user, lang=lang,
                                 status_code=exc.status_code, title=str(exc.status_code),
                                 message=exc.detail)
    return templating.render(request, "customer.html", user=user, lang=lang, c=found,
                             charts=_history_chart(found["history"], lang))


@router.get("/migration")
def migration_page(request: Request, user: PageUser, state: StateDep, db: DbDep, lang: Lang,
                   model: segments.ModelQ = None):
    models = [m for m in profiles.segment_models(db) if m["runs"] >= 2]
    report = None
    if models:
        report = migration.migration_report(state, db, model=model or models[0]["model"],
                                            run_a=None, run_b=None, lang=lang)
    charts = []
    if report and report.get("sankey"):
        sk = report["sankey"]
        links = sk["links"]
        charts.append({"id": "sankey", "data": [{
            "type": "sankey", "node": {"label": sk["nodes"]},
            "link": {k: [link[k] for link in links] for k in ("source", "target", "value")}}],
            "layout": {"height": 480, "margin": {"t": 20, "l": 20, "r": 20, "b": 20}}})
    return templating.render(request, "migration.html", user=user, lang=lang,
                             models=models, report=report, charts=charts)


@router.get("/runs")
def runs_page(request: Request, user: PageUser, db: DbDep, lang: Lang,
              notice: Annotated[str | None, Query(max_length=200)] = None):
    from custseg.segment import MODELS
    from custseg.web.routes.runs import list_runs

    return templating.render(request, "runs.html", user=user, lang=lang,
                             runs=list_runs(user, db), can_run=allowed(user.role, "analyst"),
                             model_names=sorted(MODELS), notice=notice)


@router.post("/runs")
def start_run_page(request: Request, user: PageUser, state: StateDep, lang: Lang,
                   model: Annotated[str, Form(max_length=64)],
                   as_of: Annotated[str, Form(max_length=10)] = ""):
    from custseg.web.routes.runs import start_run
    from custseg.web.schemas import RunRequest

    if not allowed(user.role, "analyst"):
        return forbidden(request, user, lang, "analyst")
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise CustsegError(f"as_of: {as_of!r} is not a date; use YYYY-MM-DD") from None
    body = (RunRequest(kind="predict", as_of=day) if model == "predict"
            else RunRequest(kind="segment", model=model, as_of=day))
    created = start_run(body, user, state)
    return RedirectResponse(f"/runs?notice={created['run_id']}",
                            status_code=status.HTTP_303_SEE_OTHER)
