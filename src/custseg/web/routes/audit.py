"""The audit log, for admins: who saw personal data in clear, exported or erased, and when."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from custseg.web.deps import Admin, StoreDep
from custseg.web.privacy import audit_entries
from custseg.web.schemas import AuditEntry

router = APIRouter(prefix="/api/audit", tags=["audit"])


def entries(store, *, user: str | None, action: str | None, limit: int) -> list[dict]:
    return [{**e, "logged_at": e["logged_at"].isoformat(timespec="seconds")}
            for e in audit_entries(store, user=user, action=action, limit=limit)]


@router.get("", response_model=list[AuditEntry])
def audit_log(admin: Admin, store: StoreDep,
              user: Annotated[str | None, Query(max_length=64)] = None,
              action: Annotated[Literal["view_personal", "export", "erase", "user_add",
                                        "user_change", "user_remove"] | None, Query()] = None,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 100) -> list[dict]:
    """The latest entries, newest first, optionally for one user or action."""
    return entries(store, user=user, action=action, limit=limit)
