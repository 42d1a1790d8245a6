import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from custseg.cli import app
from custseg.errors import CustsegError
from custseg.io import keys, profiles
from custseg.pipeline import Project
from custseg.privacy.encryption import PREFIX, Keyring, new_secret
from tests.privacy.conftest import PERSONAL, load, rows, scan, write_files

NEEDLES = [v for values in PERSONAL.values() for v in values] + ["孙八", "13600003333"]


def test_plain_project_stores_clear_text_and_says_so(plain):
    status = plain.status()["privacy"]
    assert status["encrypted"] is False and "NOT encrypted" in status["note"]
    assert scan(plain, ["13812345678"])  # as today: plain storage
    result = CliRunner().invoke(app, ["status", "--project", str(plain.directory)])
    assert result.exit_code == 0 and "未加密" in result.output.replace("\n", " ")


def test_nothing_personal_is_stored_in_clear(encrypted):
    assert encrypted.status()["privacy"]["encrypted"] is True
    assert scan(encrypted, NEEDLES) == []
    phones = rows(encrypted, "SELECT phone FROM customers WHERE customer_id = 'C01'")
    assert phones[0][0].startswith(PREFIX)
    assert encrypted.privacy.reveal(phones[0][0]) == "13812345678"
    line = rows(encrypted, "SELECT raw_value FROM quarantine WHERE stage = 'read'")
    assert line and all(v.startswith(PREFIX) for (v,) in line)
    assert "孙八" in encrypted.privacy.reveal(line[0][0])


def _canonical(project: Project) -> dict:
    db = project.connect().con
    customers = db.execute("SELECT customer_id, name, phone, email, id_number, address, "
                           "objects_profiling, objects_marketing FROM customers ORDER BY 1"
                           ).fetchall()
    return {
        "customers": [tuple(project.privacy.reveal(v) for v in r) for r in customers],
        "identity_map": db.execute("SELECT * FROM identity_map ORDER BY 1").fetchall(),
        "quarantine": db.execute("SELECT table_name, _row, rule, action FROM quarantine "
                                 "ORDER BY ALL").fetchall(),
        "orders": db.execute("SELECT order_id, customer_id FROM orders ORDER BY 1").fetchall(),
    }


def test_cleaning_on_keyed_hashes_matches_cleaning_in_clear(plain, encrypted):
    clear, hidden = _canonical(plain), _canonical(encrypted)
    assert hidden == clear
    assert ("C02", "C01", "phone") in clear["identity_map"]
    assert ("C07", "C03", "email") in clear["identity_map"]
    rules = {(t, r) for t, _, r, _ in clear["quarantine"]}
    assert {("customers", "test_account"), ("customers", "unreadable_phone"),
            ("customers", "unreadable_email"), ("customers", "unreadable_row")} <= rules
    # merged attributes come from the latest row that has them (C02 was loaded after C01)
    assert ("C01", "张三丰", "13812345678", "zsf@example.com", "110101199003074514",
            "深圳南山科技园1号", False, False) in clear["customers"]
    assert [c[0] for c in clear["customers"]] == ["C01", "C03", "C04", "C05", "C09"]


def test_search_hashes_normalise_the_query_as_the_stored_index(plain, encrypted):
    db = encrypted.connect().con
    hashes = {cid: (name, phone) for cid, name, phone in db.execute(
        "SELECT customer_id, name_hash, phone_hash FROM customers").fetchall()}
    assert keys.search_hashes(encrypted.privacy, "+86 138-1234-5678")["phone_hash"] == (
        hashes["C01"][1])
    by_name = keys.search_hashes(encrypted.privacy, "\u3000王五 ")
    assert by_name == {"name_hash": hashes["C04"][0]}  # a name is never a phone
    landline = keys.search_hashes(encrypted.privacy, "0755-1234567")
    page = profiles.list_customers(db, limit=10, offset=0, q="0755-1234567",
                                   personal_search=True, search_hashes=landline)
    assert [c["customer_id"] for c in page["items"]] == ["C04"]
    assert keys.search_hashes(plain.privacy, "王五") is None  # plain: searched as text


def test_a_project_encrypted_before_names_were_indexed_gets_the_index(encrypted):
    raw_sql = "SELECT _load_id, _row, _name_hash FROM raw_customers ORDER BY 1, 2"
    raw, names = rows(encrypted, raw_sql), rows(
        encrypted, "SELECT customer_id, name_hash FROM customers ORDER BY 1")
    assert any(h for *_, h in raw)
    db = encrypted.connect().con
    db.execute("ALTER TABLE raw_customers DROP COLUMN _name_hash")
    db.execute("ALTER TABLE customers DROP COLUMN name_hash")
    encrypted.close()
    assert rows(encrypted, raw_sql) == raw  # opened with the key: indexed again
    assert rows(encrypted, "SELECT customer_id, name_hash FROM customers ORDER BY 1") == names
    assert scan(encrypted, NEEDLES) == []


def test_key_file_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "k" / "custseg.key"
    ring = keys.write_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.read_key_file(path).key_id == ring.key_id
    with pytest.raises(CustsegError, match="already exists"):
        keys.write_key_file(path)
    os.chmod(path, 0o644)
    with pytest.raises(CustsegError, match="chmod 600"):
        keys.read_key_file(path)


@pytest.mark.slow
def test_without_the_key_analyses_run_and_personal_fields_read_empty(encrypted, tmp_path):
    directory = encrypted.directory
    encrypted.close()
    key = directory / "custseg.key"
    key.rename(tmp_path / "elsewhere.key")
    with Project.open(directory) as p:
        status = p.status()["privacy"]
        assert status["encrypted"] and not status["key_present"]
        result = p.segment("rfm-rules")
        assert result.total == 4  # C01, C03, C05, C09; C04 objects to profiling
        phone = rows(p, "SELECT phone FROM customers WHERE customer_id = 'C01'")[0][0]
        assert p.privacy.reveal(phone) is None
        assert p.privacy.reveal_record({"customer_id": "C01", "phone": phone}) == {
            "customer_id": "C01", "phone": None}
        with pytest.raises(CustsegError, match="needs the key"):
            p.ingest([write_files(tmp_path / "f")[1]], table="orders")
        assert p.clean()["balance"]  # cleaning runs on stored hashes, without the key
        assert ("C02", "C01", "phone") in rows(p, "SELECT * FROM identity_map")


def test_a_different_key_is_refused(encrypted, monkeypatch):
    directory = encrypted.directory
    encrypted.close()
    monkeypatch.setenv(keys.ENV_KEY, new_secret())
    with pytest.raises(CustsegError, match="not the key this database is encrypted with"):
        Project.open(directory).connect()


@pytest.mark.slow
def test_keys_init_encrypts_an_existing_plain_project(plain, tmp_path):
    before = _canonical(plain)
    done = plain.init_key()
    assert Path(done["key_file"]).is_file()
    assert scan(plain, NEEDLES) == []
    assert _canonical(plain) == before
    customers, _ = write_files(tmp_path / "again")
    extra = customers.read_text(encoding="utf-8") + "C10,周九,13500004444,,,,2023-05-01,,\n"
    customers.write_text(extra, encoding="utf-8")
    report = plain.ingest([customers], table="customers")[0]
    assert report.rows_loaded == 1  # keyed row hashes still find the rows loaded before
    assert scan(plain, ["周九", "13500004444"]) == []


def test_rotation_re_encrypts_everything_and_keeps_hashes(encrypted, tmp_path):
    old_key = encrypted.privacy.keyring
    token = rows(encrypted, "SELECT name FROM customers WHERE customer_id = 'C01'")[0][0]
    before = _canonical(encrypted)
    done = encrypted.rotate_key()
    assert done["key_id"] != old_key.key_id and Path(done["previous_key_file"]).is_file()
    assert sum(done["values"].values()) > 10
    new_token = rows(encrypted, "SELECT name FROM customers WHERE customer_id = 'C01'")[0][0]
    assert new_token != token
    with pytest.raises(CustsegError):
        old_key.decrypt(new_token)
    directory = encrypted.directory
    encrypted.close()
    with Project.open(directory) as p:
        assert p.privacy.key_id == done["key_id"]
        assert _canonical(p) == before
        report = p.ingest([write_files(tmp_path / "same")[0]], table="customers")[0]
        assert report.status == "unchanged" or report.rows_loaded == 0


def test_rotation_with_the_old_key_from_the_environment(encrypted, monkeypatch):
    project = encrypted
    directory = project.directory
    old_secret = (directory / "custseg.key").read_text().strip()
    project.close()
    (directory / "custseg.key").unlink()
    new_secret_ = new_secret()
    monkeypatch.setenv(keys.ENV_KEY, new_secret_)
    monkeypatch.setenv(keys.ENV_OLD_KEY, old_secret)
    result = CliRunner().invoke(app, ["keys", "rotate", "--project", str(directory)])
    assert result.exit_code == 0, result.output
    with Project.open(directory) as p:
        assert p.privacy.key_id == Keyring(new_secret_).key_id
        name = rows(p, "SELECT name FROM customers WHERE customer_id = 'C04'")[0][0]
        assert p.privacy.reveal(name) == "王五"


@pytest.mark.slow
def test_cli_keys_init_and_status(tmp_path):
    directory = tmp_path / "proj"
    Project.init(directory).close()
    runner = CliRunner()
    result = runner.invoke(app, ["keys", "init", "--project", str(directory)])
    assert result.exit_code == 0, result.output
    assert (directory / "custseg.key").is_file()
    again = runner.invoke(app, ["keys", "init", "--project", str(directory)])
    assert again.exit_code == 1 and "already encrypted" in again.output
    status = runner.invoke(app, ["keys", "status", "--json", "--project", str(directory)])
    assert '"encrypted": true' in status.output
    with Project.open(directory) as p:
        load(p, tmp_path / "files")
        assert scan(p, NEEDLES) == []
