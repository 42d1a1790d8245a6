import csv
import json

import pytest
from typer.testing import CliRunner

from custseg.cli import app
from custseg.errors import CustsegError
from custseg.pipeline import Project
from tests.predict.data import D, planted_orders

MODELS = ["rfm-rules", "rfm-scores", "kmeans", "tiers", "value-matrix", "lifecycle"]


@pytest.fixture(scope="module")
def planted_project(tmp_path_factory):
    """400 generated customers with every segmentation and a prediction run (built once)."""
    folder = tmp_path_factory.mktemp("explain")
    _, orders = planted_orders(300, seed=5, dropout=0.3)
    path = folder / "orders.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["customer_id", "order_date", "amount"])
        writer.writeheader()
        writer.writerows(orders)
    with Project.init(folder / "p", language="en") as p:
        p.ingest([path], table="orders", derive_order_id=True)
        for model in MODELS:
            p.segment(model, as_of=D)
        p.predict(as_of=D)
    return folder / "p"


@pytest.mark.slow
def test_every_explanation_reproduces_the_stored_segment(planted_project):
    with Project.open(planted_project) as p:
        ids = [r[0] for r in p.connect().con.execute(
            "SELECT DISTINCT customer_id FROM segment_assignments ORDER BY 1 LIMIT 12"
        ).fetchall()]
        for cid in ids:
            out = p.explain(cid)
            assert {s["model"] for s in out["segmentations"]} == set(MODELS)
            for seg in out["segmentations"]:
                if seg["method"] == "rules":
                    assert seg["consistent"], (cid, seg)
                    matched = [r["id"] for r in seg["rules"] if r["matched"]]
                    assert matched == ([] if seg["segment_id"] == "U" else [seg["segment_id"]])
                    assert seg["rules"][-1]["matched"] or seg["segment_id"] == "U"
                else:
                    assert seg["method"] == "cluster"


@pytest.mark.slow
def test_rule_explanation_lists_values_and_verdicts(planted_project):
    with Project.open(planted_project) as p:
        db = p.connect().con
        cid = db.execute("SELECT customer_id FROM segment_assignments WHERE model = 'rfm-rules' "
                         "AND segment_id = 'A004' LIMIT 1").fetchone()[0]
        seg = next(s for s in p.explain(cid)["segmentations"] if s["model"] == "rfm-rules")
        recency = db.execute("SELECT recency_days FROM features f JOIN runs r USING (run_id) "
                             "WHERE customer_id = ? AND json_extract_string(r.config, '$.model')"
                             " = 'rfm-rules'", [cid]).fetchone()[0]
    a004 = seg["rules"][-1]
    assert a004["id"] == "A004" and a004["conditions"][0]["condition"] == "R ≥ 90 d"
    assert a004["conditions"][0]["value"] == recency and recency >= 90
    assert all(c["holds"] for c in a004["conditions"])
    assert all(any(not c["holds"] for c in r["conditions"]) for r in seg["rules"][:-1])


@pytest.mark.slow
def test_cluster_and_prediction_explanations(planted_project):
    with Project.open(planted_project) as p:
        cid = p.connect().con.execute(
            "SELECT customer_id FROM segment_assignments WHERE model = 'kmeans' AND "
            "segment_id <> 'N' LIMIT 1").fetchone()[0]
        out = p.explain(cid)
    cluster = next(s for s in out["segmentations"] if s["model"] == "kmeans")
    feats = cluster["features"]
    assert {f["feature"] for f in feats} == {"recency_days", "frequency", "monetary"}
    strength = [abs(f["cluster_z"]) for f in feats]
    assert strength == sorted(strength, reverse=True)
    assert all(0 <= f["percentile"] <= 100 for f in feats)
    (pred,) = out["predictions"]
    assert 0 <= pred["predictions"]["p_alive"] <= 1
    churn = pred["factors"]["churn"]
    assert churn and all({"feature", "importance", "value", "population_median"} <= f.keys()
                         for f in churn)
    assert {f["feature"] for f in pred["factors"]["clv"]} == {"frequency", "recency", "T",
                                                              "monetary_value"}


@pytest.mark.slow
def test_cli_explain_json_and_text(planted_project):
    result = CliRunner().invoke(app, ["explain", "h0", "--json", "--project",
                                      str(planted_project)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["customer_id"] == "h0"
    text = CliRunner().invoke(app, ["explain", "h0", "--project", str(planted_project)])
    assert text.exit_code == 0 and "rfm-rules" in text.output


def test_objectors_merged_ids_and_unknown_ids(plain):
    plain.segment("rfm-rules")
    objector = plain.explain("C04")
    assert objector["objects_profiling"] and objector["segmentations"] == []
    merged = plain.explain("C02")
    assert merged["customer_id"] == "C01" and merged["segmentations"][0]["consistent"]
    with pytest.raises(CustsegError, match="no customer 'NOPE'"):
        plain.explain("NOPE")
