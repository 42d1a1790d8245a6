"""The HTML report: one self-contained file in either language."""

from __future__ import annotations

import re

import pytest

from custseg.errors import CustsegError
from custseg.reports import write_report
from custseg.reports.html import render_page
from custseg.reports.section import Chart, Figures, Section, Skipped, Table, Text


@pytest.fixture(scope="module")
def english_report(report_project_dir, tmp_path_factory):
    from custseg.pipeline import Project

    with Project.open(report_project_dir) as p:
        return write_report(p, lang="en", out=tmp_path_factory.mktemp("html") / "r.html"
                            ).read_text(encoding="utf-8")


def test_report_is_self_contained(english_report):
    import plotly

    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", english_report)
    library = plotly.offline.get_plotlyjs()
    assert english_report.count(library) == 1  # embedded once, from the installed package
    assert not re.search(r"https?://", english_report.replace(library, ""))
    assert english_report.startswith("<!DOCTYPE html>") and '<html lang="en">' in english_report


def test_report_has_every_section_and_notes_for_stages_not_run(english_report):
    for key in ("catalog", "quality", "structure", "segments", "migration"):
        assert f'<section id="{key}">' in english_report
    assert '<section id="predictions" class="skipped">' in english_report
    assert "No predictions yet (custseg predict all)." in english_report
    charts = english_report.count('class="plotly-graph-div"')
    assert charts == english_report.count("Plotly.newPlot(") and charts >= 8


@pytest.mark.slow
def test_chinese_report_uses_chinese_labels_and_dates(report_project, tmp_path):
    text = write_report(report_project, lang="zh", out=tmp_path / "zh.html").read_text("utf-8")
    assert '<html lang="zh-CN">' in text
    assert "客户细分结果表" in text and "数据收集清单" in text
    assert "2024年6月30日" in text and "30 Jun 2024" not in text


@pytest.mark.slow
def test_default_language_and_path_come_from_the_config(report_project):
    report_project.settings.report.language = "zh"
    path = write_report(report_project)
    assert path == report_project.directory / "report.html"
    assert "客户结构" in path.read_text("utf-8")
    path.unlink()


def test_report_path_must_be_html(report_project, tmp_path):
    with pytest.raises(CustsegError, match="--out .*report.pdf"):
        write_report(report_project, out=tmp_path / "report.pdf")


def test_text_from_the_data_is_escaped():
    sections = [Section("s", "<b>title</b>", [
        Text("<script>alert(1)</script>"), Figures([("a&b", "1")]),
        Table(["<i>c</i>"], [["<img src=x>"]]), Chart(_bar("</script><script>x()"))]),
        Skipped("t", "T", "<not run>")]
    page = render_page(sections, title="<t>", subtitle="", footer="", lang="en",
                       plotly_js="/*js*/")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
    assert "<img src=x>" not in page and "&lt;not run&gt;" in page
    assert "</script><script>x()" not in page


def test_long_tables_fold_and_numbers_align_right():
    rows = [[f"r{i}", i * 1000] for i in range(30)]
    page = render_page([Section("s", "S", [Table(["name", "n"], rows, caption="cap")])],
                       title="t", subtitle="", footer="", lang="en", plotly_js="")
    assert "<details><summary>cap (30)</summary>" in page
    assert '<td class="num">29,000</td>' in page


def _bar(label: str):
    from custseg.reports import charts

    return charts.bars([label], {"n": [1]})


def test_report_settings_are_validated():
    from custseg.config import parse_settings
    from custseg.errors import ConfigError

    settings = parse_settings({"report": {"language": "en", "out": "out/r.html"}})
    assert settings.report.language == "en" and settings.report.out == "out/r.html"
    assert parse_settings({}).report.language is None
    with pytest.raises(ConfigError, match="report"):
        parse_settings({"report": {"language": "fr"}})
    with pytest.raises(ConfigError, match="report"):
        parse_settings({"report": {"lang": "en"}})
