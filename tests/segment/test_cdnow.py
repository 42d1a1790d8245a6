"""The seed template on the real CDNOW data, checked against SQL written by hand on the raw file."""

from datetime import date

import duckdb
import pytest

from custseg.pipeline import Project
from tests.conftest import CDNOW, rows

AS_OF = date(1998, 6, 30)

# Independent of custseg: parse the whitespace-aligned master file, then the seed's rules.
# D − 6 calendar months = 1997-12-30; registration = first order (CDNOW has no register date).
RAW_SQL = """
WITH lines AS (
    SELECT string_split_regex(trim(line), '\\s+') AS f
    FROM read_csv(?, columns = {'line': 'VARCHAR'}, header = true, delim = '\\x01',
                  quote = '', escape = '')
), orders AS (
    SELECT f[1] AS cid, strptime(f[2], '%Y%m%d')::DATE AS d, f[4]::DOUBLE AS amount
    FROM lines WHERE len(f) = 4
), per_customer AS (
    SELECT cid, DATE '1998-06-30' - max(d) AS r, min(d) AS first_order,
           count(*) FILTER (WHERE d > DATE '1997-12-30') AS f,
           coalesce(sum(amount) FILTER (WHERE d > DATE '1997-12-30'), 0) AS m
    FROM orders WHERE d <= DATE '1998-06-30' GROUP BY cid
)
SELECT CASE
    WHEN r <= 30 AND f >= 5 AND m >= 2000 THEN 'A001'
    WHEN first_order > DATE '1997-12-30' AND f BETWEEN 1 AND 2 AND m >= 1000 THEN 'A002'
    WHEN r <= 60 AND f BETWEEN 2 AND 4 AND m >= 300 AND m <= 999 THEN 'A003'
    WHEN r >= 90 AND f <= 1 THEN 'A004'
    ELSE 'U' END AS segment_id, count(*) AS n
FROM per_customer GROUP BY 1 ORDER BY 1
"""


@pytest.fixture(scope="module")
def raw_counts() -> dict[str, int]:
    with duckdb.connect() as db:
        return dict(db.execute(RAW_SQL, [str(CDNOW / "CDNOW_master.txt")]).fetchall())


def test_rfm_rules_counts_equal_sql_on_the_raw_file(cdnow_project_dir, raw_counts):
    with Project.open(cdnow_project_dir) as project:
        result = project.segment("rfm-rules", as_of=AS_OF)
        stored = dict(rows(project, f"SELECT segment_id, count(*) FROM segment_assignments "
                                    f"WHERE run_id = '{result.run_id}' GROUP BY 1"))
    counts = dict(zip(result.table.segment_id, result.table.customers, strict=True))
    assert sum(raw_counts.values()) == 23_570 == result.total
    assert {k: v for k, v in counts.items() if v} == raw_counts
    assert stored == raw_counts
    assert counts["A002"] == 0  # every CDNOW customer's first purchase is in early 1997


def test_rfm_scores_cover_every_customer_and_store_the_run(cdnow_project_dir):
    with Project.open(cdnow_project_dir) as project:
        result = project.segment("rfm-scores", as_of=AS_OF, store_features=False)
        run = rows(project, f"SELECT kind, as_of, status, json_extract_string(config, '$.model')"
                            f" FROM runs WHERE run_id = '{result.run_id}'")
        scores = rows(project, f"SELECT count(*), min(r_score), max(r_score) FROM rfm_scores "
                               f"WHERE run_id = '{result.run_id}'")
        summary = rows(project, f"SELECT sum(customers), round(sum(share_pct), 6) FROM "
                                f"segment_summary WHERE run_id = '{result.run_id}'")
    assert run == [("segment", AS_OF, "done", "rfm-scores")]
    assert scores == [(23_570, 1, 5)]
    assert summary == [(23_570, 100.0)]
    assert "U" not in set(result.table.segment_id)
    assert [w.level for w in result.warnings] == ["strong"]  # 11 named segments > 10
