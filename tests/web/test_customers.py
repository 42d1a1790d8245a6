"""Customers over the API: pages, search, the customer 360 parts against the database,
masking per role, audit entries and CSV exports."""

from __future__ import annotations

import csv
import io

import pytest


@pytest.fixture(scope="module")
def some(app):
    """A customer with orders and interactions, checked against plain SQL."""
    db = app.state.custseg.project.connect().con
    cid = db.execute("SELECT i.customer_id FROM interactions i JOIN orders o USING "
                     "(customer_id) ORDER BY 1 LIMIT 1").fetchone()[0]
    return cid


def _audits(db, user):
    return db.execute("SELECT action, target FROM audit_log WHERE user_name = ? ORDER BY "
                      "logged_at", [user]).fetchall()


def test_pages_cover_every_customer_once(as_role, app_db):
    client = as_role("viewer")
    total = app_db.execute("SELECT count(*) FROM customers").fetchone()[0]
    seen = []
    for offset in range(0, total + 40, 40):
        page = client.get(f"/api/customers?limit=40&offset={offset}").json()
        assert page["total"] == total and page["masked"] is True
        seen += [c["customer_id"] for c in page["items"]]
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == total


def test_search_by_id_for_all_and_by_name_only_for_analysts(as_role, app_db, some):
    name, phone = app_db.execute("SELECT name, phone FROM customers WHERE customer_id = ?",
                                 [some]).fetchone()
    viewer, analyst = as_role("viewer"), as_role("analyst")
    ids = [c["customer_id"] for c in viewer.get(f"/api/customers?q={some[:-1]}").json()["items"]]
    assert some in ids and all(i.startswith(some[:-1]) for i in ids)
    assert viewer.get(f"/api/customers?q={phone}").json()["total"] == 0
    found = analyst.get(f"/api/customers?q={phone}").json()["items"]
    assert [c["customer_id"] for c in found] == [some]
    assert some in [c["customer_id"] for c in analyst.get(f"/api/customers?q={name}")
                    .json()["items"]]


def test_customer_masked_for_operator_clear_for_analyst(as_role, app_db, some):
    name, phone, id_number = app_db.execute(
        "SELECT name, phone, id_number FROM customers WHERE customer_id = ?", [some]).fetchone()
    masked = as_role("operator").get(f"/api/customers/{some}").json()
    clear = as_role("analyst").get(f"/api/customers/{some}").json()
    assert masked["masked"] and not clear["masked"]
    assert masked["attributes"]["phone"] == phone[:3] + "****" + phone[-4:]
    assert masked["attributes"]["id_number"] == id_number[:6] + "*" * 8 + id_number[-4:]
    assert masked["attributes"]["name"] == name[0] + "*" * (len(name) - 1)
    assert (clear["attributes"]["phone"], clear["attributes"]["name"]) == (phone, name)
    assert ("view_personal", f"customer {some}") in _audits(app_db, "analyst")
    assert _audits(app_db, "operator") == []


def test_order_summary_and_orders_match_the_database(as_role, app_db, some):
    client = as_role("viewer")
    summary = client.get(f"/api/customers/{some}").json()["orders"]
    orders = client.get(f"/api/customers/{some}/orders?limit=500").json()
    count, first, last = app_db.execute(
        "SELECT count(*), min(order_date)::VARCHAR, max(order_date)::VARCHAR FROM orders "
        "WHERE customer_id = ?", [some]).fetchone()
    assert len(orders) == count and (summary["first"], summary["last"]) == (first, last)
    assert [o["order_date"] for o in orders] == sorted((o["order_date"] for o in orders),
                                                       reverse=True)


def test_segments_now_and_history_across_snapshots(as_role, app_db, some):
    client = as_role("viewer")
    now = {s["model"]: s for s in client.get(f"/api/customers/{some}/segments").json()
           ["segments"]}
    expected = dict(app_db.execute(
        "SELECT a.model, a.segment_id FROM segment_assignments a JOIN runs r USING (run_id) "
        "WHERE a.customer_id = ? QUALIFY row_number() OVER (PARTITION BY a.model ORDER BY "
        "r.created_at DESC) = 1", [some]).fetchall())
    assert {m: s["segment_id"] for m, s in now.items()} == expected
    history = client.get(f"/api/customers/{some}/history").json()
    rules = [h for h in history if h["model"] == "rfm-rules"]
    assert [h["as_of"] for h in rules] == ["2026-03-31", "2026-06-30"]
    assert rules[-1]["segment_id"] == now["rfm-rules"]["segment_id"]


def test_profile_has_every_part_and_interaction_text_is_scrubbed(as_role, app_db, some):
    app_db.execute("UPDATE interactions SET text = 'call 13912345678' WHERE customer_id = ?",
                   [some])
    viewer = as_role("viewer").get(f"/api/customers/{some}/profile").json()
    analyst = as_role("analyst").get(f"/api/customers/{some}/profile").json()
    assert set(viewer) >= {"customer", "segments", "history", "orders", "interactions",
                           "predictions", "explanation"}
    assert viewer["interactions"][0]["text"] == "call 139****5678"
    assert analyst["interactions"][0]["text"] == "call 13912345678"


def test_unknown_customer_is_404(as_role):
    client = as_role("viewer")
    for part in ("", "/segments", "/history", "/orders", "/profile"):
        assert client.get(f"/api/customers/NOPE{part}").status_code == 404


def test_export_is_masked_unless_an_analyst_asks_and_is_audited(as_role, app_db):
    run, seg, cid = app_db.execute(
        "SELECT run_id, segment_id, customer_id FROM segment_assignments WHERE model = "
        "'rfm-rules' ORDER BY run_id DESC, customer_id LIMIT 1").fetchone()
    app_db.execute("UPDATE customers SET name = '=HYPERLINK(\"x\")' WHERE customer_id = ?",
                   [cid])
    phone = app_db.execute("SELECT phone FROM customers WHERE customer_id = ?",
                           [cid]).fetchone()[0]

    def rows(role, personal):
        response = as_role(role).get(f"/api/segments/{seg}/customers.csv?run_id={run}"
                                     f"&personal={str(personal).lower()}")
        assert response.status_code == 200 and "attachment" in response.headers[
            "content-disposition"]
        return {r["customer_id"]: r for r in csv.DictReader(io.StringIO(
            response.content.decode("utf-8-sig")))}

    operator = rows("operator", True)  # operators never get clear values
    analyst = rows("analyst", True)
    assert operator[cid]["phone"] == phone[:3] + "****" + phone[-4:]
    assert analyst[cid]["phone"] == phone
    assert analyst[cid]["name"] == "'=HYPERLINK(\"x\")"
    assert ("export", f"segment {seg} of run {run}") in _audits(app_db, "operator")
    detail = app_db.execute("SELECT detail FROM audit_log WHERE user_name = 'analyst' AND "
                            "action = 'export'").fetchone()[0]
    assert "clear" in detail
