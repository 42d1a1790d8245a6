"""The demo report in headless Chromium with the network blocked: charts drawn, no errors.

The demo project runs every stage the report shows (segmentations, clustering, basket rules,
predictions, a campaign), so every section's charts are drawn by a real browser.

Uses Debian's /usr/bin/chromium (installed by .ci/run), never a downloaded browser.
"""

from __future__ import annotations

import os
import warnings
from datetime import date, timedelta
from pathlib import Path

import pytest

from custseg.clv import ConvergenceWarning
from custseg.demo import create_demo
from custseg.reports import write_report

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    with create_demo("retail", folder / "demo", language="en", customers=300, seed=3) as p:
        p.ingest_sources()
        end = date.fromisoformat(p.status()["order_dates"][1])
        p.segment("rfm-rules", as_of=end.replace(day=1))
        for model in ("rfm-rules", "rfm-scores", "kmeans"):
            p.segment(model)
        p.basket()
        with warnings.catch_warnings():  # the demo's nearly fixed dropout is reported, not wrong
            warnings.simplefilter("ignore", ConvergenceWarning)
            p.predict()
        # regular buyers (A003), started 60 days before the data ends: both arms have orders
        # in the post window, so there is a lift to chart
        p.plan_campaign("A003", "cross_sell", model="rfm-rules", seed=1, holdout=0.3,
                        start=end - timedelta(days=60), post_days=60)
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
        d => [d.closest('section').id,
              d.querySelectorAll('.point, .slice, .sankey-node, .heatmaplayer image, '
                                 + '.scatterlayer .trace path.js-line').length])""")
    page.screenshot(path=tmp_path / "report.png", full_page=True)
    assert errors == [] and blocked == []
    assert divs >= 10 and len(drawn) == divs
    assert all(n > 0 for _, n in drawn), drawn  # every chart has data points, none is empty
    per_section = {key: sum(1 for k, _ in drawn if k == key) for key, _ in drawn}
    # basket: top rules; predictions: levels, both tracking plots, calibration; campaigns: lift
    assert per_section.get("basket", 0) >= 1, per_section
    assert per_section.get("predictions", 0) >= 4, per_section
    assert per_section.get("campaigns", 0) >= 1, per_section
    assert page.locator("section.skipped").count() == 0  # every stage ran: no one-line notes
    assert (tmp_path / "report.png").stat().st_size > 50_000
    sections = page.locator("main > section").count()
    assert sections == page.locator("nav a").count()
    assert page.locator("#segments h3").count() == 3
    page.close()
