"""Campaigns over the API and pages: plan, record, progress, evaluation, masked export."""

from __future__ import annotations

import csv
import io

import pytest


@pytest.fixture(scope="module")
def campaign(app):
    """A campaign on the dormant segment of the latest rfm-rules run, planned by an
    analyst through the API."""
    from tests.web.conftest import sign_in

    client = sign_in(app, "analyst")
    response = client.post("/api/campaigns", json={
        "segment": "A004", "measure": "winback_coupon", "model": "rfm-rules", "seed": 7,
        "holdout": 0.2})
    assert response.status_code == 201, response.text
    return response.json()


def test_plan_draws_target_and_holdout(campaign, app_db):
    members = app_db.execute("SELECT count(*) FROM segment_assignments WHERE run_id = ? AND "
                             "segment_id = 'A004'", [campaign["segment_run_id"]]).fetchone()[0]
    assert campaign["target_customers"] + campaign["holdout_customers"] + campaign[
        "excluded_objectors"] == members
    assert campaign["holdout_customers"] == round(0.2 * (members - campaign[
        "excluded_objectors"]))


def test_operator_records_an_action_and_progress_counts_it(campaign, as_role, app_db):
    member = app_db.execute("SELECT min(customer_id) FROM campaign_members WHERE "
                            "campaign_id = ? AND arm = 'target'",
                            [campaign["campaign_id"]]).fetchone()[0]
    operator = as_role("operator")
    done = operator.post(f"/api/campaigns/{campaign['campaign_id']}/actions",
                         json={"customer_id": member, "status": "done", "at": "2026-07-02"})
    assert done.status_code == 201 and done.json()["customer_id"] == member
    assert as_role("viewer").post(f"/api/campaigns/{campaign['campaign_id']}/actions", json={
        "customer_id": member, "status": "done", "at": "2026-07-02"}).status_code == 403
    progress = as_role("viewer").get(
        f"/api/campaigns/status?campaign_id={campaign['campaign_id']}").json()
    summary = progress["campaigns"][0]
    assert (summary["reached"], summary["done"]) == (1, 1)
    owner = app_db.execute("SELECT owner FROM actions WHERE customer_id = ?",
                           [member]).fetchone()[0]
    assert owner == "operator"


def test_evaluation_and_unknown_campaign(campaign, as_role):
    client = as_role("viewer")
    report = client.get(f"/api/campaigns/{campaign['campaign_id']}/evaluation").json()
    assert report["arms"] == {"target": campaign["target_customers"],
                              "holdout": campaign["holdout_customers"]}
    assert {k["name"] for k in report["kpis"]} >= {"repurchase_rate"}
    assert client.get("/api/campaigns/NOPE/evaluation").status_code == 404


def test_target_list_export_is_masked_and_audited(campaign, as_role, app_db):
    response = as_role("analyst").get(f"/api/campaigns/{campaign['campaign_id']}/targets.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == campaign["target_customers"]
    phones = {r[0] for r in app_db.execute("SELECT phone FROM customers").fetchall()}
    assert not phones & {v for row in rows for v in row.values()}
    assert app_db.execute("SELECT count(*) FROM audit_log WHERE action = 'export' AND "
                          "target = ?", [f"campaign {campaign['campaign_id']}"]
                          ).fetchone()[0] == 1


def test_campaign_pages(campaign, as_role):
    client = as_role("operator")
    listing = client.get("/campaigns")
    assert listing.status_code == 200 and campaign["campaign_id"] in listing.text
    assert 'id="plan-form"' not in listing.text  # operators do not plan
    page = client.get(f"/campaigns/{campaign['campaign_id']}")
    assert page.status_code == 200 and 'id="action-form"' in page.text
    assert 'id="plan-form"' in as_role("analyst").get("/campaigns").text
