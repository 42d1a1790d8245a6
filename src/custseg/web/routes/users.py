"""Accounts, for admins: list, add, change (role, password, disabled), remove."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from custseg.errors import CustsegError
from custseg.io import accounts
from custseg.web.deps import Admin, StateDep, StoreDep
from custseg.web.privacy import audit_event
from custseg.web.schemas import Message, UserCreate, UserOut, UserUpdate

router = APIRouter(prefix="/api/users", tags=["users"])
NOT_FOUND = {404: {"model": Message}}


def _out(user: dict) -> dict:
    created = user["created_at"]
    return {**user, "created_at": created.isoformat(timespec="seconds") if created else None,
            "disabled": bool(user["disabled"])}


def _found(store, username: str) -> dict:
    user = accounts.get_user(store, username)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {username!r}")
    return user


def _keep_an_admin(store, username: str) -> None:
    admins = [u["username"] for u in accounts.list_users(store)
              if u["role"] == "admin" and not u["disabled"]]
    if admins == [username]:
        raise HTTPException(status.HTTP_409_CONFLICT, "the last admin cannot be removed, "
                            "disabled or given another role")


@router.get("", response_model=list[UserOut])
def list_users(user: Admin, store: StoreDep) -> list[dict]:
    return [_out(u) for u in accounts.list_users(store)]


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED,
             responses={409: {"model": Message}})
def add_user(body: UserCreate, user: Admin, store: StoreDep) -> dict:
    if accounts.get_user(store, body.username) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"user {body.username!r} exists")
    try:
        accounts.add_user(store, body.username, body.role, body.password)
    except CustsegError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    audit_event(store, user, "user_add", f"user {body.username}", f"role {body.role}")
    return _out(_found(store, body.username))


@router.patch("/{username}", response_model=UserOut,
              responses={**NOT_FOUND, 409: {"model": Message}})
def update_user(username: str, body: UserUpdate, user: Admin, state: StateDep,
                store: StoreDep) -> dict:
    _found(store, username)
    if (body.role not in (None, "admin")) or body.disabled:
        _keep_an_admin(store, username)
    changed = accounts.update_user(store, username, role=body.role, password=body.password,
                                   disabled=body.disabled)
    state.forget_sessions()
    audit_event(store, user, "user_change", f"user {username}",
                ", ".join(k for k, v in body.model_dump().items() if v is not None))
    return _out(changed)


@router.delete("/{username}", status_code=status.HTTP_204_NO_CONTENT,
               responses={**NOT_FOUND, 409: {"model": Message}})
def remove_user(username: str, user: Admin, state: StateDep, store: StoreDep) -> None:
    _found(store, username)
    _keep_an_admin(store, username)
    accounts.remove_user(store, username)
    state.forget_sessions()
    audit_event(store, user, "user_remove", f"user {username}")
