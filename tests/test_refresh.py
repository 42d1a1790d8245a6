"""Periodic runs: an appended period gives the same result as a rebuild from scratch."""

import json

import pytest

from custseg.pipeline import Project
from tests.conftest import rows, write

HEADER = "订单号,客户编号,下单时间,实付金额,订单状态\n"


def _orders(n_customers=60, months=12):
    lines = []
    for c in range(n_customers):
        for m in range(1, months + 1):
            if (c * 7 + m * 3) % (2 + c % 5) == 0:
                lines.append((m, f"O{c:03d}{m:02d},C{c:03d},2024-{m:02d}-{1 + c % 27:02d},"
                                 f"{50 + (c * 37 + m * 11) % 900},已完成"))
    return lines


def _project(path, files):
    text = "".join(f'\n[[sources]]\npath = "{f}"\ntable = "orders"\n' for f in files)
    p = Project.init(path)
    with open(path / "custseg.toml", "a", encoding="utf-8") as fh:
        fh.write(text)
    p.close()
    return Project.open(path)


def _assignments(p, model):
    return sorted(rows(p, f"""SELECT customer_id, segment_id FROM segment_assignments
        WHERE run_id = (SELECT run_id FROM runs WHERE json_extract_string(config, '$.model')
                        = '{model}' ORDER BY created_at DESC LIMIT 1)"""))


def test_appending_a_period_equals_a_full_rebuild(tmp_path):
    lines = _orders()
    data = tmp_path / "data"
    data.mkdir()
    write(data / "h1.csv", HEADER + "\n".join(ln for m, ln in lines if m <= 6) + "\n")
    write(data / "h2.csv", HEADER + "\n".join(ln for m, ln in lines if m > 6) + "\n")
    write(data / "all.csv", HEADER + "\n".join(ln for _, ln in lines) + "\n")
    (tmp_path / "inc").mkdir()
    (tmp_path / "full").mkdir()
    for folder in ("inc", "full"):
        (tmp_path / folder / "data").symlink_to(data)
    with _project(tmp_path / "inc", ["data/h1.csv"]) as inc:
        first = inc.run()
        assert first["as_of"].startswith("2024-06") and first["status"] == "done"
    with open(tmp_path / "inc" / "custseg.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[sources]]\npath = "data/h2.csv"\ntable = "orders"\n')
    with Project.open(tmp_path / "inc") as inc, \
            _project(tmp_path / "full", ["data/all.csv"]) as full:
        a, b = inc.run(), full.run()
        assert a["as_of"] == b["as_of"] and a["status"] == b["status"] == "done"
        for model in ("rfm-rules", "rfm-scores"):
            assert _assignments(inc, model) == _assignments(full, model)
        assert rows(inc, "SELECT count(*) FROM orders") == rows(full, "SELECT count(*) FROM orders")
        again = inc.run()
        assert [ld["status"] for ld in again["loads"]] == ["unchanged", "unchanged"]


def test_a_failed_step_marks_the_run_failed_and_keeps_earlier_snapshots(tmp_path, monkeypatch):
    data = tmp_path / "p" / "data"
    data.mkdir(parents=True)
    write(data / "o.csv", HEADER + "\n".join(ln for _, ln in _orders(20, 6)) + "\n")
    with _project(tmp_path / "p", ["data/o.csv"]) as p:
        ok = p.run()
        before = rows(p, "SELECT run_id, status FROM runs ORDER BY run_id")
        calls = []

        def flaky(self, model=None, **kw):
            calls.append(model)
            raise RuntimeError("disk full")

        monkeypatch.setattr(Project, "segment", flaky)
        with pytest.raises(RuntimeError):
            p.run()
        after = rows(p, "SELECT run_id, status FROM runs ORDER BY run_id")
        assert set(before) <= set(after)
        failed = [r for r in after if r not in before]
        assert [s for _, s in failed] == ["failed"]
        record = json.loads(rows(p, f"SELECT config FROM runs WHERE run_id = '{failed[0][0]}'")
                            [0][0])
        assert record["config_hash"] == ok["config_hash"]


def test_known_transitions_show_exactly_in_the_migration(tmp_path):
    from custseg import snapshots

    movers = [f"M{i:03d}" for i in range(120)]
    stayers = [f"S{i:03d}" for i in range(50)]
    cust = ["客户编号,注册日期"] + [f"{c},2024-01-01" for c in movers] + [
        f"{c},2023-01-01" for c in stayers]
    orders = [f"{c}-0,{c},2024-02-15,1500,已完成" for c in movers]
    orders += [f"{c}-{k},{c},{d},500,已完成" for c in movers for k, d in enumerate(
        ["2024-04-10", "2024-04-20", "2024-05-01", "2024-05-15", "2024-06-20"], 1)]
    orders += [f"{c}-0,{c},2023-03-01,80,已完成" for c in stayers]
    p = Project.init(tmp_path / "p")
    p.ingest([write(tmp_path / "c.csv", "\n".join(cust) + "\n")], table="customers")
    p.ingest([write(tmp_path / "o.csv", HEADER + "\n".join(orders) + "\n")], table="orders")
    import datetime as dt

    a = p.segment("rfm-rules", as_of=dt.date(2024, 3, 31)).run_id
    b = p.segment("rfm-rules", as_of=dt.date(2024, 6, 30)).run_id
    matrix = {(r["from_segment"], r["to_segment"]): r["customers"]
              for r in snapshots.migration(p.connect(), a, b)["matrix"]}
    assert matrix == {("A002", "A001"): 120, ("A004", "A004"): 50}
    p.close()


KILLED_RUN = """
import pathlib, sys, time
from custseg.pipeline import Project
from custseg.cli import app
original = Project.segment
def slow(self, model=None, **kw):
    result = original(self, model, **kw)
    pathlib.Path(sys.argv[2]).write_text(result.run_id)
    time.sleep(60)
    return result
Project.segment = slow
app(["run", "--project", sys.argv[1]])
"""


def test_a_killed_run_leaves_the_previous_snapshot_and_nothing_half_written(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    data = tmp_path / "p" / "data"
    data.mkdir(parents=True)
    write(data / "o.csv", HEADER + "\n".join(ln for _, ln in _orders(30, 6)) + "\n")
    with _project(tmp_path / "p", ["data/o.csv"]) as p:
        previous = p.run()
    marker = tmp_path / "step-done"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(tmp_path / "p"),
                             str(marker)])
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert marker.exists(), "the run did not reach its first step"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with Project.open(tmp_path / "p") as p:
        statuses = dict(rows(p, "SELECT run_id, status FROM runs"))
        assert statuses[previous["run_id"]] == "done"
        assert set(statuses.values()) == {"done"}
        pipelines = rows(p, "SELECT count(*) FROM runs WHERE kind = 'pipeline'")
        assert pipelines == [(1,)]
        customers = rows(p, "SELECT count(*) FROM customers")
        for step in previous["steps"]:
            assert rows(p, "SELECT count(*) FROM segment_assignments WHERE run_id = "
                           f"'{step['run_id']}'") == customers
