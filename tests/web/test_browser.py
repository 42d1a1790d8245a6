"""Acceptance in a real browser (Debian's chromium driven by Playwright): a viewer opens a
segment and a customer 360 page and sees a masked phone; an analyst sees it in clear, and
the audit log has that view."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.web.conftest import password

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def base_url(app):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


def _sign_in(browser, base_url: str, role: str):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}/segments")
    assert "/login" in page.url
    page.fill("#username", role)
    page.fill("#password", password(role))
    page.click("#login-button")
    page.wait_for_url(re.compile(r".*/segments.*"))
    assert page.text_content("#who").startswith(role)
    return page, errors


def test_viewer_sees_masked_phone_analyst_clear_and_the_view_is_audited(browser, base_url,
                                                                        app):
    page, errors = _sign_in(browser, base_url, "viewer")
    page.click("a.segment-link >> nth=0")
    page.wait_for_selector("table.members")
    page.click("table.members a >> nth=0")
    page.wait_for_selector("#attr-phone")
    cid = page.text_content("#customer-id").strip()
    masked = page.text_content("#attr-phone").strip()
    assert re.fullmatch(r"\d{3}\*{4}\d{4}", masked), masked
    assert page.is_visible("#masked-note")
    page.wait_for_selector("#history-chart .main-svg")  # Plotly drew under the CSP
    assert errors == []
    page.close()

    db = app.state.custseg.project.connect().con.cursor()
    phone = db.execute("SELECT phone FROM customers WHERE customer_id = ?", [cid]).fetchone()[0]
    assert masked == phone[:3] + "****" + phone[-4:]

    page, errors = _sign_in(browser, base_url, "analyst")
    page.goto(f"{base_url}/customers/{cid}")
    assert page.text_content("#attr-phone").strip() == phone
    assert not page.is_visible("#masked-note")
    page.close()
    entries = db.execute("SELECT action FROM audit_log WHERE user_name = 'analyst' AND "
                         "target = ?", [f"customer {cid}"]).fetchall()
    viewer = db.execute("SELECT count(*) FROM audit_log WHERE user_name = 'viewer'"
                        ).fetchone()[0]
    db.close()
    assert entries == [("view_personal",)] and viewer == 0


def test_admin_reads_the_audit_page(browser, base_url):
    page, errors = _sign_in(browser, base_url, "admin")
    page.goto(f"{base_url}/audit")
    assert page.is_visible("#audit")
    page.close()
    assert errors == []
