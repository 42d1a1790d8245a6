"""Personal data encrypted at rest: the API decrypts for analysts and masks the clear value
for viewers; erasure through the admin endpoint removes the customer and is audited."""

from __future__ import annotations

import shutil

import pytest

from custseg.pipeline import Project
from tests.web.conftest import SECRET, sign_in


@pytest.fixture(scope="module")
def encrypted_app(retail_dir, tmp_path_factory):
    from custseg.web import create_app

    folder = tmp_path_factory.mktemp("enc") / "retail"
    shutil.copytree(retail_dir, folder)
    with Project.open(folder) as project:
        db = project.connect().con
        clear = dict(db.execute("SELECT customer_id, phone FROM customers WHERE phone IS NOT "
                                "NULL ORDER BY 1 LIMIT 3").fetchall())
        project.init_key()
    project = Project.open(folder)
    application = create_app(project=project, secret=SECRET)
    yield application, clear
    project.close()


@pytest.mark.slow
def test_encrypted_values_are_decrypted_then_masked(encrypted_app):
    app, clear = encrypted_app
    db = app.state.custseg.project.connect().con
    stored = db.execute("SELECT phone FROM customers WHERE customer_id = ?",
                        [next(iter(clear))]).fetchone()[0]
    assert stored.startswith("enc1:")
    analyst, viewer = sign_in(app, "analyst"), sign_in(app, "viewer")
    for cid, phone in clear.items():
        assert analyst.get(f"/api/customers/{cid}").json()["attributes"]["phone"] == phone
        masked = viewer.get(f"/api/customers/{cid}").json()["attributes"]["phone"]
        assert masked == phone[:3] + "****" + phone[-4:]
    page = viewer.get("/api/customers?limit=500").json()["items"]
    assert not any("enc1:" in str(c) for c in page)


@pytest.mark.slow
def test_analysts_find_encrypted_customers_by_whole_name_or_phone(encrypted_app):
    app, clear = encrypted_app
    cid, phone = sorted(clear.items())[0]
    analyst, viewer = sign_in(app, "analyst"), sign_in(app, "viewer")
    name = analyst.get(f"/api/customers/{cid}").json()["attributes"]["name"]

    def found(client, q, path="/api/customers", **params):
        answer = client.get(path, params={"q": q, **params}).json()
        return [c["customer_id"] for c in answer["items"]]

    for q in (phone, f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}", f" {name} "):
        assert cid in found(analyst, q), q
    assert found(analyst, phone) == [cid]
    assert found(analyst, phone[:7]) == [] and found(analyst, name[:1]) == []  # exact only
    assert found(viewer, phone) == [] and found(viewer, name) == []
    assert cid in found(viewer, cid[:-1])  # the id prefix search is unchanged
    segment = analyst.get(f"/api/customers/{cid}/segments").json()["segments"][0]
    members = f"/api/segments/{segment['segment_id']}/customers"
    assert found(analyst, phone, members, run_id=segment["run_id"]) == [cid]


@pytest.mark.slow
def test_admin_erases_a_customer_everywhere(encrypted_app):
    app, clear = encrypted_app
    cid = sorted(clear)[-1]
    admin = sign_in(app, "admin")
    assert admin.delete(f"/api/customers/{cid}").status_code == 204
    assert admin.get(f"/api/customers/{cid}").status_code == 404
    assert admin.get(f"/api/customers/{cid}/history").status_code == 404
    db = app.state.custseg.project.connect().con
    assert db.execute("SELECT count(*) FROM segment_assignments WHERE customer_id = ?",
                      [cid]).fetchone()[0] == 0
    logged = [(e["user_name"], e["action"]) for e in admin.get("/api/audit?action=erase")
              .json()]
    assert ("admin", "erase") in logged
