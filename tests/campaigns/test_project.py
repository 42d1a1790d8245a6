"""Campaigns in a project: planning, masked export, consent, and the evaluation end to end."""

import csv
from datetime import timedelta

import openpyxl
import pytest

from custseg.errors import CustsegError
from tests.campaigns.data import START, add_post_orders, dormant_project
from tests.conftest import rows

pytestmark = pytest.mark.slow  # a 2,000-customer project with a campaign (~5 s)


@pytest.fixture(scope="module")
def camp(tmp_path_factory):
    project = dormant_project(tmp_path_factory.mktemp("camp") / "p", n=2000, objectors=25)
    plan = project.plan_campaign("A004", "winback_coupon", holdout="20%", seed=11, cost=2000.0)
    add_post_orders(project, plan["campaign_id"], base=0.18, effect=0.12, seed=4)
    yield project, plan
    project.close()


def test_plan_leaves_out_objectors_and_counts_them(camp):
    project, plan = camp
    assert plan["excluded_objectors"] == 25
    assert plan["target_customers"] + plan["holdout_customers"] == 1975
    assert plan["holdout_customers"] == round(1975 * 0.2)
    assert plan["start_date"] == START and plan["owner"] == "retention team"
    assert rows(project, "SELECT count(*) FROM campaign_members WHERE customer_id IN "
                         "('c00000', 'c00024')") == [(0,)]


def test_same_seed_gives_the_same_holdout_disjoint_from_the_targets(camp):
    project, plan = camp
    again = project.plan_campaign("A004", "回归专享100元券", holdout="20%", seed=11)
    other = project.plan_campaign("A004", "churn survey", holdout="20%", seed=12)

    def holdout(cid):
        return rows(project, "SELECT customer_id FROM campaign_members WHERE campaign_id = "
                             f"'{cid}' AND arm = 'holdout' ORDER BY 1")
    assert holdout(again["campaign_id"]) == holdout(plan["campaign_id"])
    assert holdout(other["campaign_id"]) != holdout(plan["campaign_id"])
    assert again["measure"] == "winback_coupon" and other["measure"] == "churn_survey"
    assert rows(project, "SELECT count(*) FROM campaign_members t JOIN campaign_members h "
                         "USING (campaign_id, customer_id) WHERE t.arm = 'target' AND "
                         "h.arm = 'holdout'") == [(0,)]


def test_export_masks_names_and_phones_and_leaves_out_the_holdout(camp, tmp_path):
    project, plan = camp
    n = project.export_campaign(plan["campaign_id"], tmp_path / "list.csv", user="analyst")
    with open(tmp_path / "list.csv", encoding="utf-8") as fh:
        lines = list(csv.DictReader(fh))
    assert n == len(lines) == plan["target_customers"]
    holdout = {r[0] for r in rows(project, "SELECT customer_id FROM campaign_members WHERE "
                                           f"arm = 'holdout' AND campaign_id = "
                                           f"'{plan['campaign_id']}'")}
    assert not holdout & {r["customer_id"] for r in lines}
    by_id = {r["customer_id"]: r for r in lines}
    some = next(r for cid, r in by_id.items() if cid not in ("c00001",))
    assert some["phone"].startswith("138****") and len(some["phone"]) == 11
    assert some["name"] in ("张*", "李**")
    if "c00001" in by_id:  # a formula-like name is masked and escaped
        assert by_id["c00001"]["name"] == "'=***"
    assert rows(project, "SELECT user_name, action FROM audit_log WHERE target = "
                         f"'campaign {plan['campaign_id']}'") == [("analyst", "export")]


def test_excel_export_is_masked_too(camp, tmp_path):
    project, plan = camp
    project.export_campaign(plan["campaign_id"], tmp_path / "list.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "list.xlsx").active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("customer_id", "name", "phone")
    assert all(v[2].startswith("138****") for v in values[1:])
    assert {v[1] for v in values[1:]} <= {"张*", "李**", "'=***"}


def test_injected_effect_is_inside_the_95_ci_and_targets_are_judged(camp):
    project, plan = camp
    result = project.evaluate_campaign(plan["campaign_id"])
    kpis = {k["name"]: k for k in result["kpis"]}
    rate = kpis["repurchase_rate"]
    assert rate["ci_low"] <= 0.12 <= rate["ci_high"] and rate["significant"]
    assert rate["n_treated"] == plan["target_customers"]
    activation = kpis["activation_rate"]  # playbook: activation ≥ 20% for A004
    assert activation["target"] == 0.2 and activation["target_kind"] == "level"
    assert activation["met"] == (activation["treated"] >= 0.2)
    assert kpis["roi"]["cost"] == 2000.0
    assert kpis["roi"]["lift"] == pytest.approx(
        (kpis["revenue"]["lift"] * plan["target_customers"] - 2000) / 2000)
    for k in result["kpis"]:
        assert {"name", "treated", "control", "lift", "ci_low", "ci_high", "target",
                "met"} <= set(k)
    assert result["post_window"] == [START.isoformat(), "2024-07-30"]
    assert any(n["code"] == "no_actions" for n in result["diagnostics"])


def test_mistakes_name_the_option(camp):
    project, _ = camp
    with pytest.raises(CustsegError, match="A009.*segments: A001"):
        project.plan_campaign("A009", "winback_coupon")
    with pytest.raises(CustsegError, match="no measure 'lottery'.*winback_coupon"):
        project.plan_campaign("A004", "lottery")
    with pytest.raises(CustsegError, match="no kmeans segmentation yet"):
        project.plan_campaign("K1", "x", model="kmeans")
    with pytest.raises(CustsegError, match="no campaign 'C9999'"):
        project.evaluate_campaign("C9999")


@pytest.fixture(scope="module")
def before_start(tmp_path_factory):
    """A campaign evaluated before its post window has data, with pre-window orders where
    target customers bought far more often (40%) than holdout customers (10%)."""
    folder = tmp_path_factory.mktemp("early") / "p"
    project = dormant_project(folder, n=600, seed=2)
    plan = project.plan_campaign("A004", "winback_coupon", holdout="50%", seed=5, cost=500.0)
    pre = add_post_orders(project, plan["campaign_id"], base=0.10, effect=0.30, seed=6,
                          first=START - timedelta(days=30))
    result = project.evaluate_campaign(plan["campaign_id"])
    project.close()
    return folder, plan, pre, result


def test_pre_window_figures_per_group(before_start):
    _, plan, pre, result = before_start
    kpis = {k["name"]: k for k in result["kpis"]}
    size = {"target": plan["target_customers"], "holdout": plan["holdout_customers"]}
    bought = pre.groupby("arm").size()
    spent = pre.groupby("arm").amount.sum()
    for name in ("conversion_rate", "repurchase_rate", "repurchase_30d"):
        assert kpis[name]["treated_pre"] == pytest.approx(bought["target"] / size["target"])
        assert kpis[name]["control_pre"] == pytest.approx(bought["holdout"] / size["holdout"])
        assert kpis[name]["treated"] == kpis[name]["control"] == 0
    assert kpis["conversion_rate"]["treated_pre"] - kpis["conversion_rate"]["control_pre"] > 0.2
    assert kpis["revenue"]["treated_pre"] == pytest.approx(spent["target"] / size["target"])
    assert kpis["revenue"]["control_pre"] == pytest.approx(spent["holdout"] / size["holdout"])
    # no pre figure by definition: dormant at the start means no pre-window order
    assert kpis["activation_rate"]["treated_pre"] is None
    assert kpis["roi"]["treated_pre"] is kpis["roi"]["control_pre"] is None
    for k in result["kpis"]:  # the documented keys stay
        assert {"name", "treated", "control", "lift", "ci_low", "ci_high", "target",
                "met", "treated_pre", "control_pre"} <= set(k)


def test_no_post_data_yet_gives_only_the_window_note(before_start):
    _, _, _, result = before_start
    assert result["data_through"] < START.isoformat()
    assert [n["code"] for n in result["diagnostics"]] == ["window_open"]
    assert any(k["met"] is False for k in result["kpis"])  # would have been diagnosed


def test_cli_table_shows_the_pre_window(before_start):
    from typer.testing import CliRunner

    from custseg.cli import app

    folder, plan, _, result = before_start
    out = CliRunner().invoke(app, ["campaign", "evaluate", plan["campaign_id"], "-p",
                                   str(folder)])
    assert out.exit_code == 0, out.output
    assert "before →" in out.output
    conversion = next(k for k in result["kpis"] if k["name"] == "conversion_rate")
    for pre in (conversion["treated_pre"], conversion["control_pre"]):  # "before → after"
        assert f"{pre * 100:.1f}% →" in out.output
