"""Dependencies of the routes: the app state, a database cursor per request, the signed-in
user and role checks, and the UI language. Tests replace any of them with
``app.dependency_overrides``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from custseg.io import accounts, profiles
from custseg.io.accounts import User
from custseg.pipeline import Project
from custseg.web import security


@dataclass
class AppState:
    """What the app holds while it runs: the open project (the one writer of its database),
    the token secret, the login limiter and a lock that serialises pipeline work."""

    project: Project
    secret: str
    limiter: security.LoginLimiter
    lock: threading.Lock = field(default_factory=threading.Lock)
    cache: dict = field(default_factory=dict)
    generation: int = 0
    sessions: dict = field(default_factory=dict)

    @contextlib.contextmanager
    def writing(self):
        """Pipeline work that may change runs or customers: one at a time, and what the app
        remembers about them is forgotten afterwards. (The server is the database's only
        writer, so nothing else can change them behind its back.)"""
        with self.lock:
            try:
                yield self.project
            finally:
                self.generation += 1
                self.cache.clear()

    def session_user(self, store, jti: str, username: str) -> User | None:
        """`custseg.io.accounts.session_user`, remembered per token. The server is the only
        writer of the project database, so a session it has checked stays valid until this
        app ends it (`forget_sessions`); with a shared operational store, where another
        server may end it, the answer is kept for `SHARED_SESSION_SECONDS` only."""
        shared = bool(self.project.settings.engine.operational_store)
        known = self.sessions.get(jti)
        if known and known[0].username == username and not (
                shared and time.monotonic() - known[1] > SHARED_SESSION_SECONDS):
            return known[0]
        user = accounts.session_user(store, jti, username)
        if user is not None:
            if len(self.sessions) > 10_000:  # expired tokens are refused before this
                self.sessions.clear()
            self.sessions[jti] = (user, time.monotonic())
        return user

    def forget_sessions(self) -> None:
        """After a logout or an account change: check every token again."""
        self.sessions.clear()

    def latest_runs(self, db) -> list[dict]:
        """`custseg.io.profiles.latest_runs`, remembered until the next write."""
        generation, found = self.generation, self.cache.get("latest_runs")
        if found is None:
            found = profiles.latest_runs(db)
            if generation == self.generation:
                self.cache["latest_runs"] = found
        return found


SHARED_SESSION_SECONDS = 5.0


class LoginRequired(Exception):
    """A page needs a signed-in user; the app redirects to the login page."""


# Light dependencies are coroutines: FastAPI runs a plain function in a worker thread, and
# a thread hop per dependency costs more than the work. The database calls among them are
# point queries of well under a millisecond on the embedded database.


async def get_state(request: Request) -> AppState:
    return request.app.state.custseg


StateDep = Annotated[AppState, Depends(get_state)]


async def get_db(state: StateDep) -> AsyncIterator:
    """A cursor of the server's database connection, for this request only."""
    cursor = state.project.connect().con.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


DbDep = Annotated[object, Depends(get_db)]


async def get_store(state: StateDep, db: DbDep):
    """Where users, sessions and the audit log live: the team's operational store when
    ``[engine] operational_store`` is set (`custseg.io.store`), else this request's cursor."""
    if state.project.settings.engine.operational_store:
        return state.project.store()
    return db


StoreDep = Annotated[object, Depends(get_store)]


async def csrf_value(request: Request) -> str | None:
    """The CSRF value an unsafe request repeats: header ``X-CSRF-Token`` or form field."""
    value = request.headers.get(security.CSRF_HEADER)
    if value is None and request.method not in security.SAFE_METHODS and (
            request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data"))):
        found = (await request.form()).get("csrf_token")
        value = found if isinstance(found, str) else None
    return value


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail,
                         headers={"WWW-Authenticate": "Bearer"})


async def current_user(request: Request, state: StateDep, store: StoreDep,
                       csrf: Annotated[str | None, Depends(csrf_value)]) -> User:
    """The user of a valid bearer token or session cookie; 401 otherwise. A cookie-signed
    unsafe request without the session's CSRF value is refused (403)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    from_cookie = not (scheme.lower() == "bearer" and token)
    if from_cookie:
        token = request.cookies.get(security.COOKIE, "")
    if not token:
        raise _unauthorized("not signed in")
    claims = security.decode_token(state.secret, token)
    user = claims and state.session_user(store, claims["jti"], claims["sub"])
    if not user:
        raise _unauthorized("invalid or expired token")
    request.state.claims = claims
    if from_cookie and request.method not in security.SAFE_METHODS and (
            not csrf or csrf != claims.get("csrf")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")
    return user


def require(role: str):
    """A dependency that admits users of ``role`` or a higher one (403 otherwise)."""

    async def check(user: Annotated[User, Depends(current_user)]) -> User:
        if not security.allowed(user.role, role):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"this needs the {role} role; you are {user.role}")
        return user

    check.__name__ = f"require_{role}"
    return check


Viewer = Annotated[User, Depends(require("viewer"))]
Operator = Annotated[User, Depends(require("operator"))]
Analyst = Annotated[User, Depends(require("analyst"))]
Admin = Annotated[User, Depends(require("admin"))]


async def page_user(request: Request, state: StateDep, store: StoreDep,
                    csrf: Annotated[str | None, Depends(csrf_value)]) -> User:
    """Like `current_user`, but a page without a session goes to the login page."""
    try:
        return await current_user(request, state, store, csrf)
    except HTTPException as exc:
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            raise LoginRequired from None
        raise


PageUser = Annotated[User, Depends(page_user)]


async def language(request: Request, state: StateDep) -> str:
    """``?lang=``, else the language cookie, else the project's language."""
    lang = request.query_params.get("lang") or request.cookies.get(security.LANG_COOKIE)
    return lang if lang in ("zh", "en") else state.project.settings.project.language


Lang = Annotated[str, Depends(language)]
