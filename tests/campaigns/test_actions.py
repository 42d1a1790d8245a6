"""Action files and single actions: typed, checked, quarantined, and progress per period."""

import openpyxl
import pandas as pd
import pytest

from custseg.errors import CustsegError
from tests.campaigns.data import dormant_project, insert
from tests.conftest import rows, write

pytestmark = pytest.mark.slow  # a project with a campaign per module (~2 s on a busy machine)


@pytest.fixture(scope="module")
def camp(tmp_path_factory):
    project = dormant_project(tmp_path_factory.mktemp("act") / "p", n=60)
    plan = project.plan_campaign("A004", "winback_coupon", holdout="20%", seed=5)
    arms = dict(rows(project, "SELECT customer_id, arm FROM campaign_members"))
    targets = sorted(c for c, a in arms.items() if a == "target")
    holdout = sorted(c for c, a in arms.items() if a == "holdout")
    yield project, plan["campaign_id"], targets, holdout
    project.close()


def test_import_records_good_rows_and_quarantines_bad_ones(camp, tmp_path):
    project, cid, targets, holdout = camp
    path = write(tmp_path / "动作.csv", "\n".join([
        "客户编号,活动编号,状态,执行时间,负责人,已核销",
        f"{targets[0]},{cid},已发送,2024-07-01,王芳,否",
        f"{targets[1]},{cid},done,2024/7/9 10:30,,是",
        f"{targets[2]},{cid},lost,2024-07-01,,",
        f"{targets[3]},{cid},sent,someday,,",
        f"nobody,{cid},sent,2024-07-01,,",
        f"{targets[4]},C0404,sent,2024-07-01,,",
        f"{targets[5]},{cid},sent,2024-07-02,,maybe",
        f",{cid},sent,2024-07-01,,",
    ]) + "\n")
    report = project.import_actions(path)
    assert (report["rows_read"], report["recorded"], report["rejected"]) == (8, 3, 5)
    assert report["flags_unreadable"] == 1
    got = rows(project, "SELECT _row, column_name, reason, raw_value FROM quarantine WHERE "
                        f"_load_id = {report['load_id']} AND action = 'rejected' ORDER BY _row")
    assert [(r, c) for r, c, *_ in got] == [(4, "status"), (5, "at"), (6, "customer_id"),
                                           (7, "campaign_id"), (9, "customer_id")]
    assert got[0][3] == "lost" and "unknown campaign" in got[3][2]
    recorded = rows(project, "SELECT customer_id, status, owner, measure, segment_id, redeemed "
                             f"FROM actions WHERE load_id = {report['load_id']} ORDER BY 1")
    assert recorded[0] == (targets[0], "sent", "王芳", "winback_coupon", "A004", False)
    assert recorded[1][2] == "retention team" and recorded[1][5] is True  # campaign's owner
    assert recorded[2][5] is None  # "maybe" is unknown, and logged as changed
    assert project.import_actions(path)["status"] == "unchanged"
    assert project.campaigns()[0]["status"] == "active"


def test_excel_actions_and_holdout_contamination(camp, tmp_path):
    project, cid, targets, holdout = camp
    wb = openpyxl.Workbook()
    wb.active.append(["customer_id", "campaign_id", "status", "at", "redeemed"])
    wb.active.append([targets[10], cid, "sent", "2024-08-05", 1])
    wb.active.append([holdout[0], cid, "sent", "2024-08-05", 0])
    wb.save(tmp_path / "a.xlsx")
    report = project.import_actions(tmp_path / "a.xlsx")
    assert report["recorded"] == 2
    status = project.campaign_status(by="month", campaign_id=cid)
    summary = status["campaigns"][0]
    assert summary["holdout_treated"] >= 1 and summary["reached"] >= 1
    assert {r["period"] for r in status["rows"]} >= {"2024-08-01"}


def test_a_file_without_a_status_column_is_refused(camp, tmp_path):
    project, cid, targets, _ = camp
    path = write(tmp_path / "x.csv", f"customer_id,at\n{targets[0]},2024-07-01\n")
    with pytest.raises(CustsegError, match="x.csv.*no column for status"):
        project.import_actions(path)


def test_record_one_action_and_refuse_a_stranger(camp):
    project, cid, targets, _ = camp
    row = project.record_action(customer_id=targets[20], campaign_id=cid, status="planned",
                                at="2024-07-15 09:00")
    assert row["measure"] == "winback_coupon" and row["segment_id"] == "A004"
    free = project.record_action(customer_id=targets[21], segment="A004", measure="电话回访",
                                 status="done", at="2024-07-16", owner="李雷")
    assert (free["campaign_id"], free["segment_id"], free["measure"]) == (None, "A004",
                                                                         "电话回访")
    with pytest.raises(CustsegError, match="status: unknown status"):
        project.record_action(customer_id=targets[20], status="maybe", at="2024-07-15",
                              measure="call")
    insert(project, "customers", pd.DataFrame({"customer_id": ["late1"]}))
    with pytest.raises(CustsegError, match="customer_id: customer is not on the lists"):
        project.record_action(customer_id="late1", campaign_id=cid, status="sent",
                              at="2024-07-15")


def test_weekly_progress_counts_customers_per_status(camp):
    project, cid, targets, _ = camp
    weekly = project.campaign_status(by="week", campaign_id=cid)["rows"]
    week = next(r for r in weekly if r["period"] == "2024-07-01")
    assert week["sent"] >= 1 and week["owner"] in ("王芳", "retention team")
    with pytest.raises(CustsegError, match="--by"):
        project.campaign_status(by="year")
