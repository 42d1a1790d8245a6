"""Dashboard pages: sign-in form, redirects, CSRF on forms, languages, masking on pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import password


def _browser(app, role: str) -> tuple[TestClient, str]:
    """A client signed in through the login form; returns it and its CSRF value."""
    client = TestClient(app, follow_redirects=False)
    response = client.post("/login", data={"username": role, "password": password(role),
                                           "next": "/customers"})
    assert response.status_code == 303 and response.headers["location"] == "/customers"
    page = client.get("/customers").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client, csrf


def test_pages_redirect_to_login_and_back(app):
    client = TestClient(app, follow_redirects=False)
    response = client.get("/segments?model=rfm-rules")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsegments%3Fmodel%3Drfm-rules"
    assert client.get("/login").status_code == 200


def test_wrong_password_shows_the_form_again(app):
    response = TestClient(app).post("/login", data={"username": "viewer", "password": "x"})
    assert response.status_code == 401 and 'id="login-error"' in response.text


def test_open_redirects_are_refused(app):
    client = TestClient(app, follow_redirects=False)
    response = client.post("/login", data={"username": "viewer", "password": password(
        "viewer"), "next": "//evil.example/"})
    assert response.headers["location"] == "/"


def test_forms_need_the_csrf_token(app):
    client, csrf = _browser(app, "admin")
    form = {"username": "erin", "role": "viewer", "password": "erin-password"}
    assert client.post("/users", data=form).status_code == 403
    assert client.post("/users", data={**form, "csrf_token": "forged"}).status_code == 403
    done = client.post("/users", data={**form, "csrf_token": csrf})
    assert done.status_code == 303
    assert "erin" in client.get("/users").text
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/users").status_code == 303  # signed out


def test_language_switch_is_remembered(app):
    client, _ = _browser(app, "viewer")
    assert "客户细分结果表" in client.get("/segments?lang=zh").text
    assert "Segment result table" in client.get("/segments?lang=en").text
    assert "Segment result table" in client.get("/segments").text  # from the cookie


def test_customer_page_masked_for_viewer_and_clear_for_analyst(app, app_db):
    cid, phone = app_db.execute("SELECT customer_id, phone FROM customers WHERE phone IS NOT "
                                "NULL ORDER BY 1 LIMIT 1").fetchone()
    viewer, _ = _browser(app, "viewer")
    analyst, _ = _browser(app, "analyst")
    masked = viewer.get(f"/customers/{cid}").text
    assert phone[:3] + "****" + phone[-4:] in masked and phone not in masked
    clear = analyst.get(f"/customers/{cid}?lang=en").text
    assert phone in clear
    assert 'class="card explain"' in clear and "matched rule" in clear  # Project.explain


def test_admin_pages_are_for_admins(app):
    viewer, _ = _browser(app, "viewer")
    assert viewer.get("/users").status_code == 403 and viewer.get("/audit").status_code == 403
    admin, _ = _browser(app, "admin")
    assert admin.get("/audit").status_code == 200


def test_every_page_renders_for_a_viewer(app):
    client, _ = _browser(app, "viewer")
    for path in ("/", "/segments", "/segments?model=rfm-scores&segment=S01", "/customers",
                 "/customers?q=C00001", "/runs", "/customers/NOPE"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert "<script>" not in response.text  # no inline scripts (CSP)
