"""PostgreSQL as a source and as the operational store, on a real server started by the tests."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest

from custseg.io import accounts, audit
from custseg.io.store import PostgresStore, open_store, publish_runs, registry
from custseg.pipeline import Project

pytestmark = pytest.mark.postgres

AS_OF = date(2024, 6, 30)
ORDERS = [  # 订单号, 会员号, 下单时间, 实付金额, 状态
    *[(f"A{i}", "M001", datetime(2024, 6, 20 + i, 10), 500.25, "已完成") for i in range(5)],
    ("B1", "M002", datetime(2023, 11, 2, 9), 80.00, "已完成"),
    ("C1", "M003", datetime(2024, 5, 20, 8), 400.00, "已完成"),
    ("C2", "M003", datetime(2024, 6, 1, 8), 300.00, "已完成"),
    ("C3", "M003", datetime(2024, 6, 2, 8), 999.00, "已取消"),
    ("C4", "M003", datetime(2024, 6, 3, 8), 50.00, "已退款"),
]


def _write_config(folder: Path, text: str) -> Project:
    project = Project.init(folder)
    (folder / "custseg.toml").write_text(text, encoding="utf-8")
    project.close()
    return Project.open(folder)


@pytest.fixture
def shop(postgres_url):
    """A shop database with a Chinese-header orders table."""
    with psycopg.connect(postgres_url.replace("unused@", "@"), autocommit=True) as db:
        db.execute('DROP TABLE IF EXISTS shop_orders')
        db.execute('CREATE TABLE shop_orders ("订单号" text, "会员号" text, "下单时间" timestamp, '
                   '"实付金额" numeric(10, 2), "状态" text)')
        with db.cursor() as cur:
            cur.executemany("INSERT INTO shop_orders VALUES (%s, %s, %s, %s, %s)", ORDERS)
    return postgres_url


@pytest.mark.slow
def test_sources_from_postgres_run_end_to_end(shop, tmp_path):
    config = f"""[features]
as_of = {AS_OF}
[run]
models = ["rfm-rules"]
[[sources]]
url = "{shop}"
sql_table = "shop_orders"
table = "orders"
[[sources]]
url = "{shop}"
query = "SELECT DISTINCT \\"会员号\\" AS customer_id FROM shop_orders"
table = "customers"
"""
    with _write_config(tmp_path / "p", config) as project:
        outcome = project.run()
        db = project.connect().con
        orders = db.execute("SELECT count(*), sum(amount) FROM orders").fetchone()
        segments = dict(db.execute(
            "SELECT customer_id, segment_id FROM segment_assignments WHERE run_id = ?",
            [outcome["steps"][0]["run_id"]]).fetchall())
        again = project.ingest_sources()
    assert outcome["status"] == "done"
    assert orders == (len(ORDERS), pytest.approx(5 * 500.25 + 80 + 400 + 300 + 999 + 50))
    # M001: R 6, F 5, M 2501.25 → A001; M002: R 241, F 0 → A004; M003: F 2, M 650 → A003
    assert segments == {"M001": "A001", "M002": "A004", "M003": "A003"}
    assert [r.rows_loaded for r in again] == [0, 0]  # unchanged tables add nothing


@pytest.mark.slow
def test_audit_log_and_run_registry_live_on_the_server(shop, tmp_path):
    config = f"""[engine]
operational_store = "{shop}"
[[sources]]
url = "{shop}"
sql_table = "shop_orders"
table = "orders"
"""
    with _write_config(tmp_path / "p", config) as project:
        project.ingest_sources()
        store = project.store()
        assert isinstance(store, PostgresStore)
        audit.record(store, user="ana", action="export", target="segment A001")
        audit.record(store, user="bob", action="view_personal", target="customer M002")
        run = project.segment("rfm-rules", as_of=AS_OF)
        project.connect().con.execute("UPDATE runs SET status = 'archived' WHERE run_id = ?",
                                      [run.run_id])
        assert project.publish_runs() == 1
        published = registry(store, project.settings.project.name)
    with psycopg.connect(shop.replace("unused@", "@")) as db:
        logged = db.execute("SELECT user_name, target FROM audit_log ORDER BY logged_at")
        assert logged.fetchall() == [("ana", "segment A001"), ("bob", "customer M002")]
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    assert [(r["run_id"], r["status"]) for r in published] == [(run.run_id, "archived")]
    stored_url = published[0]["config"]["settings"]["engine"]["operational_store"]
    assert stored_url == shop.replace(":unused@", ":***@")
    assert "unused" not in json.dumps(published[0]["config"])


def test_removed_runs_leave_the_registry(postgres_url, project):
    store = PostgresStore(postgres_url)
    db = project.connect().con
    db.execute("CREATE TABLE IF NOT EXISTS runs (run_id VARCHAR, kind VARCHAR, as_of DATE, "
               "created_at TIMESTAMP, config VARCHAR, status VARCHAR)")
    db.execute("INSERT INTO runs VALUES ('r1', 'segment', DATE '2024-01-31', now(), '{}', "
               "'done'), ('r2', 'segment', DATE '2024-02-29', now(), '{}', 'done')")
    assert publish_runs(db, store, "removal") == 2
    assert publish_runs(db, store, "removal") == 0  # nothing changed
    db.execute("DELETE FROM runs WHERE run_id = 'r1'")
    publish_runs(db, store, "removal")
    assert [r["run_id"] for r in registry(store, "removal")] == ["r2"]
    store.close()


def test_accounts_run_unchanged_on_the_server(postgres_url, project):
    with open_store(postgres_url, project.connect().con) as store:
        store.execute("DROP TABLE IF EXISTS sessions")
        store.execute("DROP TABLE IF EXISTS users")
        accounts.add_user(store, "ana", "analyst", "correct horse battery")
        user = accounts.authenticate(store, "ana", "correct horse battery")
        jti, _ = accounts.start_session(store, "ana", kind="browser", minutes=5)
        assert accounts.session_user(store, jti, "ana") == user
        assert accounts.authenticate(store, "ana", "wrong password") is None
    assert user.role == "analyst"


def test_unreachable_store_names_the_setting(project):
    with pytest.raises(Exception, match=r"operational_store postgresql://x:\*\*\*@"):
        PostgresStore("postgresql://x:secret@127.0.0.1:1/none")


@pytest.mark.slow
def test_erasure_redacts_the_audit_log_on_the_server(postgres_url, tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    (files / "customers.csv").write_text(
        "客户编号,姓名,手机号\nK01,周一,13911112222\nK02,吴二,13933334444\n", encoding="utf-8")
    (files / "orders.csv").write_text("订单号,客户编号,下单时间,实付金额\n"
                                      "Q1,K01,2024-05-01,100\nQ2,K02,2024-05-02,50\n",
                                      encoding="utf-8")
    config = f'[engine]\noperational_store = "{postgres_url}"\n'
    with _write_config(tmp_path / "p", config) as project:
        project.ingest([files / "customers.csv"], table="customers")
        project.ingest([files / "orders.csv"], table="orders")
        store = project.store()
        store.execute("DROP TABLE IF EXISTS audit_log")  # the server is shared by the tests
        store.execute(audit.AUDIT_DDL)
        try:
            audit.record(store, user="ana", action="view_personal", target="customer K01",
                         detail="phone 13911112222 shown")
            audit.record(store, user="ana", action="export", target="customer K02",
                         detail="attributes")
            done = project.erase("K01", by="dpo")
            logged = store.execute("SELECT user_name, action, target, detail FROM audit_log "
                                   "WHERE user_name IN ('ana', 'dpo') ORDER BY logged_at"
                                   ).fetchall()
        finally:
            store.execute("DROP TABLE IF EXISTS audit_log")
    tag = f"customer {done['customer']}"
    assert logged[:2] == [("ana", "view_personal", tag, "phone [erased] shown"),
                          ("ana", "export", "customer K02", "attributes")]
    assert logged[2][:3] == ("dpo", "erase", tag) and len(logged) == 3
    assert done["scrubbed"]["operational_store.audit_log.target"] == 1
    assert not any("K01" in str(v) or "13911112222" in str(v) for r in logged for v in r)
