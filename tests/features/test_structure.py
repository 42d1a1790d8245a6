"""Structure analysis on tiny tables with hand-computed answers."""

import datetime as dt

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custseg.features.structure import (
    UNKNOWN,
    age_band,
    concentration,
    distribution,
    feature_stats,
)


def _amounts(values):
    return ibis.memtable({"customer_id": [str(i) for i in range(len(values))],
                          "revenue": values}, schema={"customer_id": "string",
                                                      "revenue": "float64"})


def test_gini_top20_and_lorenz_by_hand(con):
    # ascending 0,0,0,0,10: Gini = Σ(2i−n−1)x / (nΣx) = (2·5−5−1)·10 / (5·10) = 0.8
    summary, lorenz = concentration(_amounts([10, 0, 0, 0, 0]), points=5)
    [s] = con.to_pyarrow(summary).to_pylist()
    assert s["customers"] == 5 and s["total"] == 10
    assert s["gini"] == pytest.approx(0.8) and s["top20_share"] == pytest.approx(1.0)
    curve = con.to_pyarrow(lorenz).to_pylist()
    assert [(p["customer_share"], p["value_share"]) for p in curve] == [
        (0, 0), (0.2, 0), (0.4, 0), (0.6, 0), (0.8, 0), (1.0, 1.0)]


def test_equal_amounts_have_no_concentration(con):
    summary, _ = concentration(_amounts([5.0] * 10))
    [s] = con.to_pyarrow(summary).to_pylist()
    assert s["gini"] == pytest.approx(0.0) and s["top20_share"] == pytest.approx(0.2)


def test_negative_net_spend_counts_as_zero(con):
    summary, _ = concentration(_amounts([-50, 50, 50]))
    [s] = con.to_pyarrow(summary).to_pylist()
    assert s["total"] == 100


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1,
                max_size=40))
def test_gini_matches_a_plain_python_reference(values):
    con = ibis.duckdb.connect()
    summary, lorenz = concentration(_amounts(values))
    [s] = con.to_pyarrow(summary).to_pylist()
    xs, n, total = sorted(values), len(values), sum(values)
    if total == 0:
        assert s["gini"] is None
        return
    expected = sum((2 * i - n - 1) * x for i, x in enumerate(xs, 1)) / (n * total)
    assert s["gini"] == pytest.approx(expected, abs=1e-9)
    shares = [p["value_share"] for p in con.to_pyarrow(lorenz).to_pylist()]
    assert shares == sorted(shares) and shares[-1] == pytest.approx(1.0)


def test_age_bands(con):
    t = ibis.memtable({"age": [17, 18, 24, 25, 54, 55, None]}, schema={"age": "int64"})
    assert con.to_pyarrow(t.select(b=age_band(t.age)))["b"].to_pylist() == [
        "<18", "18-24", "18-24", "25-34", "45-54", "55+", UNKNOWN]


def test_distribution_shares_add_up(con):
    t = ibis.memtable({"gender": ["M", "M", "F", UNKNOWN], "revenue": [10.0, 30.0, 60.0, 0.0]})
    rows = con.to_pyarrow(distribution(t, "gender")).to_pylist()
    assert rows[0] == {"value": "M", "customers": 2, "revenue": 40.0, "customer_share": 0.5,
                       "revenue_share": 0.4}
    assert sum(r["customer_share"] for r in rows) == pytest.approx(1.0)


def test_feature_stats_overall_and_per_segment(con):
    f = ibis.memtable({"customer_id": ["a", "b", "c"], "monetary": [1.0, 2.0, 6.0]})
    seg = ibis.memtable({"customer_id": ["a", "b", "c"], "segment_id": ["S1", "S1", "S2"]})
    [overall] = con.to_pyarrow(feature_stats(f, ["monetary"])).to_pylist()
    assert (overall["n"], overall["mean"], overall["median"]) == (3, 3.0, 2.0)
    per = con.to_pyarrow(feature_stats(f, ["monetary"], seg)).to_pylist()
    assert [(r["segment_id"], r["mean"]) for r in per] == [("S1", 1.5), ("S2", 6.0)]


def test_describe_on_cdnow(cdnow_project_dir):
    from custseg.pipeline import Project

    with Project.open(cdnow_project_dir) as p:
        d = p.describe(as_of=dt.date(1998, 6, 30))
    assert d["customers"] == 23_570
    rev = d["revenue_concentration"]
    assert 0.5 < rev["top20_share"] < 1 and 0 < rev["gini"] < 1
    cohorts = {r["value"]: r["customers"] for r in d["distributions"]["register_cohort"]}
    assert cohorts == {"1997Q1": 23_570}


def test_describe_command_json(cdnow_project_dir):
    import json

    from typer.testing import CliRunner

    from custseg.cli import app

    result = CliRunner().invoke(app, ["describe", "--as-of", "1998-06-30", "--json",
                                      "--project", str(cdnow_project_dir)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data["distributions"]) >= {"age_band", "gender", "province", "register_cohort"}
    assert data["revenue_concentration"]["lorenz"][0] == {"customer_share": 0.0,
                                                          "value_share": 0.0}
    bad = CliRunner().invoke(app, ["describe", "--as-of", "1998-13-01", "--project",
                                   str(cdnow_project_dir)])
    assert bad.exit_code == 1 and "--as-of" in bad.output
