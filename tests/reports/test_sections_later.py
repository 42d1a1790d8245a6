"""Sections of the later stages: clustering charts, the playbook and campaign results."""

from __future__ import annotations

import pytest

from custseg.reports.context import ReportContext
from custseg.reports.section import Chart, Table, Text
from custseg.reports.sections import campaigns as campaigns_section
from custseg.reports.sections import clustering as clustering_section
from custseg.reports.sections import playbook as playbook_section
from tests.reports.conftest import write_sources


def _blocks(section, kind):
    return [b for b in section.blocks if isinstance(b, kind)]


def test_clustering_charts_of_the_kmeans_run(report_project):
    section = clustering_section.build(ReportContext(report_project, lang="en"))
    figures = {c.figure.layout.title.text: c.figure for c in _blocks(section, Chart)}
    assert set(figures) == {"Elbow and silhouette", "Cluster profiles (z-scores)",
                            "Customers on two principal components"}
    k_curve = figures["Elbow and silhouette"]
    assert [t.name for t in k_curve.data] == ["inertia", "silhouette"]
    assert list(k_curve.data[0].x) == sorted(k_curve.data[0].x)
    heat = figures["Cluster profiles (z-scores)"].data[0]
    assert len(heat.z) == len(heat.y) and len(heat.z[0]) == len(heat.x)
    scatter = figures["Customers on two principal components"]
    assert sum(len(t.x) for t in scatter.data) == 20  # the customers who ordered


def test_no_clustering_section_without_a_clustering_run(report_project):
    ctx = ReportContext(report_project, lang="en")
    ctx.segment_runs = [r for r in ctx.segment_runs if r["model"] != "kmeans"]
    assert clustering_section.build(ctx) is None


def test_playbook_of_each_shown_model(report_project):
    section = playbook_section.build(ReportContext(report_project, lang="zh"))
    headings = [b.text for b in _blocks(section, Text) if b.kind == "h3"]
    assert headings[0] == "RFM 规则 (rfm-rules)" and len(headings) == 3
    table = _blocks(section, Table)[0]
    assert table.columns[:3] == ["细分编号", "细分名称", "策略方向"]
    assert table.rows[0][0] == "A001" and table.rows[0][1] == "核心忠诚客户"


@pytest.mark.parametrize(("lang", "shown"), [("zh", "复购率 较对照组 +10%"),
                                             ("en", "repurchase rate +10% vs control")])
def test_playbook_kpis_are_named_in_the_report_language(report_project, lang, shown):
    section = playbook_section.build(ReportContext(report_project, lang=lang))
    kpis = [r[-1] for r in _blocks(section, Table)[0].rows]
    assert shown in kpis[0]
    assert not any("_rate" in k or "aov" in k for k in kpis), kpis


class _Campaigns:
    """A project whose campaigns are given, to pin the section to the evaluate contract."""

    def __init__(self, project, evaluated: dict):
        self._project, self._evaluated = project, evaluated

    def __getattr__(self, name):
        return getattr(self._project, name)

    def campaigns(self):
        return [{"campaign_id": "K1", "segment_id": "A003", "measure": "cross_sell",
                 "start_date": "2024-07-01", "segment_run_id": self.segment_run_id}]

    segment_run_id = None

    def evaluate_campaign(self, campaign_id, *, lang=None):
        return self._evaluated


def test_campaign_lift_with_confidence_interval_and_target(report_project):
    kpis = [{"name": "repurchase_rate", "label": "repurchase rate", "treated": 0.3,
             "control": 0.2, "lift": 0.1, "ci_low": 0.02, "ci_high": 0.18,
             "relative_lift": 0.5, "rel_ci_low": 0.1, "rel_ci_high": 0.9,
             "target_text": "+10% vs control", "met": True},
            {"name": "aov", "label": "AOV", "treated": 50.0, "control": 52.0, "lift": -2.0,
             "ci_low": -9.0, "ci_high": 5.0, "relative_lift": -0.04, "rel_ci_low": -0.17,
             "rel_ci_high": 0.1, "target_text": "+15% vs control", "met": False},
            {"name": "roi", "label": "ROI", "treated": None, "control": None, "lift": None,
             "ci_low": None, "ci_high": None, "target_text": None, "met": None}]
    notes = [{"code": "miss", "level": "warning", "zh": "未达标", "en": "target missed"}]
    fake = _Campaigns(report_project, {"kpis": kpis, "diagnostics": notes})
    ctx = ReportContext(fake, lang="en")
    section = campaigns_section.build(ctx)
    bar = _blocks(section, Chart)[0].figure.data[0]
    assert list(bar.x) == ["repurchase rate", "AOV"] and list(bar.y) == [0.5, -0.04]
    assert list(bar.error_y.array) == pytest.approx([0.4, 0.14])
    assert list(bar.error_y.arrayminus) == pytest.approx([0.4, 0.13])
    table = _blocks(section, Table)[0]
    assert [r[-1] for r in table.rows] == [True, False, None]
    assert "target missed" in [b.text for b in _blocks(section, Text)]


def test_a_selected_run_shows_only_the_campaigns_drawn_from_it(report_project):
    runs = ReportContext(report_project).segment_runs
    fake = _Campaigns(report_project, {"kpis": [], "diagnostics": []})
    fake.segment_run_id = runs[0]["run_id"]
    shown = campaigns_section.build(ReportContext(fake, lang="en", run_id=runs[0]["run_id"]))
    assert _blocks(shown, Text)[0].text.startswith("campaign K1")
    assert campaigns_section.build(ReportContext(fake, run_id=runs[1]["run_id"])) is None
    assert campaigns_section.build(ReportContext(fake)) is not None  # no --run: every one


def test_no_campaign_section_without_campaigns(report_project):
    assert campaigns_section.build(ReportContext(report_project)) is None


@pytest.mark.slow
def test_a_planned_campaign_is_evaluated_in_the_report(project, tmp_path):
    customers, orders = write_sources(tmp_path)
    project.ingest([customers], table="customers")
    project.ingest([orders], table="orders")
    result = project.segment("rfm-rules")
    book = [e for e in project.playbook("rfm-rules") if e["measure_keys"] and e["customers"] > 1]
    chosen = max(book, key=lambda e: e["customers"])
    planned = project.plan_campaign(chosen["segment_id"], chosen["measure_keys"][0],
                                    model="rfm-rules", seed=1, start=result.as_of.replace(day=1))
    section = campaigns_section.build(ReportContext(project, lang="en"))
    assert _blocks(section, Text)[0].text.startswith(f"campaign {planned['campaign_id']}")
    kpis = project.evaluate_campaign(planned["campaign_id"], lang="en")["kpis"]
    assert [r[0] for r in _blocks(section, Table)[0].rows] == [k["label"] for k in kpis]
    relative = [k for k in kpis if k["relative_lift"] is not None and k["name"] != "roi"]
    charts = _blocks(section, Chart)
    assert len(charts) == (1 if relative else 0)
