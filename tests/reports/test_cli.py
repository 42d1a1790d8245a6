"""`custseg report`, `custseg export --xlsx` and the report at the end of `custseg demo`."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from custseg.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.slow
def test_report_command_writes_the_file_and_says_where(report_project_dir, tmp_path):
    out = tmp_path / "out" / "r.html"
    result = run("report", "--out", out, "--lang", "zh", "--project", report_project_dir)
    assert result.exit_code == 0, result.output
    assert "报告已写入" in result.output and "r.html" in result.output
    assert "客户细分结果表" in out.read_text(encoding="utf-8")


def test_report_command_errors_are_one_line(report_project_dir, tmp_path):
    result = run("report", "--run", "nope", "--out", tmp_path / "r.html",
                 "--project", report_project_dir)
    assert result.exit_code == 1 and "no run 'nope'" in result.output
    assert "Traceback" not in result.output
    result = run("report", "--lang", "fr", "--project", report_project_dir)
    assert result.exit_code == 2


def test_export_command_writes_the_workbook(report_project_dir, tmp_path):
    out = tmp_path / "book.xlsx"
    result = run("export", "--xlsx", out, "--lang", "en", "--project", report_project_dir)
    assert result.exit_code == 0, result.output
    assert "exported" in result.output
    assert load_workbook(out).sheetnames[0] == "Segments"
    bad = run("export", "--xlsx", tmp_path / "book.csv", "--project", report_project_dir)
    assert bad.exit_code == 1 and ".xlsx" in bad.output


@pytest.mark.slow
def test_demo_ends_by_writing_the_report(tmp_path):
    result = run("demo", "--dir", tmp_path / "d", "--customers", 60, "--lang", "en")
    assert result.exit_code == 0, result.output
    report = tmp_path / "d" / "report.html"
    assert f"report written: {report}" in " ".join(result.output.split())
    assert "Customer structure" in report.read_text(encoding="utf-8")
