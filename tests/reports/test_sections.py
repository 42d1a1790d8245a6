"""Sections: the registry, run selection, and each section's content on known data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from custseg.errors import CustsegError
from custseg.i18n import MESSAGES
from custseg.io import results
from custseg.reports.context import ReportContext
from custseg.reports.section import Chart, Section, Skipped, Table, Text
from custseg.reports.sections import build_sections, modules, segments
from custseg.reports.sections import migration as migration_section
from custseg.reports.sections import predictions as predictions_section
from custseg.reports.sections import quality as quality_section
from custseg.reports.sections import structure as structure_section
from tests.reports.conftest import AS_OF_1, AS_OF_2


def _blocks(section, kind):
    return [b for b in section.blocks if isinstance(b, kind)]


def test_every_section_module_is_complete_and_labelled():
    found = modules()
    keys = [m.KEY for m in found]
    assert len(set(keys)) == len(keys)
    assert [m.ORDER for m in found] == sorted(m.ORDER for m in found)
    assert {"catalog", "quality", "structure", "segments", "predictions", "migration"} <= set(keys)
    for m in found:
        assert m.TITLE in MESSAGES, m.__name__
        assert f"report_missing_{m.KEY}" in MESSAGES, m.__name__


def test_an_empty_project_shows_one_line_notes_not_empty_charts(project):
    out = build_sections(ReportContext(project, lang="zh"))
    skipped = {s.key: s.note for s in out if isinstance(s, Skipped)}
    assert {"quality", "structure", "segments", "predictions", "migration"} <= set(skipped)
    assert skipped["segments"] == MESSAGES["report_missing_segments"]["zh"]
    catalog = next(s for s in out if s.key == "catalog")
    assert isinstance(catalog, Section)
    assert not any(isinstance(b, Chart) for s in out if isinstance(s, Section)
                   for b in s.blocks)


def test_by_default_the_latest_run_of_each_model_is_shown(report_project):
    ctx = ReportContext(report_project, lang="en")
    shown = {(r["model"], r["as_of"]) for r in ctx.segment_runs}
    assert shown == {(m, AS_OF_2.isoformat()) for m in ("rfm-rules", "rfm-scores", "kmeans")}
    assert ctx.predict_run is None and ctx.as_of is None


def test_run_option_picks_one_run_and_its_date(report_project):
    first = [r for r in ReportContext(report_project).runs if r["as_of"] == str(AS_OF_1)][0]
    ctx = ReportContext(report_project, lang="en", run_id=first["run_id"])
    assert [r["run_id"] for r in ctx.segment_runs] == [first["run_id"]]
    assert ctx.as_of == AS_OF_1
    with pytest.raises(CustsegError, match="no run 'nope'"):
        ReportContext(report_project, run_id="nope")
    with pytest.raises(CustsegError, match="--lang"):
        ReportContext(report_project, lang="fr")


@pytest.mark.slow
def test_a_pipeline_run_shows_its_steps(project, tmp_path):
    from tests.reports.conftest import write_sources

    customers, orders = write_sources(tmp_path, customers=12)
    project.ingest([customers], table="customers")
    project.ingest([orders], table="orders")
    project.settings.run.models = ["rfm-rules"]
    record = project.run()
    ctx = ReportContext(project, run_id=record["run_id"])
    assert [r["run_id"] for r in ctx.segment_runs] == [record["steps"][0]["run_id"]]


def test_template_one_matches_the_stored_run_in_both_languages(report_project):
    ctx = ReportContext(report_project, lang="zh")
    run = ctx.segment_runs[0]
    columns, rows = segments.template_rows(run, "zh")
    assert columns[:2] == ["细分编号", "细分名称"]
    assert [r[1] for r in rows] == [s["name_zh"] for s in run["segments"]]
    assert sum(r[4] for r in rows) == 24  # every customer in exactly one segment
    assert segments.template_rows(run, "en")[0][:2] == ["segment id", "segment"]


def test_segment_section_has_the_rf_heatmap_of_rfm_scores_only(report_project):
    section = segments.build(ReportContext(report_project, lang="en"))
    charts = _blocks(section, Chart)
    heatmaps = [c.figure for c in charts if c.figure.data[0].type == "heatmap"]
    assert len(heatmaps) == 1  # rfm-rules has no scores
    assert sum(map(sum, heatmaps[0].data[0].z)) == 24
    treemaps = [c.figure for c in charts if c.figure.data[0].type == "treemap"]
    assert len(treemaps) == 3 and treemaps[0].data[0].values[0] == 24


def test_quality_balance_and_rules(report_project):
    ctx = ReportContext(report_project, lang="en")
    report = report_project.quality()
    columns, rows = quality_section.balance_rows(ctx, report)
    assert columns[-1] == "balanced" and all(r[-1] for r in rows)
    customers = next(r for r in rows if r[0] == "customers")
    assert customers[1:3] == [24, 24]
    section = quality_section.build(ctx)
    assert _blocks(section, Chart)[0].figure.layout.barmode == "stack"


def test_structure_shows_concentration_and_known_attributes(report_project):
    section = structure_section.build(ReportContext(report_project, lang="en"))
    figures = section.blocks[1].items
    gini = float(dict(figures)["Gini of revenue"])
    assert 0 < gini < 1
    titles = [c.figure.layout.title.text for c in _blocks(section, Chart)]
    assert "Pareto / Lorenz curve" in titles and "by gender" in titles and "by city" in titles
    assert "by age band" not in titles  # no ages loaded: nothing to compare


def test_migration_goes_from_the_earlier_to_the_later_snapshot(report_project):
    ctx = ReportContext(report_project, lang="en")
    section = migration_section.build(ctx)
    assert section is not None
    heading = _blocks(section, Text)[0].text
    assert heading.startswith("RFM rules (rfm-rules): 31 Mar 2024 → 30 Jun 2024")
    sankey = _blocks(section, Chart)[0].figure.data[0]
    assert sum(sankey.link.value) == 24


def test_migration_without_flows_is_a_note_not_an_empty_sankey(report_project):
    ctx = ReportContext(report_project, lang="en")
    report = {"model": "rfm-rules", "as_of_a": "2024-03-31", "as_of_b": "2024-06-30",
              "sankey": {"nodes": ["A001", "→ A001"], "links": []}, "largest_flows": []}
    blocks = migration_section.migration_blocks(ctx, report)
    assert not _blocks(Section("m", "", blocks), Chart)
    assert blocks[-1] == Text("No customer is in both runs: there are no flows to draw.", "note")


def _fake_predict_run(project) -> str:
    """A stored predict run with the config `custseg.predict_runs.predict` writes."""
    con = project.connect()
    levels = ["low"] * 5 + ["medium"] * 3 + ["high"] * 2 + [None]  # c10 never bought
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(11)],
                          "p_alive": [0.9] * 5 + [0.5] * 3 + [0.1] * 2 + [None],
                          "expected_purchases": 1.0, "expected_spend": 20.0,
                          "clv": [100.0] * 5 + [50.0] * 3 + [10.0] * 2 + [None],
                          "churn_probability": 0.3, "churn_level": levels,
                          "propensity_30d": 0.2, "propensity_90d": 0.4})
    calibration = [{"decile": d, "customers": 10, "predicted": d / 10, "observed": d / 11}
                   for d in range(1, 11)]
    validation = {
        "customers": 10, "holdout": {
            "holdout_start": "2024-01-01", "observation_end": "2024-06-30", "mae": 0.25,
            "by_frequency": [{"frequency": "0", "customers": 6, "actual": 0.2,
                              "expected": 0.25}, {"frequency": "1+", "customers": 4,
                                                  "actual": 1.0, "expected": 0.9}]},
        "churn": {"customers": 10, "auc": 0.8, "top_decile_precision": 1.0,
                  "positive_rate": 0.4, "lift": 2.5, "calibration": calibration,
                  "verdict": {"en": "beats the baseline", "zh": "优于基线"}},
        "propensity": {"30d": {"customers": 10, "auc": 0.7, "calibration": calibration}}}
    con.con.register("_fake_predictions", frame)
    run_id = results.new_run_id()
    tracking = [{"period": k, "end_date": f"2024-0{k}-07", "holdout": k > 2, "actual": 1.0,
                 "expected": 1.5, "actual_cumulative": float(k), "expected_cumulative": 1.5 * k}
                for k in (1, 2, 3, 4)]
    results.save_predictions(con, run_id=run_id, as_of=AS_OF_2,
                             config={"time_unit": "W", "horizon": 52, "validation": validation},
                             predictions=con.table("_fake_predictions"),
                             charts={"tracking": tracking})
    return run_id


def _fake_basket_run(project, antecedent: str) -> str:
    """A stored basket run with one overall rule ``antecedent → milk``."""
    from custseg.io import basket_store

    con = project.connect()
    rule = pd.DataFrame([{"level": "product", "segment_model": None, "segment_run_id": None,
                          "segment_id": None, "antecedent": antecedent, "consequent": "milk",
                          "support": 0.2, "confidence": 0.5, "lift": 2.0, "leverage": 0.1,
                          "conviction": 1.5, "lift_vs_overall": None, "antecedent_count": 4,
                          "consequent_count": 5, "pair_count": 2, "baskets": 10}])
    con.con.register("_fake_rules", rule)
    run_id = results.new_run_id()
    basket_store.save_basket_rules(con, run_id=run_id, as_of=AS_OF_2,
                                   config={"basket": {"level": "product"}, "baskets": 10},
                                   rules=con.table("_fake_rules"))
    con.con.unregister("_fake_rules")
    return run_id


def test_a_selected_run_shows_its_own_data_or_says_it_has_none(project):
    from custseg.reports.sections import basket as basket_section

    older, newer = _fake_basket_run(project, "bread"), _fake_basket_run(project, "tea")
    predict_id = _fake_predict_run(project)

    def first_rule(ctx):
        return _blocks(basket_section.build(ctx), Table)[0].rows[0][0]

    assert first_rule(ReportContext(project, lang="en")) == "tea"
    assert first_rule(ReportContext(project, lang="en", run_id=newer)) == "tea"
    assert first_rule(ReportContext(project, lang="en", run_id=older)) == "bread"
    out = {s.key: s for s in build_sections(ReportContext(project, lang="en", run_id=predict_id))}
    assert isinstance(out["predictions"], Section)
    for key in ("basket", "segments", "clustering", "migration"):
        assert out[key].note == f"Not in the selected run ({predict_id}).", key
    zh = {s.key: s for s in build_sections(ReportContext(project, lang="zh", run_id=older))}
    assert zh["segments"].note == f"所选运行（{older}）中没有这部分内容。"
    assert isinstance(zh["basket"], Section)


def test_predictions_read_what_a_predict_run_stores(project):
    run_id = _fake_predict_run(project)
    ctx = ReportContext(project, lang="en")
    assert ctx.predict_run["run_id"] == run_id
    section = predictions_section.build(ctx)
    figures = {c.figure.layout.title.text: c.figure for c in _blocks(section, Chart)}
    levels = figures["Churn-risk levels"].data[0]
    assert list(levels.x) == ["low", "medium", "high", "not scored (no purchase)"]
    assert list(levels.y) == [5, 3, 2, 1]
    tracking = figures["Holdout purchases: actual vs expected"]
    assert list(tracking.data[1].y) == [0.25, 0.9]
    cumulative = figures["Cumulative repeat purchases: actual vs expected"]
    assert [t.name for t in cumulative.data] == ["actual", "expected"]
    assert {t.mode for t in cumulative.data} == {"lines"}  # 150 weekly dots would crowd it
    assert list(cumulative.data[0].x)[-1] == "2024-04-07"
    assert list(cumulative.data[0].y) == [1, 2, 3, 4] and list(cumulative.data[1].y)[-1] == 6
    assert cumulative.layout.shapes[0].x0 == "2024-02-07"  # the calibration ends here
    calibration = figures["Calibration"]
    assert [t.name for t in calibration.data] == ["ideal", "churn", "30-day propensity"]
    table = _blocks(section, Table)[0]
    assert table.rows[0][1:] == [5, 100.0, 500.0, 0.9]
    assert "beats the baseline" in [b.text for b in _blocks(section, Text)]
    json.dumps(ctx.predict_run["config"])  # what the section read is plain JSON


@pytest.mark.slow  # the retail demo's churn baseline fit has a nearly fixed dropout: it warns
@pytest.mark.filterwarnings("ignore::custseg.clv.ConvergenceWarning")
def test_a_predict_run_stores_the_weekly_tracking_the_section_draws(tmp_path):
    from custseg.demo import create_demo

    with create_demo("retail", tmp_path / "demo", language="en", customers=300, seed=3) as p:
        p.ingest_sources()
        result = p.predict()
        rows = results.load_charts(p.connect(), result.run_id)["tracking"]
        section = predictions_section.build(ReportContext(p, lang="zh"))
    end = result.holdout["calibration_end"].isoformat()
    assert [r["holdout"] for r in rows] == [r["end_date"] > end for r in rows]
    assert any(r["holdout"] for r in rows) and not rows[0]["holdout"]
    actual = [r["actual_cumulative"] for r in rows]
    assert actual == sorted(actual) and actual[-1] > 0
    figures = {c.figure.layout.title.text: c.figure for c in _blocks(section, Chart)}
    drawn = figures["累计重复购买：实际与预期"]
    assert list(drawn.data[0].y) == actual and list(drawn.data[1].x)[-1] == rows[-1]["end_date"]


def test_personal_data_in_quality_examples_and_profiles_is_masked(report_project):
    ctx = ReportContext(report_project, lang="en")
    report = report_project.quality()
    report["rules"]["test_account"] = {"action": "removed", "count": 1, "examples": [
        {"source": "c.csv", "row": 2, "column": None,
         "value": "customer_id=c9; name=张三; phone=13812340000; email=jane@example.com"}]}
    rows = quality_section.rule_rows(ctx, report)[1]
    assert rows[-1][-1] == ("c.csv row 2: customer_id=c9; name=张*; phone=138****0000; "
                            "email=j***@example.com")
    fields = {(r[0], r[1]): r for r in quality_section.field_rows(ctx, report)[1]}
    assert fields[("customers", "phone")][4:] == ["138****0000", "138****0023"]
    assert fields[("customers", "city")][4] is not None and "*" not in fields[("customers",
                                                                              "city")][4]


@pytest.mark.parametrize(("lang", "first", "last"), [("zh", "2023年1月5日", "2024年6月23日"),
                                                     ("en", "5 Jan 2023", "23 Jun 2024")])
def test_profile_dates_are_written_for_the_language(report_project, lang, first, last):
    ctx = ReportContext(report_project, lang=lang)
    rows = quality_section.field_rows(ctx, report_project.quality())[1]
    fields = {(r[0], r[1]): r for r in rows}
    assert fields[("customers", "register_date")][4:] == [first, first]
    assert fields[("orders", "order_date")][5] == last


def test_a_section_that_cannot_be_shown_says_why(report_project, monkeypatch):
    from custseg.errors import CustsegError

    def broken(ctx):
        raise CustsegError("run 123 lost its rows")

    monkeypatch.setattr(migration_section, "build", broken)
    out = build_sections(ReportContext(report_project, lang="en"))
    assert next(s for s in out if s.key == "migration") == Skipped(
        "migration", "Segment migration", "run 123 lost its rows")
