"""`custseg segment`: template 1 on screen, the assignments export contract, one-line errors."""

import csv
from collections import Counter

import duckdb
import pytest
from typer.testing import CliRunner

from custseg.cli import app
from tests.conftest import CDNOW
from tests.segment.test_cdnow import RAW_SQL

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_segment_exports_one_row_per_customer(cdnow_project_dir, tmp_path):
    out = tmp_path / "x.csv"
    result = run("segment", "--model", "rfm-rules", "--as-of", "1998-06-30", "--export", out,
                 "--project", cdnow_project_dir)
    assert result.exit_code == 0, result.output
    assert "core loyal" in result.output and "23,570" in result.output
    with open(out, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        lines = list(reader)
    assert header == ["customer_id", "segment_id", "segment_name"]
    assert len(lines) == 23_570 == len({line[0] for line in lines})
    counts = Counter(line[1] for line in lines)
    with duckdb.connect() as db:  # the seed's rules written by hand over the raw file
        expected = dict(db.execute(RAW_SQL, [str(CDNOW / "CDNOW_master.txt")]).fetchall())
    assert counts == expected == {"A001": 5, "A003": 43, "A004": 19_725, "U": 3_797}
    assert {line[2] for line in lines if line[1] == "A001"} == {"core loyal"}


def test_segment_in_chinese_with_scores(cdnow_project_dir):
    result = run("segment", "-m", "rfm-scores", "--lang", "zh", "--project", cdnow_project_dir)
    assert result.exit_code == 0, result.output
    assert "冠军客户" in result.output and "合并为 3–6 个核心细分" in result.output


@pytest.mark.parametrize("args,needle", [
    (["--model", "rfm-rule"], "unknown model 'rfm-rule' (did you mean 'rfm-rules'?)"),
    (["--as-of", "1998-02-30"], "--as-of: '1998-02-30' is not a date"),
    (["--as-of", "yesterday"], "use YYYY-MM-DD"),
    (["--export", "x.json"], "--export x.json"),
])
def test_mistakes_are_one_line(cdnow_project_dir, args, needle):
    result = run("segment", *args, "--project", cdnow_project_dir)
    assert result.exit_code == 1
    assert needle in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_segment_has_help():
    result = run("segment", "--help")
    assert result.exit_code == 0 and "--as-of" in result.output and "--export" in result.output
