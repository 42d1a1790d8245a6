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
