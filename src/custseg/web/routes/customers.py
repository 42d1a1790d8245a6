"""Customers: the list, one customer (masked for operators and viewers), the customer 360
parts (segments now and across snapshots, orders, interactions, predictions, explanation)
and, for admins, erasure."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from custseg.errors import CustsegError
from custseg.io import keys, profiles
from custseg.io.accounts import User
from custseg.web.deps import Admin, AppState, DbDep, Lang, StateDep, StoreDep, Viewer
from custseg.web.privacy import audit_view, shown
from custseg.web.schemas import (
    Customer,
    Customer360,
    CustomerPage,
    CustomerSegments,
    Interaction,
    Message,
    Order,
    Predictions,
    SegmentOfCustomer,
)
from custseg.web.security import sees_personal

router = APIRouter(prefix="/api/customers", tags=["customers"])
NOT_FOUND = {404: {"model": Message}}
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Search = Annotated[str | None, Query(max_length=64, description="customer id prefix; name or "
                                     "phone too for roles that see personal data (the whole "
                                     "name or phone when personal data is encrypted)")]


def search_hashes(user: User, privacy, q: str | None) -> dict[str, str] | None:
    """Keyed hashes of ``q`` for a search of encrypted names and phones by a role that
    sees personal data (`custseg.io.keys.search_hashes`); None otherwise."""
    if not q or not sees_personal(user.role):
        return None
    return keys.search_hashes(privacy, q)


def masked_page(page: dict, user: User, privacy) -> dict:
    return {**page, "masked": not sees_personal(user.role),
            "items": [shown(item, user, privacy=privacy) for item in page["items"]]}


@router.get("", response_model=CustomerPage)
def list_customers(user: Viewer, state: StateDep, db: DbDep, store: StoreDep,
                   limit: Limit = 50, offset: Offset = 0, q: Search = None) -> dict:
    """A page of customers ordered by ``customer_id``."""
    privacy = state.project.privacy
    page = profiles.list_customers(db, limit=limit, offset=offset, q=q,
                                   personal_search=sees_personal(user.role),
                                   search_hashes=search_hashes(user, privacy, q))
    if page["items"]:
        audit_view(store, user, "customers", f"list of {len(page['items'])} from offset {offset}")
    return masked_page(page, user, privacy)


def _customer(state: AppState, db, store, customer_id: str, user: User) -> dict:
    found = profiles.get_customer(db, customer_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no customer {customer_id!r}")
    audit_view(store, user, f"customer {customer_id}", "attributes")
    return {"customer_id": customer_id, "masked": not sees_personal(user.role),
            "attributes": shown(found["attributes"], user, privacy=state.project.privacy),
            "orders": found["orders"]}


@router.get("/{customer_id}", response_model=Customer, responses=NOT_FOUND)
def get_customer(customer_id: str, user: Viewer, state: StateDep, db: DbDep,
                 store: StoreDep) -> dict:
    """One customer's attributes (personal fields masked for operators and viewers) and
    order summary."""
    return _customer(state, db, store, customer_id, user)


def _exists(db, customer_id: str) -> None:
    if profiles.get_customer(db, customer_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no customer {customer_id!r}")


@router.get("/{customer_id}/segments", response_model=CustomerSegments, responses=NOT_FOUND)
async def customer_segments(customer_id: str, user: Viewer, state: StateDep, db: DbDep
                            ) -> dict:
    """The customer's segment in the latest run of each segmentation (the hot path of API
    clients: one point query, run on the event loop)."""
    rows = profiles.latest_segments(db, customer_id, state.latest_runs(db))
    if not any(r["segment_id"] for r in rows):
        _exists(db, customer_id)
    return {"customer_id": customer_id, "segments": rows}


@router.get("/{customer_id}/history", response_model=list[SegmentOfCustomer],
            responses=NOT_FOUND)
def customer_history(customer_id: str, user: Viewer, db: DbDep) -> list[dict]:
    """The customer's segment in every stored run (snapshot), oldest first per model."""
    rows = profiles.segment_history(db, customer_id)
    if not rows:
        _exists(db, customer_id)
    return rows


@router.get("/{customer_id}/orders", response_model=list[Order], responses=NOT_FOUND)
def customer_orders(customer_id: str, user: Viewer, db: DbDep, limit: Limit = 50
                    ) -> list[dict]:
    """The customer's latest orders."""
    _exists(db, customer_id)
    return profiles.customer_orders(db, customer_id, limit=limit)


@router.get("/{customer_id}/interactions", response_model=list[Interaction],
            responses=NOT_FOUND)
def customer_interactions(customer_id: str, user: Viewer, db: DbDep, limit: Limit = 50
                          ) -> list[dict]:
    """The customer's latest interactions; phone numbers, ID numbers and e-mail addresses
    inside their text are masked for operators and viewers."""
    _exists(db, customer_id)
    return [shown(r, user, text_fields=("text",))
            for r in profiles.customer_interactions(db, customer_id, limit=limit)]


@router.get("/{customer_id}/predictions", response_model=Predictions | None,
            responses=NOT_FOUND)
def customer_predictions(customer_id: str, user: Viewer, db: DbDep) -> dict | None:
    """The customer's CLV, churn and propensity from the latest predict run (null if none)."""
    _exists(db, customer_id)
    return profiles.customer_predictions(db, customer_id)


def explanation(state: AppState, customer_id: str, lang: str) -> dict | None:
    """Why the customer is where they are (`Project.explain`), when the project offers it."""
    explain = getattr(state.project, "explain", None)
    if explain is None:
        return None
    with state.lock:
        return explain(customer_id, lang=lang)


@router.get("/{customer_id}/explanation", response_model=dict, responses=NOT_FOUND)
def customer_explanation(customer_id: str, user: Viewer, state: StateDep, db: DbDep,
                         lang: Lang) -> dict:
    """The matched rule, cluster features and prediction factors behind each assignment."""
    _exists(db, customer_id)
    found = explanation(state, customer_id, lang)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "explanations are not available")
    return found


def customer_360(state: AppState, db, store, customer_id: str, user: User,
                 lang: str) -> dict:
    """Every part of the customer 360 view in one dict (one audit entry)."""
    customer = _customer(state, db, store, customer_id, user)
    try:
        explained = explanation(state, customer_id, lang)
    except CustsegError:
        explained = None
    return {"customer": customer,
            "segments": profiles.latest_segments(db, customer_id, state.latest_runs(db)),
            "history": profiles.segment_history(db, customer_id),
            "orders": profiles.customer_orders(db, customer_id, limit=50),
            "interactions": [shown(r, user, text_fields=("text",))
                             for r in profiles.customer_interactions(db, customer_id)],
            "predictions": profiles.customer_predictions(db, customer_id),
            "explanation": explained}


@router.get("/{customer_id}/profile", response_model=Customer360, responses=NOT_FOUND)
def customer_profile(customer_id: str, user: Viewer, state: StateDep, db: DbDep,
                     store: StoreDep, lang: Lang) -> dict:
    """The whole customer 360 view: attributes, orders, interactions, segment history
    across snapshots, predictions and (when available) explanations."""
    return customer_360(state, db, store, customer_id, user, lang)


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={**NOT_FOUND, 501: {"model": Message}})
def erase_customer(customer_id: str, user: Admin, state: StateDep, db: DbDep) -> None:
    """Erase the customer everywhere (right to erasure, `Project.erase`); the audit log
    keeps that it happened and who did it, not what was erased."""
    erase = getattr(state.project, "erase", None)
    if erase is None:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, "erasure is not available")
    _exists(db, customer_id)
    with state.writing():
        erase(customer_id, by=user.username)
