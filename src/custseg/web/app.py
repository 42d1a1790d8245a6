"""The web app and REST API (`custseg serve`): one FastAPI application per project.

The app opens the project once and owns its database for as long as it runs (DuckDB allows
one writing process): reads use one cursor per request, pipeline work is serialised by a
lock. Other processes that try to write get `custseg.errors.DatabaseBusyError`.

>>> import tempfile
>>> from fastapi.testclient import TestClient
>>> with tempfile.TemporaryDirectory() as d:
...     app = create_app(d, init=True)
...     with TestClient(app) as client:
...         client.get("/api/overview").status_code
401
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import plotly
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders

from custseg import __version__
from custseg.errors import CustsegError, DatabaseBusyError
from custseg.io import accounts, profiles
from custseg.io.audit import AUDIT_DDL
from custseg.pipeline import Project
from custseg.web import security
from custseg.web.deps import AppState, LoginRequired
from custseg.web.routes import (
    audit,
    auth,
    campaigns,
    customers,
    migration,
    overview,
    pages,
    pages_admin,
    pages_campaigns,
    runs,
    segments,
    users,
)

HERE = Path(__file__).parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class SecurityHeaders:
    """Security headers on every response; ``Cache-Control: no-store`` on everything but
    static assets, since pages and API answers may carry personal data."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in security.SECURITY_HEADERS.items():
                    headers[name] = value
                headers["cache-control"] = "public, max-age=3600" if static else "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _open(project_dir: Path | str, init: bool) -> Project:
    project = Project.init(project_dir, exist_ok=True) if init else Project.open(project_dir)
    profiles.prepare(project.connect())
    store = project.store()
    accounts.ensure_tables(store)
    store.execute(AUDIT_DDL)
    return project


def create_app(project_dir: Path | str = ".", *, project: Project | None = None,
               secret: str | None = None, init: bool = False) -> FastAPI:
    """The application for a project folder (or an open `Project`, which the caller then
    closes). ``init`` creates the project when the folder has none (for tests and demos).
    The signing secret defaults to `custseg.io.accounts.load_secret`."""
    owned = project is None
    project = _open(project_dir, init) if owned else project
    if not owned:
        profiles.prepare(project.connect())
        accounts.ensure_tables(project.store())
        project.store().execute(AUDIT_DDL)
    web = project.settings.web
    state = AppState(project=project,
                     secret=secret or accounts.load_secret(project.directory),
                     limiter=security.LoginLimiter(attempts=web.login_attempts,
                                                   window=web.login_window_seconds))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        if owned:
            project.close()

    app = FastAPI(title="custseg", version=__version__, lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url="/api/openapi.json",
                  description="Customer segmentation REST API: sign in at /api/auth/login and "
                              "send the access_token as a Bearer token.")
    app.state.custseg = state
    for module in (auth, customers, segments, campaigns, runs, migration, users, audit,
                   overview, pages, pages_admin, pages_campaigns):
        app.include_router(module.router)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_exception_handler(CustsegError, _user_error)
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_middleware(SecurityHeaders)
    return app


async def _user_error(request: Request, exc: CustsegError) -> JSONResponse:
    code = 503 if isinstance(exc, DatabaseBusyError) else 400
    return JSONResponse({"detail": str(exc)}, status_code=code)


async def _to_login(request: Request, exc: LoginRequired) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    from urllib.parse import quote

    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
