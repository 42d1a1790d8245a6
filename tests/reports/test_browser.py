"""The demo report in headless Chromium with the network blocked: charts drawn, no errors.

Uses Debian's /usr/bin/chromium (installed by .ci/run), never a downloaded browser.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from custseg.demo import create_demo
from custseg.reports import write_report

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    with create_demo("retail", folder / "demo", language="en", customers=300, seed=3) as p:
        p.ingest_sources()
        end = p.status()["order_dates"][1]
        earlier = date.fromisoformat(end).replace(day=1)
        p.segment("rfm-rules", as_of=earlier)
        for model in ("rfm-rules", "rfm-scores", "kmeans"):
            p.segment(model)
        return write_report(p, out=folder / "report.html")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


def test_demo_report_draws_every_chart_offline(demo_report, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, blocked = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def offline(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    page.goto(demo_report.as_uri())
    divs = page.locator(".plotly-graph-div").count()
    page.wait_for_function(
        f"document.querySelectorAll('.plotly-graph-div .main-svg').length >= {divs}")
    drawn = page.evaluate("""() => [...document.querySelectorAll('.plotly-graph-div')].map(
        d => d.querySelectorAll('.point, .slice, .sankey-node, .heatmaplayer image, '
                                + '.scatterlayer .trace path.js-line').length)""")
    page.screenshot(path=tmp_path / "report.png", full_page=True)
    assert errors == [] and blocked == []
    assert divs >= 10 and len(drawn) == divs
    assert all(n > 0 for n in drawn), drawn  # every chart has data points, none is empty
    assert (tmp_path / "report.png").stat().st_size > 50_000
    sections = page.locator("main > section").count()
    assert sections == page.locator("nav a").count()
    assert page.locator("#segments h3").count() == 3
    page.close()
