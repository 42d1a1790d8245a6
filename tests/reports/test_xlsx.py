"""The Excel workbook: sheets, columns, masking and formula-injection safety."""

from __future__ import annotations

import zipfile

import pytest
from openpyxl import load_workbook

from custseg.errors import CustsegError
from custseg.reports import write_workbook
from custseg.reports.xlsx import safe
from tests.reports.conftest import INJECTED

SHEETS_EN = ["Segments", "Data catalog", "Playbook", "Quality", "Cleaning rules",
             "Field profiles", "Members rfm-rules", "Members rfm-scores", "Members kmeans"]


@pytest.fixture(scope="module")
def workbook_path(report_project_dir, tmp_path_factory):
    from custseg.pipeline import Project

    with Project.open(report_project_dir) as p:
        return write_workbook(p, tmp_path_factory.mktemp("xlsx") / "book.xlsx", lang="en")


def _header(ws) -> list:
    return [c.value for c in next(ws.iter_rows(max_row=1))]


def test_workbook_has_the_sheets_and_columns_of_the_templates(workbook_path):
    wb = load_workbook(workbook_path)
    assert wb.sheetnames == SHEETS_EN
    assert _header(wb["Segments"]) == [
        "model", "run", "as of", "segment id", "segment", "dimension combination",
        "core characteristics", "customers", "share %", "strategy keywords", "owner"]
    assert _header(wb["Data catalog"]) == ["category", "table", "fields", "source", "refresh"]
    assert _header(wb["Playbook"]) == ["model", "segment id", "segment", "direction",
                                       "measures", "owner", "budget", "KPI targets"]
    assert _header(wb["Quality"]) == ["table", "rows in", "clean", "quarantined rows",
                                      "merged", "balanced"]
    assert _header(wb["Members rfm-rules"]) == [
        "segment id", "segment", "customer id", "name (masked)", "phone (masked)",
        "e-mail (masked)", "province", "city"]


def test_playbook_sheet_holds_the_seed_strategies(workbook_path):
    rows = list(load_workbook(workbook_path)["Playbook"].iter_rows(min_row=2, values_only=True))
    core = next(r for r in rows if r[0] == "rfm-rules" and r[1] == "A001")
    assert core[2] == "core loyal" and "repurchase rate +10% vs control" in core[7]
    assert {r[0] for r in rows} == {"rfm-rules", "rfm-scores", "kmeans"}


def test_sheets_are_formatted_for_reading(workbook_path):
    ws = load_workbook(workbook_path)["Segments"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("2F6DB5")
    assert ws.column_dimensions["G"].width > ws.column_dimensions["A"].width
    assert ws.auto_filter.ref.startswith("A1:K")


def test_counts_add_up_and_numbers_stay_numbers(workbook_path):
    ws = load_workbook(workbook_path)["Segments"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    for model in ("rfm-rules", "rfm-scores"):
        assert sum(r[7] for r in rows if r[0] == model) == 24
    assert all(isinstance(r[8], int | float) for r in rows)  # share %, not text
    assert abs(sum(r[8] for r in rows if r[0] == "rfm-scores") - 100) < 0.5


def test_formula_text_from_the_data_is_stored_as_text(workbook_path):
    ws = load_workbook(workbook_path)["Members rfm-rules"]
    cells = [row[2] for row in ws.iter_rows(min_row=2)]
    injected = [c for c in cells if c.value.endswith(INJECTED)]
    assert len(injected) == 1
    assert injected[0].value == "'" + INJECTED and injected[0].data_type == "s"
    with zipfile.ZipFile(workbook_path) as z:
        assert not any("<f>" in z.read(n).decode() for n in z.namelist()
                       if n.startswith("xl/worksheets/"))


def test_field_profiles_sheet_is_formatted_masked_and_escaped(workbook_path):
    ws = load_workbook(workbook_path)["Field profiles"]
    assert _header(ws) == ["table", "field", "missing", "distinct", "min", "max"]
    assert ws.freeze_panes == "A2" and ws["A1"].font.b
    assert ws["A1"].fill.fgColor.rgb.endswith("2F6DB5")
    rows = {(r[0], r[1]): r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows[("customers", "customer_id")][4] == "'" + INJECTED  # text, not a formula
    assert isinstance(rows[("customers", "customer_id")][3], int)  # a number, not text
    phone = rows[("customers", "phone")]
    assert phone[4].startswith("138") and "****" in phone[4]
    assert rows[("customers", "register_date")][4] == "5 Jan 2023"
    assert {t for t, _ in rows} == {"customers", "orders"}  # only the tables with rows


def test_member_lists_are_masked(workbook_path):
    ws = load_workbook(workbook_path)["Members rfm-rules"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 24
    phones = {r[4] for r in rows}
    assert all(p.startswith("138") and "****" in p for p in phones)
    assert {r[3] for r in rows} == {"张*", "J*** D***"}


def test_chinese_workbook(report_project, tmp_path):
    wb = load_workbook(write_workbook(report_project, tmp_path / "zh.xlsx", lang="zh"))
    assert wb.sheetnames[:5] == ["细分结果表", "数据收集清单", "差异化策略", "数据质量", "清洗规则"]
    assert _header(wb["细分结果表"])[3:5] == ["细分编号", "细分名称"]


def test_workbook_path_must_be_xlsx(report_project, tmp_path):
    with pytest.raises(CustsegError, match="--xlsx .*book.xls"):
        write_workbook(report_project, tmp_path / "book.xls")


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"), (-50.0, -50.0), (3, 3), (None, None),
    (["=a", "b"], "'=a; b")])
def test_safe(value, expected):
    assert safe(value) == expected


def _encrypted_segmented(project, tmp_path, monkeypatch) -> None:
    """Encrypt ``project``, load 12 customers with personal data and segment them."""
    from custseg.io import keys
    from tests.reports.conftest import write_sources

    monkeypatch.delenv(keys.ENV_KEY, raising=False)
    project.init_key()
    customers, orders = write_sources(tmp_path, customers=12)
    project.ingest([customers], table="customers")
    project.ingest([orders], table="orders")
    project.segment("rfm-rules")


@pytest.mark.slow
def test_personal_data_encrypted_at_rest_is_revealed_then_masked(project, tmp_path,
                                                                  monkeypatch):
    from custseg.reports import write_report

    _encrypted_segmented(project, tmp_path, monkeypatch)
    book = write_workbook(project, tmp_path / "b.xlsx", lang="en")
    ws = load_workbook(book)["Members rfm-rules"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert {r[3] for r in rows} == {"张*", "J*** D***"}
    assert all(r[4].startswith("138") and "****" in r[4] for r in rows)
    html = write_report(project, out=tmp_path / "r.html").read_text("utf-8")
    assert "13812340001" not in html and "Jane Doe" not in html


@pytest.mark.slow
def test_member_lists_say_so_when_encrypted_data_has_no_key(project, tmp_path, monkeypatch):
    from custseg.pipeline import Project

    _encrypted_segmented(project, tmp_path, monkeypatch)
    project.close()
    (project.directory / "custseg.key").rename(tmp_path / "elsewhere.key")
    with Project.open(project.directory) as locked:
        assert not locked.privacy.readable
        book = write_workbook(locked, tmp_path / "locked.xlsx", lang="en")
    rows = list(load_workbook(book)["Members rfm-rules"].iter_rows(min_row=2, values_only=True))
    note = "encrypted, no key (CUSTSEG_KEY or [privacy] key_file)"
    assert len(rows) == 12
    assert all(r[3] == note and r[4] == note for r in rows)  # name, phone
    assert all(r[5] is None and r[7] for r in rows)  # no e-mail stored; city is not personal
    with zipfile.ZipFile(book) as z:
        assert not any("enc1:" in z.read(n).decode() for n in z.namelist())
