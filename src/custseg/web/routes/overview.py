"""The overview (table sizes, models, latest runs) and, for admins, the settings."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter

from custseg import schema, snapshots
from custseg.io import profiles
from custseg.web.deps import Admin, DbDep, StateDep, Viewer
from custseg.web.privacy import CursorBackend
from custseg.web.schemas import Overview

router = APIRouter(prefix="/api", tags=["overview"])


def overview(state, db) -> dict:
    have = profiles.tables(db)
    counts = {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
              for t in schema.TABLES if t in have}
    first, last = (db.execute("SELECT min(order_date), max(order_date) FROM orders").fetchone()
                   if "orders" in have else (None, None))
    settings = state.project.settings.project
    return {"project": settings.name, "language": settings.language, "tables": counts,
            "order_dates": [first.isoformat() if first else None,
                            last.isoformat() if last else None],
            "models": profiles.segment_models(db),
            "latest_runs": snapshots.list_runs(CursorBackend(db))[:10]}


@router.get("/overview", response_model=Overview)
def get_overview(user: Viewer, state: StateDep, db: DbDep) -> dict:
    """Table sizes, the order date range, segmentation models and the latest runs."""
    return overview(state, db)


@router.get("/settings", response_model=dict[str, Any])
def get_settings(user: Admin, state: StateDep) -> dict:
    """The project's validated configuration (database passwords in source URLs hidden)."""
    data = state.project.settings.model_dump(mode="json")
    for source in data.get("sources", []):
        if source.get("url"):
            source["url"] = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", source["url"])
    return data
