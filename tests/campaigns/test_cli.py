"""The playbook, campaign and actions commands end to end on the retail demo project."""

import csv
import json

import openpyxl
import pytest
from typer.testing import CliRunner

from custseg.cli import app
from custseg.demo import create_demo

pytestmark = pytest.mark.slow  # loads the retail demo (~10 s)
runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("retail")
    with create_demo("retail", base / "proj", customers=400, seed=11, language="en") as p:
        p.ingest_sources()
    folder = base / "proj"
    seg = run("segment", "--model", "rfm-rules", "--as-of", "2026-03-31", "-p", folder)
    assert seg.exit_code == 0, seg.output
    return folder


def test_playbook_json_and_table(demo):
    out = run("playbook", "--json", "-p", demo)
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [r["segment_id"] for r in rows][:4] == ["A001", "A002", "A003", "A004"]
    assert {"segment_id", "segment_name", "direction", "measures", "owner", "kpis"} <= set(
        rows[0])
    assert rows[3]["kpis"] == {"activation_rate": ">=20%", "repurchase_30d": ">=8%"}
    assert sum(r["customers"] for r in rows) > 0
    table = run("playbook", "--lang", "zh", "-p", demo)
    assert table.exit_code == 0 and "差异化策略表" in table.output


def test_plan_export_import_status_evaluate_round_trip(demo, tmp_path):
    plan = run("campaign", "plan", "--segment", "A004", "--measure", "winback_coupon",
               "--holdout", "20%", "--seed", "3", "--cost", "800", "--export",
               tmp_path / "list.xlsx", "--json", "-p", demo)
    assert plan.exit_code == 0, plan.output
    planned = json.loads(plan.output)
    cid = planned["campaign_id"]
    assert planned["start_date"] == "2026-04-01" and planned["exported"] == planned[
        "target_customers"] > 0
    sheet = list(openpyxl.load_workbook(tmp_path / "list.xlsx").active.iter_rows(
        values_only=True))
    header, body = sheet[0], sheet[1:]
    phone, name = header.index("phone"), header.index("name")
    assert all(r[phone] is None or "****" in r[phone] for r in body)
    assert all(r[name] is None or r[name].endswith("*") for r in body)

    listed = json.loads(run("campaign", "list", "--json", "-p", demo).output)
    assert listed[0]["campaign_id"] == cid and listed[0]["seed"] == 3

    ids = [r[0] for r in body]
    path = tmp_path / "actions.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["客户编号", "活动编号", "状态", "时间", "已核销"])
        w.writerows([[i, cid, "已发送", "2026-04-02", "否"] for i in ids[:20]])
        w.writerow(["ghost", cid, "已发送", "2026-04-02", "否"])
    imported = run("actions", "import", path, "-p", demo)
    assert imported.exit_code == 0 and "20 recorded, 1 rejected" in imported.output
    one = run("actions", "record", "--customer", ids[0], "--campaign", cid, "--status", "done",
              "--at", "2026-04-05", "--redeemed", "-p", demo)
    assert one.exit_code == 0, one.output
    status = json.loads(run("campaign", "status", "--by", "month", "--json", "-p", demo).output)
    assert status["campaigns"][0]["reached"] == 20 and status["campaigns"][0]["redeemed"] == 1
    assert run("campaign", "status", "-p", demo).exit_code == 0

    ev = run("campaign", "evaluate", cid, "--json", "-p", demo)
    assert ev.exit_code == 0, ev.output
    result = json.loads(ev.output)
    names = [k["name"] for k in result["kpis"]]
    assert {"repurchase_rate", "activation_rate", "roi"} <= set(names)
    assert {"low_reach", "low_redemption"} <= {d["code"] for d in result["diagnostics"]}
    text = run("campaign", "evaluate", cid, "--lang", "zh", "-p", demo)
    assert text.exit_code == 0 and "95% 置信区间" in text.output


def test_incomplete_playbook_exits_1_naming_the_gap(demo, tmp_path):
    config = demo / "custseg.toml"
    original = config.read_text(encoding="utf-8")
    try:
        config.write_text(original + "\n[playbook.segments.A001]\nmeasures = []\nowner = \"\"\n"
                          "direction = \"  \"\n", encoding="utf-8")
        out = run("playbook", "-p", demo)
        assert out.exit_code == 1 and "A001" in out.output
        assert "no direction, no measures, no owner" in out.output
        assert "under [playbook.segments.<id>] in custseg.toml" in out.output
        zh = run("playbook", "--lang", "zh", "-p", demo)
        assert zh.exit_code == 1 and "custseg.toml 的 [playbook.segments.<id>] 中" in zh.output
    finally:
        config.write_text(original, encoding="utf-8")


def test_user_mistakes_are_one_line(demo):
    bad = run("campaign", "plan", "--segment", "A004", "--measure", "lottery", "-p", demo)
    assert bad.exit_code == 1 and "no measure 'lottery'" in bad.output
    assert "Traceback" not in bad.output
    bad = run("campaign", "plan", "--segment", "A004", "--measure", "winback_coupon",
              "--holdout", "150%", "-p", demo)
    assert bad.exit_code == 1 and "--holdout" in bad.output
