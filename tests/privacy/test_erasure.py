import json

import pytest
from typer.testing import CliRunner

from custseg.cli import app
from custseg.errors import CustsegError
from custseg.io import audit
from tests.privacy.conftest import CUSTOMERS, ORDERS, PERSONAL, rows, scan

pytestmark = pytest.mark.slow  # every test cleans the database again (seconds each)

ERASED = ["C01", "C02", *PERSONAL["C01"], *PERSONAL["C02"], "深圳南山科技园1号"]


def _traces(project) -> list[tuple]:
    return scan(project, ERASED) + rows(
        project, "SELECT 'orders', order_id FROM orders WHERE order_id IN ('O1', 'O2', 'O8') "
        "UNION ALL SELECT 'raw', order_id FROM raw_orders WHERE order_id IN ('O1', 'O2', 'O8')")


@pytest.mark.parametrize("mode", ["plain", "encrypted"])
def test_erase_removes_every_trace_and_later_loads_skip_it(mode, request, tmp_path):
    project = request.getfixturevalue(mode)
    project.segment("rfm-rules")
    con = project.connect()
    audit.record(con, user="ana", action="view_personal", target="customer C02",
                 detail="phone shown")
    assert _traces(project)
    done = project.erase("C02", by="dpo")  # a merged id: the person is C01 with C02
    assert done["ids"] == 2 and done["rows"]["raw_customers"] == 2
    assert done["rows"]["segment_assignments"] == 1 and done["rows"]["identity_map"] == 1
    assert _traces(project) == []
    log = audit.entries(con)
    assert log[0]["action"] == "erase" and log[0]["user_name"] == "dpo"
    assert log[0]["target"] == f"customer {done['customer']}"
    assert log[1]["target"] == f"customer {done['customer']}"  # the earlier view, pseudonymised
    assert rows(project, "SELECT count(*) FROM customers")[0][0] == 4
    # a new export that still holds the customer does not bring them back
    folder = tmp_path / "later"
    folder.mkdir()
    (folder / "customers.csv").write_text(
        CUSTOMERS + "C10,周九,13500004444,,,,2023-05-01,,\n", encoding="utf-8")
    (folder / "orders.csv").write_text(ORDERS + "O10,C01,2024-06-20,99.00\n", encoding="utf-8")
    cust = project.ingest([folder / "customers.csv"], table="customers")[0]
    orders = project.ingest([folder / "orders.csv"], table="orders")[0]
    assert cust.rows_loaded == 1 and any("erased" in n for n in cust.notes)
    assert orders.rows_loaded == 0 and any("4 rows of erased" in n for n in orders.notes)
    assert _traces(project) == []


def test_erase_unknown_customer_is_an_error(plain):
    with pytest.raises(CustsegError, match="no customer 'NOPE'"):
        plain.erase("NOPE", by="dpo")


def test_erase_a_customer_known_only_from_a_rejected_line(plain):
    assert scan(plain, ["孙八"])
    done = plain.erase("C08", by="dpo")
    assert done["rejected_lines"] == 1 and scan(plain, ["孙八", "C08"]) == []


def test_cli_erase(encrypted):
    directory = str(encrypted.directory)
    encrypted.close()
    result = CliRunner().invoke(app, ["erase", "C03", "--by", "dpo", "--json",
                                      "--project", directory])
    assert result.exit_code == 0, result.output
    done = json.loads(result.output)
    assert done["ids"] == 2 and done["customer"].startswith("erased:")
    assert rows(encrypted, "SELECT count(*) FROM raw_customers WHERE customer_id IN "
                "('C03', 'C07')")[0][0] == 0
