"""Request and response bodies of the REST API (the OpenAPI schema is built from these)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["viewer", "operator", "analyst", "admin"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(_In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds")
    csrf_token: str = Field(description="repeat in X-CSRF-Token with the session cookie")
    username: str
    role: Role


class Me(BaseModel):
    username: str
    role: Role
    sees_personal: bool


class CustomerItem(BaseModel):
    customer_id: str
    name: str | None = None
    gender: str | None = None
    age: int | None = None
    phone: str | None = None
    email: str | None = None
    province: str | None = None
    city: str | None = None
    channel: str | None = None
    member_level: str | None = None
    register_date: str | None = None


class CustomerPage(BaseModel):
    total: int
    limit: int
    offset: int
    masked: bool
    items: list[CustomerItem]


class OrderSummary(BaseModel):
    count: int
    amount: float
    first: str | None
    last: str | None


class Customer(BaseModel):
    customer_id: str
    masked: bool
    attributes: dict[str, Any]
    orders: OrderSummary


class SegmentOfCustomer(BaseModel):
    model: str
    run_id: str
    as_of: str | None
    segment_id: str | None
    segment_name: str | None
    name_zh: str | None = None
    name_en: str | None = None
    created_at: str | None = None


class CustomerSegments(BaseModel):
    customer_id: str
    segments: list[SegmentOfCustomer]


class Order(BaseModel):
    order_id: str | None
    order_date: str | None
    amount: float | None
    status: str | None
    channel: str | None
    payment_method: str | None
    store: str | None
    discount: float | None
    is_outlier: bool | None


class Interaction(BaseModel):
    ts: str | None
    kind: str | None
    satisfaction: int | None
    nps: int | None
    text: str | None


class Predictions(BaseModel):
    run_id: str
    as_of: str | None
    p_alive: float | None = None
    expected_purchases: float | None = None
    expected_spend: float | None = None
    clv: float | None = None
    churn_probability: float | None = None
    churn_level: str | None = None
    propensity_30d: float | None = None
    propensity_90d: float | None = None


class Customer360(BaseModel):
    """Everything the customer 360 page shows."""

    customer: Customer
    segments: list[SegmentOfCustomer]
    history: list[SegmentOfCustomer]
    orders: list[Order]
    interactions: list[Interaction]
    predictions: Predictions | None
    explanation: dict[str, Any] | None = None


class SegmentRow(BaseModel):
    """One row of template 1 (客户细分结果表)."""

    segment_id: str
    name: str
    dimensions: str | None
    characteristics: str | None
    customers: int
    share_pct: float
    keywords: str | None
    owner: str | None


class ModelRun(BaseModel):
    model: str
    run_id: str
    as_of: str | None
    runs: int


class SegmentTable(BaseModel):
    model: str
    run_id: str
    as_of: str | None
    lang: Literal["zh", "en"]
    total: int
    segments: list[SegmentRow]


class MemberPage(CustomerPage):
    run_id: str
    segment_id: str


class RunInfo(BaseModel):
    run_id: str
    kind: str | None
    model: str | None
    as_of: str | None
    created_at: str
    status: str | None


class RunDetail(RunInfo):
    config: dict[str, Any]
    segments: list[dict[str, Any]] = []


class RunRequest(_In):
    kind: Literal["segment", "predict"] = "segment"
    model: str | None = Field(default=None, max_length=64)
    as_of: date | None = None


class RunCreated(BaseModel):
    run_id: str
    kind: str
    model: str | None
    warnings: list[str] = []  # what the run would print as "!" lines (e.g. an early stop)


class UserCreate(_In):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role
    password: str = Field(min_length=8, max_length=1024)


class UserUpdate(_In):
    role: Role | None = None
    password: str | None = Field(default=None, min_length=8, max_length=1024)
    disabled: bool | None = None


class UserOut(BaseModel):
    username: str
    role: Role
    created_at: str | None
    disabled: bool


class AuditEntry(BaseModel):
    logged_at: str
    user_name: str | None
    action: str | None
    target: str | None
    detail: str | None


class Overview(BaseModel):
    project: str
    language: Literal["zh", "en"]
    tables: dict[str, int]
    order_dates: list[str | None]
    models: list[ModelRun]
    latest_runs: list[RunInfo]


class Message(BaseModel):
    detail: str
