"""Every API endpoint checks the role: a table of expected status codes per role, a check
that the table covers every route, and 401 for every endpoint without a token."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from custseg.pipeline import Project
from tests.web.conftest import ROLES

ALL = (200, 200, 200, 200)
ADMIN = (403, 403, 403, 200)
EXPLAINED = 200 if hasattr(Project, "explain") else 404
ERASED = 204 if hasattr(Project, "erase") else 501

# method, path, JSON body, expected status for viewer, operator, analyst, admin
TABLE = [
    ("GET", "/api/auth/me", None, ALL),
    ("GET", "/api/overview", None, ALL),
    ("GET", "/api/customers?limit=5", None, ALL),
    ("GET", "/api/customers/{customer}", None, ALL),
    ("GET", "/api/customers/{customer}/segments", None, ALL),
    ("GET", "/api/customers/{customer}/history", None, ALL),
    ("GET", "/api/customers/{customer}/orders", None, ALL),
    ("GET", "/api/customers/{customer}/interactions", None, ALL),
    ("GET", "/api/customers/{customer}/predictions", None, ALL),
    ("GET", "/api/customers/{customer}/profile", None, ALL),
    ("GET", "/api/customers/{customer}/explanation", None, (EXPLAINED,) * 4),
    ("GET", "/api/segments?model=rfm-rules", None, ALL),
    ("GET", "/api/segments/models", None, ALL),
    ("GET", "/api/segments/{segment}/customers?model=rfm-rules", None, ALL),
    ("GET", "/api/segments/{segment}/customers.csv?model=rfm-rules", None, (403, 200, 200, 200)),
    ("GET", "/api/runs", None, ALL),
    ("GET", "/api/runs/{run}", None, ALL),
    pytest.param("POST", "/api/runs", {"model": "rfm-scores"}, (403, 403, 201, 201),
                 marks=pytest.mark.slow),
    ("DELETE", "/api/runs/no-such-run", None, (403, 403, 404, 404)),
    pytest.param("GET", "/api/migration?model=rfm-rules", None, ALL, marks=pytest.mark.slow),
    ("GET", "/api/users", None, ADMIN),
    ("POST", "/api/users", {"username": "new-{role}", "role": "viewer",
                            "password": "long-enough"}, (403, 403, 403, 201)),
    ("PATCH", "/api/users/target", {"role": "operator"}, ADMIN),
    ("DELETE", "/api/users/nobody", None, (403, 403, 403, 404)),
    ("GET", "/api/audit", None, ADMIN),
    ("GET", "/api/settings", None, ADMIN),
    ("GET", "/api/campaigns", None, ALL),
    ("GET", "/api/campaigns/playbook?model=rfm-rules", None, ALL),
    ("GET", "/api/campaigns/status", None, ALL),
    ("GET", "/api/campaigns/{campaign}/evaluation", None, ALL),
    ("GET", "/api/campaigns/{campaign}/targets.csv", None, (403, 200, 200, 200)),
    ("POST", "/api/campaigns/{campaign}/actions", {"customer_id": "{member}", "status": "sent",
                                                   "at": "2026-07-01"}, (403, 201, 201, 201)),
    pytest.param("POST", "/api/campaigns", {"segment": "A004", "measure": "winback_coupon",
                                            "model": "rfm-rules", "seed": 1},
                 (403, 403, 201, 201), marks=pytest.mark.slow),
    pytest.param("DELETE", "/api/customers/{customer}", None, (403, 403, 403, ERASED),
                 marks=pytest.mark.slow),
]
TABLE = [r if hasattr(r, "values") else pytest.param(*r) for r in TABLE]
PUBLIC = {("POST", "/api/auth/login"), ("POST", "/api/auth/logout"),
          ("GET", "/api/openapi.json")}


@pytest.fixture(scope="module")
def ids(app):
    db = app.state.custseg.project.connect().con
    customer = db.execute("SELECT min(customer_id) FROM customers").fetchone()[0]
    run, segment = db.execute(
        "SELECT run_id, segment_id FROM segment_assignments WHERE model = 'rfm-rules' AND "
        "customer_id = ? ORDER BY run_id DESC LIMIT 1", [customer]).fetchone()
    from custseg.io import accounts

    accounts.add_user(db, "target", "viewer", "target-password")
    campaign = app.state.custseg.project.plan_campaign("A004", "winback_coupon",
                                                       model="rfm-rules", seed=3)["campaign_id"]
    member = db.execute("SELECT min(customer_id) FROM campaign_members WHERE campaign_id = ?",
                        [campaign]).fetchone()[0]
    return {"customer": customer, "run": run, "segment": segment, "campaign": campaign,
            "member": member}


def _template(path: str) -> str:
    """/api/customers/{customer}/orders?x → /api/customers/{}/orders"""
    path = path.split("?")[0]
    return "/".join("{}" if p.startswith("{") else p for p in path.split("/"))


@pytest.mark.parametrize(("method", "path", "body", "expected"), TABLE,
                         ids=[f"{r.values[0]} {r.values[1]}" for r in TABLE])
def test_endpoint_by_role(as_role, ids, method, path, body, expected):
    for role, code in zip(ROLES, expected, strict=True):
        client = as_role(role)
        url = path.format(**ids)
        json = {k: v.format(role=role, **ids) if isinstance(v, str) else v
                for k, v in body.items()} if body else None
        response = client.request(method, url, json=json)
        assert response.status_code == code, (role, url, response.text[:200])


def test_every_api_route_is_in_the_table(app):
    routes = {(method, _template(r.path)) for r in app.routes if isinstance(r, APIRoute)
              and r.path.startswith("/api") for method in r.methods - {"HEAD"}}
    covered = {(r.values[0], _template(r.values[1])) for r in TABLE} | PUBLIC
    assert routes - covered == set()


@pytest.mark.parametrize(("method", "path", "body", "expected"), TABLE,
                         ids=[f"{r.values[0]} {r.values[1]}" for r in TABLE])
def test_endpoint_without_token_is_401(app, ids, method, path, body, expected):
    response = TestClient(app).request(method, path.format(**ids), json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
