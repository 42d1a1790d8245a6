"""Sign-in over the API: tokens, the session cookie, CSRF, the rate limit, revocation and
the security headers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from custseg.web import security
from tests.web.conftest import SECRET, password, sign_in


def _login(client, role, pw=None, **kw):
    return client.post("/api/auth/login", json={"username": role,
                                                "password": pw or password(role)}, **kw)


def test_login_returns_token_and_strict_httponly_cookie(app):
    with TestClient(app) as client:
        response = _login(client, "viewer")
        body = response.json()
        assert response.status_code == 200
        assert body["role"] == "viewer" and body["token_type"] == "bearer"
        cookie = response.headers["set-cookie"].lower()
        assert "custseg_session=" in cookie and "httponly" in cookie
        assert "samesite=strict" in cookie
        bearer = {"Authorization": f"Bearer {body['access_token']}"}
        anonymous = TestClient(app)
        assert anonymous.get("/api/auth/me", headers=bearer).json()["username"] == "viewer"
        assert client.get("/api/auth/me").json()["role"] == "viewer"  # by cookie
        assert anonymous.get("/api/auth/me").status_code == 401


def test_wrong_password_and_unknown_user_get_the_same_answer(app):
    client = TestClient(app)
    wrong, unknown = _login(client, "viewer", "nope-nope"), _login(client, "ghost", "nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_rate_limit_per_name_and_address(app):
    client = TestClient(app, client=("10.0.0.9", 5000))
    limit = app.state.custseg.limiter.attempts
    for _ in range(limit):
        assert _login(client, "operator", "wrong-password").status_code == 401
    blocked = _login(client, "operator")  # even the right password waits
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert _login(TestClient(app, client=("10.0.0.10", 5000)), "operator").status_code == 200
    assert _login(client, "viewer").status_code == 200
    app.state.custseg.limiter.succeeded("operator", "10.0.0.9")


def test_forged_tokens_are_refused(app):
    client = TestClient(app)
    good = _login(client, "viewer").json()["access_token"]
    head, payload, sig = good.split(".")
    forged = {
        "alg none": f"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.",
        "tampered": f"{head}.{payload[:-2]}AA.{sig}",
        "other key": security.encode_token("z" * 64, "admin", jti="x", minutes=5),
        "unknown session": security.encode_token(SECRET, "admin", jti="never-issued",
                                                 minutes=5),
    }
    for name, token in forged.items():
        response = TestClient(app).get("/api/auth/me",
                                       headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name


def test_logout_revokes_the_token(app):
    client = sign_in(app, "analyst")
    assert client.get("/api/auth/me").status_code == 200
    assert client.post("/api/auth/logout").status_code == 204
    client.cookies.clear()
    assert client.get("/api/auth/me").status_code == 401


def test_cookie_sessions_need_the_csrf_token_for_unsafe_methods(app):
    client = TestClient(app)
    csrf = _login(client, "analyst").json()["csrf_token"]
    assert client.post("/api/runs", json={"model": "rfm-rules"}).status_code == 403
    assert client.post("/api/runs", json={"model": "rfm-rules"},
                       headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/auth/me").status_code == 401


def test_role_change_and_disable_apply_at_once(app, as_role):
    admin, operator = as_role("admin"), as_role("operator")
    assert operator.get("/api/auth/me").json()["role"] == "operator"
    admin.patch("/api/users/operator", json={"role": "analyst"})
    assert operator.get("/api/auth/me").status_code == 401  # sessions ended
    again = as_role("operator")
    assert again.get("/api/auth/me").json()["role"] == "analyst"
    admin.patch("/api/users/operator", json={"disabled": True})
    assert again.get("/api/auth/me").status_code == 401
    assert _login(TestClient(app), "operator").status_code == 401
    admin.patch("/api/users/operator", json={"disabled": False, "role": "operator"})


@pytest.mark.slow  # the overview page describes the customer base once
def test_security_headers_and_no_store(app, as_role):
    client = as_role("viewer")
    for path in ("/api/customers", "/login", "/"):
        headers = client.get(path).headers
        assert headers["cache-control"] == "no-store", path
        assert headers["x-content-type-options"] == "nosniff"
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    static = client.get("/static/app.js")
    assert static.status_code == 200 and "no-store" not in static.headers["cache-control"]
    assert client.get("/static/plotly.min.js").status_code == 200
