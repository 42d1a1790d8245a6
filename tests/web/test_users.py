"""Accounts and the audit log over the API (admins only)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_admin_manages_accounts_and_each_change_is_audited(app, as_role, app_db):
    admin = as_role("admin")
    body = {"username": "carol", "role": "operator", "password": "carol-password"}
    created = admin.post("/api/users", json=body)
    assert created.status_code == 201 and created.json()["role"] == "operator"
    assert admin.post("/api/users", json=body).status_code == 409
    assert admin.post("/api/users", json={**body, "username": "dave", "password": "short"}
                      ).status_code == 422
    login = TestClient(app).post("/api/auth/login", json={"username": "carol",
                                                          "password": "carol-password"})
    assert login.status_code == 200 and login.json()["role"] == "operator"
    changed = admin.patch("/api/users/carol", json={"role": "analyst"})
    assert changed.json()["role"] == "analyst"
    assert admin.delete("/api/users/carol").status_code == 204
    assert "carol" not in [u["username"] for u in admin.get("/api/users").json()]
    assert all("password" not in str(u.keys()) for u in admin.get("/api/users").json())
    actions = [e["action"] for e in admin.get("/api/audit?limit=10").json()]
    assert {"user_add", "user_change", "user_remove"} <= set(actions)


def test_the_last_admin_stays(as_role):
    admin = as_role("admin")
    assert admin.patch("/api/users/admin", json={"role": "viewer"}).status_code == 409
    assert admin.patch("/api/users/admin", json={"disabled": True}).status_code == 409
    assert admin.delete("/api/users/admin").status_code == 409
    assert admin.get("/api/auth/me").json()["role"] == "admin"


def test_audit_filters(as_role):
    as_role("analyst").get("/api/customers?limit=3")
    admin = as_role("admin")
    rows = admin.get("/api/audit?user=analyst&action=view_personal").json()
    assert rows and {(r["user_name"], r["action"]) for r in rows} == {("analyst",
                                                                       "view_personal")}
    assert admin.get("/api/audit?action=bogus").status_code == 422


def test_settings_hide_nothing_needed_and_no_secrets(as_role):
    settings = as_role("admin").get("/api/settings").json()
    assert settings["web"]["session_minutes"] == 480 and "segmentation" in settings
