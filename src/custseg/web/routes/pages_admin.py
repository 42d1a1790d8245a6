"""Admin pages: accounts (add, change role, disable, remove) and the audit log."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse

from custseg.io import accounts
from custseg.web import templating
from custseg.web.deps import Lang, PageUser, StateDep, StoreDep
from custseg.web.routes import audit, users
from custseg.web.routes.pages import forbidden
from custseg.web.schemas import UserCreate, UserUpdate
from custseg.web.security import allowed

router = APIRouter(include_in_schema=False)


def _users_page(request: Request, user, store, lang: str, notice: str | None = None,
                status_code: int = 200):
    return templating.render(request, "users.html", user=user, lang=lang,
                             users=users.list_users(user, store), roles=accounts.ROLES,
                             notice=notice, status_code=status_code)


@router.get("/users")
def users_page(request: Request, user: PageUser, store: StoreDep, lang: Lang):
    if not allowed(user.role, "admin"):
        return forbidden(request, user, lang, "admin")
    return _users_page(request, user, store, lang)


def _done(request, user, store, lang, action):
    try:
        action()
    except (HTTPException, ValueError) as exc:
        message = getattr(exc, "detail", None) or str(exc)
        return _users_page(request, user, store, lang, notice=str(message),
                           status_code=getattr(exc, "status_code", 422))
    return RedirectResponse("/users", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/users")
def add_user_page(request: Request, user: PageUser, store: StoreDep, lang: Lang,
                  username: Annotated[str, Form(max_length=64)],
                  role: Annotated[str, Form(max_length=16)],
                  password: Annotated[str, Form(max_length=1024)]):
    if not allowed(user.role, "admin"):
        return forbidden(request, user, lang, "admin")
    return _done(request, user, store, lang, lambda: users.add_user(
        UserCreate(username=username, role=role, password=password), user, store))


@router.post("/users/{username}")
def change_user_page(username: str, request: Request, user: PageUser, state: StateDep,
                     store: StoreDep, lang: Lang,
                     op: Annotated[Literal["role", "disable", "enable", "remove"], Form()],
                     role: Annotated[str, Form(max_length=16)] = "viewer"):
    if not allowed(user.role, "admin"):
        return forbidden(request, user, lang, "admin")
    if op == "remove":
        return _done(request, user, store, lang,
                     lambda: users.remove_user(username, user, state, store))
    body = (UserUpdate(role=role) if op == "role"
            else UserUpdate(disabled=op == "disable"))
    return _done(request, user, store, lang,
                 lambda: users.update_user(username, body, user, state, store))


@router.get("/audit")
def audit_page(request: Request, user: PageUser, store: StoreDep, lang: Lang):
    if not allowed(user.role, "admin"):
        return forbidden(request, user, lang, "admin")
    return templating.render(request, "audit.html", user=user, lang=lang,
                             entries=audit.entries(store, user=None, action=None, limit=500))
