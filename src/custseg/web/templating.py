"""Rendering of the dashboard pages: Jinja2 templates with labels in the UI language.

Charts are Plotly figures given as data: a page lists them in ``charts`` and the template
writes them into a JSON block that ``static/app.js`` draws, so no inline script is needed
and the Content-Security-Policy can forbid them.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from custseg.i18n import t
from custseg.io.accounts import User
from custseg.web import security

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

NAV = (("/", "web_overview", "viewer"), ("/segments", "web_segments", "viewer"),
       ("/customers", "web_customers", "viewer"), ("/campaigns", "web_campaigns", "viewer"),
       ("/migration", "web_migration", "viewer"), ("/runs", "web_runs", "viewer"),
       ("/users", "web_users", "admin"), ("/audit", "web_audit", "admin"))


def render(request: Request, template: str, *, user: User | None, lang: str,
           status_code: int = 200, **context):
    """The page ``template`` for ``user`` in ``lang``; remembers a ``?lang=`` choice."""
    claims = getattr(request.state, "claims", None) or {}
    nav = [(href, t(key, lang)) for href, key, role in NAV
           if user is not None and security.allowed(user.role, role)]
    response = TEMPLATES.TemplateResponse(request, template, {
        "user": user, "lang": lang, "t": lambda key: t(key, lang), "nav": nav,
        "csrf": claims.get("csrf", ""), "path": request.url.path,
        "charts": context.pop("charts", []), **context}, status_code=status_code)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(security.LANG_COOKIE, lang, max_age=365 * 86400, httponly=True,
                            samesite="strict", path="/")
    return response


def bar(element: str, labels: list, values: list, *, title: str = "",
        horizontal: bool = False) -> dict:
    """A Plotly bar chart as data for ``app.js``."""
    trace = ({"type": "bar", "y": labels, "x": values, "orientation": "h"} if horizontal
             else {"type": "bar", "x": labels, "y": values})
    return {"id": element, "data": [trace],
            "layout": {"title": {"text": title}, "margin": {"t": 40, "l": 120 if horizontal
                                                             else 40, "r": 20, "b": 60},
                       "height": 320}}


def pie(element: str, labels: list, values: list, *, title: str = "") -> dict:
    return {"id": element, "data": [{"type": "pie", "labels": labels, "values": values,
                                     "hole": 0.4, "sort": False}],
            "layout": {"title": {"text": title}, "margin": {"t": 40, "l": 20, "r": 20,
                                                            "b": 20}, "height": 320}}
