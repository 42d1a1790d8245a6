"""The command line as a user meets it: exit codes, one-line errors, summaries."""

import json

import pytest
from typer.testing import CliRunner

from custseg.cli import app
from custseg.pipeline import Project
from tests.conftest import rows, write

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def proj(tmp_path):
    result = run("init", tmp_path / "p", "--lang", "en")
    assert result.exit_code == 0, result.output
    return tmp_path / "p"


def test_init_writes_a_commented_config_and_refuses_to_overwrite(proj):
    text = (proj / "custseg.toml").read_text(encoding="utf-8")
    assert "[[sources]]" in text and 'language = "en"' in text
    assert (proj / "custseg.duckdb").exists()
    again = run("init", proj)
    assert again.exit_code == 1 and "already exists" in again.output


def test_ingest_and_status(proj, tmp_path):
    path = write(tmp_path / "o.csv", "订单号,客户编号,下单时间,实付金额\nO1,001,2024-01-05,10\n")
    result = run("ingest", path, "--table", "orders", "--project", proj)
    assert result.exit_code == 0, result.output
    assert "1 loaded" in result.output and "order_date" in result.output
    status = run("status", "--project", proj, "--json")
    data = json.loads(status.output)
    assert data["tables"]["orders"] == 1 and data["customers"] == 1
    assert data["loads"][0]["rows_loaded"] == 1


def test_missing_key_column_exits_1_with_one_line_naming_column_and_file(proj, tmp_path):
    path = write(tmp_path / "orders_no_date.csv", "订单号,客户编号,实付金额\nO1,1,10\n")
    result = run("ingest", path, "--table", "orders", "--project", proj)
    assert result.exit_code == 1
    assert "orders_no_date.csv" in result.output and "order_date" in result.output
    assert "Traceback" not in result.output


def test_config_typo_exits_1_naming_the_key(proj):
    cfg = proj / "custseg.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("day_first", "dayfirst"),
                   encoding="utf-8")
    result = run("status", "--project", proj)
    assert result.exit_code == 1
    assert "ingest.dayfirst" in result.output and "day_first" in result.output


@pytest.mark.parametrize("args,needle", [
    (["status", "--project", "/nonexistent/x"], "no custseg.toml"),
    (["ingest", "nofile.csv", "--table", "orders"], "nofile.csv"),
    (["ingest", "x.csv"], "--table"),
    (["ingest", "x.csv", "--table", "ordrs"], "unknown table"),
])
def test_user_mistakes_are_one_line(proj, args, needle):
    if "--project" not in args:
        args = [*args, "--project", str(proj)]
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert needle in result.output and "Traceback" not in result.output


def test_ingest_without_files_loads_configured_sources_once(proj, tmp_path):
    (proj / "data").mkdir()
    write(proj / "data" / "c.csv", "客户编号,城市\n1,深圳\n")
    with open(proj / "custseg.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[sources]]\npath = "data/c.csv"\ntable = "customers"\n')
    assert run("ingest", "--project", proj).exit_code == 0
    second = run("ingest", "--project", proj)
    assert second.exit_code == 0 and "unchanged" in second.output
    with Project.open(proj) as p:
        assert rows(p, "SELECT customer_id, city FROM customers") == [("1", "深圳市")]


def test_every_command_has_help():
    for command in ["init", "ingest", "status", "demo"]:
        result = run(command, "--help")
        assert result.exit_code == 0 and "Usage" in result.output


def test_demo_cdnow_gives_the_published_counts(tmp_path):
    result = run("demo", "--dataset", "cdnow", "--dir", tmp_path / "cd", "--lang", "en")
    assert result.exit_code == 0, result.output
    with Project.open(tmp_path / "cd") as p:
        assert rows(p, "SELECT count(*) FROM orders") == [(69_659,)]
        assert rows(p, "SELECT count(*) FROM customers") == [(23_570,)]
        assert rows(p, "SELECT min(customer_id), min(order_date), max(order_date) FROM orders"
                    )[0][0] == "00001"
    assert "23,570" in result.output


def test_demo_retail_loads_every_table(tmp_path):
    result = run("demo", "--dir", tmp_path / "rt", "--customers", 200)
    assert result.exit_code == 0, result.output
    assert "cleaning:" in result.output and "test_account" in result.output
    with Project.open(tmp_path / "rt") as p:
        counts = p.status()["tables"]
    assert all(n > 0 for n in counts.values()), counts


@pytest.mark.slow
def test_demo_retail_runs_predictions_and_prints_warnings_as_one_line(tmp_path):
    """The default retail demo (what `make demo` runs) stores a predict run; an optimiser that
    stops early is one "!" line naming the model, not Python's warning with a source line."""
    result = run("demo", "--dir", tmp_path / "rt", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Warning:" not in result.output and "_fit.py" not in result.output
    stopped = [line for line in result.output.splitlines() if "stopped early" in line]
    assert all(line.startswith("! BG/NBD on ") for line in stopped), stopped
    with Project.open(tmp_path / "rt") as p:
        assert rows(p, "SELECT count(*) > 0 FROM predictions") == [(True,)]
    assert "report" in result.output


@pytest.mark.parametrize("args, section", [
    (["segment"], "[segmentation] k_range"), (["basket"], "(default: [basket] level)"),
    (["playbook"], "[playbook.segments.SEGMENT_ID]"), (["ingest"], "[[sources]]")])
def test_help_shows_config_section_names_in_square_brackets(args, section):
    result = run(*args, "--help")
    assert result.exit_code == 0 and section in " ".join(result.output.split()), result.output
