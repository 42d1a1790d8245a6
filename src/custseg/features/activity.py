"""Features from the other canonical tables: categories, events, interactions, referrals.

Each function returns one row per customer that has rows in its table, keyed by
``customer_id``; `custseg.features.customer_features` attaches them to every customer.
"""

from __future__ import annotations

from datetime import date

import ibis

from custseg.features.orders import order_kind

LOGIN_EVENTS = ("login", "log_in", "signin", "sign_in", "登录", "登陆")
COMPLAINTS = ("complaint", "complain", "投诉")


def category_features(items: ibis.Table, orders: ibis.Table, *, as_of: date) -> ibis.Table:
    """``category_breadth``: distinct categories in the customer's orders up to ``as_of``."""
    kept = orders.filter((orders.order_date <= as_of)
                         & (order_kind(orders.status, orders.amount) == "order"))
    lines = items.join(kept.select("order_id", "customer_id"), "order_id")
    return lines.group_by("customer_id").aggregate(
        category_breadth=lines.category.nunique())


def event_features(events: ibis.Table, *, as_of: date, window_start: date) -> ibis.Table:
    """``login_count`` and ``activity_count``: events in the window (start, as_of]."""
    day = events.ts.date()
    recent = events.filter((day > window_start) & (day <= as_of))
    kind = recent.event_type.strip().lower()
    return recent.group_by("customer_id").aggregate(
        login_count=recent.count(where=kind.isin(LOGIN_EVENTS)),
        activity_count=recent.count(),
    )


def interaction_features(interactions: ibis.Table, *, as_of: date,
                         window_start: date) -> ibis.Table:
    """``complaint_count`` in the window and ``satisfaction_mean`` over all history."""
    day = interactions.ts.date()
    upto = interactions.filter(day <= as_of)
    kind = upto.kind.strip().lower()
    return upto.group_by("customer_id").aggregate(
        complaint_count=upto.count(where=kind.isin(COMPLAINTS) & (upto.ts.date() > window_start)),
        satisfaction_mean=upto.satisfaction.mean(),
    )


def referral_features(referrals: ibis.Table, *, as_of: date) -> ibis.Table:
    """``referral_count``: distinct customers referred up to ``as_of``."""
    upto = referrals.filter(referrals.ts.date() <= as_of)
    return upto.group_by(customer_id=upto.referrer_id).aggregate(
        referral_count=upto.referred_id.nunique())
