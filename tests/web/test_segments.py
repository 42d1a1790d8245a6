"""Segmentations, runs, migration and the overview over the API."""

from __future__ import annotations

import pytest


def test_template_one_matches_the_stored_summary(as_role, app_db):
    client = as_role("viewer")
    table = client.get("/api/segments?model=rfm-rules&lang=en").json()
    run = app_db.execute("SELECT run_id FROM runs WHERE json_extract_string(config, "
                         "'$.model') = 'rfm-rules' ORDER BY created_at DESC LIMIT 1"
                         ).fetchone()[0]
    stored = app_db.execute("SELECT segment_id, name_en, customers FROM segment_summary "
                            "WHERE run_id = ? ORDER BY position", [run]).fetchall()
    assert table["run_id"] == run and table["lang"] == "en"
    assert [(s["segment_id"], s["name"], s["customers"]) for s in table["segments"]] == stored
    customers = app_db.execute("SELECT count(*) FROM segment_assignments WHERE run_id = ?",
                               [run]).fetchone()[0]
    assert table["total"] == customers
    assert abs(sum(s["share_pct"] for s in table["segments"]) - 100) < 0.1
    zh = client.get(f"/api/segments?run_id={run}&lang=zh").json()
    assert zh["segments"][0]["name"] != table["segments"][0]["name"]


def test_members_page_through_the_segment(as_role, app_db):
    client = as_role("viewer")
    table = client.get("/api/segments?model=rfm-rules").json()
    biggest = max(table["segments"], key=lambda s: s["customers"])
    ids = []
    for offset in range(0, biggest["customers"], 25):
        page = client.get(f"/api/segments/{biggest['segment_id']}/customers?model=rfm-rules"
                          f"&limit=25&offset={offset}").json()
        ids += [c["customer_id"] for c in page["items"]]
    expected = [r[0] for r in app_db.execute(
        "SELECT customer_id FROM segment_assignments WHERE run_id = ? AND segment_id = ? "
        "ORDER BY 1", [table["run_id"], biggest["segment_id"]]).fetchall()]
    assert ids == expected
    assert client.get("/api/segments/NOPE/customers?model=rfm-rules").status_code == 404
    assert client.get("/api/segments?model=no-such-model").status_code == 404


def test_models_list_each_with_its_latest_run(as_role):
    models = {m["model"]: m for m in as_role("viewer").get("/api/segments/models").json()}
    assert set(models) == {"rfm-rules", "rfm-scores"}
    assert models["rfm-rules"]["runs"] == 2 and models["rfm-rules"]["as_of"] == "2026-06-30"


@pytest.mark.slow
def test_analyst_starts_and_removes_a_run(as_role, app_db):
    client = as_role("analyst")
    created = client.post("/api/runs", json={"model": "rfm-rules", "as_of": "2025-12-31"})
    assert created.status_code == 201
    run_id = created.json()["run_id"]
    detail = client.get(f"/api/runs/{run_id}").json()
    assert detail["as_of"] == "2025-12-31" and detail["model"] == "rfm-rules"
    assert run_id in [r["run_id"] for r in client.get("/api/runs").json()]
    assert client.delete(f"/api/runs/{run_id}").status_code == 204
    assert app_db.execute("SELECT count(*) FROM segment_assignments WHERE run_id = ?",
                          [run_id]).fetchone()[0] == 0
    bad = client.post("/api/runs", json={"model": "no-such-model"})
    assert bad.status_code == 400 and "no-such-model" in bad.json()["detail"]
    assert client.post("/api/runs", json={"model": "x", "extra": 1}).status_code == 422


@pytest.mark.slow
def test_migration_between_the_two_snapshots(as_role, app_db):
    report = as_role("viewer").get("/api/migration?model=rfm-rules&lang=en").json()
    assert (report["as_of_a"], report["as_of_b"]) == ("2026-03-31", "2026-06-30")
    later = app_db.execute("SELECT count(*) FROM segment_assignments WHERE run_id = ?",
                           [report["run_b"]]).fetchone()[0]
    arriving = sum(r["customers"] for r in report["matrix"] if r["to_segment"] != "(gone)")
    assert arriving == later
    assert report["sankey"]["links"]


def test_overview_counts(as_role, app_db):
    data = as_role("viewer").get("/api/overview").json()
    assert data["tables"]["customers"] == app_db.execute(
        "SELECT count(*) FROM customers").fetchone()[0]
    assert data["order_dates"][1] == "2026-06-30"
    assert {m["model"] for m in data["models"]} == {"rfm-rules", "rfm-scores"}
