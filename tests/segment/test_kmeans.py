"""K-Means segments: planted clusters recovered, engine assignment == scikit-learn, CDNOW run."""

from __future__ import annotations

import re

import ibis
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

from custseg.cli import app
from custseg.config import Settings
from custseg.errors import ConfigError
from custseg.model import NotFittedError
from custseg.pipeline import Project
from custseg.segment import MODELS, build
from custseg.segment.kmeans import NEVER, KMeansSegmenter, choose_k
from tests.conftest import rows

# four well-separated groups of (R days, F orders, M spend), 150 customers each
PLANTED = [(8, 12, 3000.0), (300, 1, 25.0), (40, 4, 400.0), (150, 1, 2500.0)]
PER_GROUP = 150
NEVER_ORDERED = 5


def planted_frame(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for group, (r, f, m) in enumerate(PLANTED):
        parts.append(pd.DataFrame({
            "recency_days": np.clip(rng.normal(r, r * 0.15, PER_GROUP), 0, None).round(),
            "frequency": rng.poisson(f, PER_GROUP) + (f > 1),
            "monetary": rng.lognormal(np.log(m), 0.15, PER_GROUP).round(2),
            "group": group}))
    df = pd.concat(parts, ignore_index=True)
    df["has_ordered"] = True
    never = pd.DataFrame({"recency_days": [np.nan] * NEVER_ORDERED, "frequency": 0,
                          "monetary": 0.0, "group": -1, "has_ordered": False})
    df = pd.concat([df, never], ignore_index=True)
    df.insert(0, "customer_id", [f"c{i:04d}" for i in range(len(df))])
    return df


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return planted_frame()


def table(df: pd.DataFrame) -> ibis.Table:
    return ibis.memtable(df.drop(columns="group"))


@pytest.fixture(scope="module")
def fitted(frame) -> KMeansSegmenter:
    return KMeansSegmenter().fit(table(frame))


def labels(model: KMeansSegmenter, df: pd.DataFrame) -> dict[str, str]:
    out = model.assign(table(df)).execute()
    return dict(zip(out.customer_id, out.segment_id, strict=True))


def test_k4_is_chosen_in_range_and_the_planted_clusters_are_recovered(fitted, frame):
    assert fitted.k_ == 4 and "elbow" in fitted.k_rule_
    assert [s["k"] for s in fitted.k_scores_ if s["in_range"]] == [3, 4, 5, 6]
    assert all(s["inertia"] > 0 and s["silhouette"] is not None for s in fitted.k_scores_)
    got = labels(fitted, frame)
    ordered = frame[frame.has_ordered]
    assert adjusted_rand_score(ordered.group, [got[c] for c in ordered.customer_id]) > 0.9
    assert {got[c] for c in frame.customer_id[~frame.has_ordered]} == {NEVER.id}


def test_engine_assignment_equals_sklearn_predict(fitted, frame):
    got = labels(fitted, frame)
    ordered = frame[frame.has_ordered]
    expected = np.array(fitted.label_ids_)[fitted.kmeans_.predict(
        fitted.transform_frame(ordered))]
    assert [got[c] for c in ordered.customer_id] == expected.tolist()
    out = fitted.assign(table(frame)).execute()
    assert out.distance.isna().sum() == NEVER_ORDERED and (out.distance.dropna() >= 0).all()


def test_fit_assign_equals_fit_then_assign(frame):
    a = KMeansSegmenter(k=4).fit(table(frame)).assign(table(frame)).execute()
    b = KMeansSegmenter(k=4).fit_assign(table(frame)).execute()
    pd.testing.assert_frame_equal(a.sort_values("customer_id").reset_index(drop=True),
                                  b.sort_values("customer_id").reset_index(drop=True))


def test_every_customer_is_in_exactly_one_known_segment(fitted, frame):
    out = fitted.assign(table(frame)).execute()
    assert len(out) == len(frame) == out.customer_id.nunique()
    assert set(out.segment_id) <= {s.id for s in fitted.segments_}
    assert [s.id for s in fitted.segments_] == ["C1", "C2", "C3", "C4", "N"]


@pytest.mark.parametrize("seed", [1, 2])
def test_labels_do_not_depend_on_row_order(fitted, frame, seed):
    shuffled = frame.sample(frac=1, random_state=seed).reset_index(drop=True)
    again = KMeansSegmenter().fit(table(shuffled))
    assert labels(again, shuffled) == labels(fitted, frame)
    np.testing.assert_array_equal(again.cluster_centers_, fitted.cluster_centers_)


def test_a_fixed_seed_gives_identical_results(fitted, frame):
    again = KMeansSegmenter().fit(table(frame))
    assert again.k_scores_ == fitted.k_scores_ and again.segments_ == fitted.segments_
    assert again.preprocessing_ == fitted.preprocessing_ and again.rules_ == fitted.rules_
    np.testing.assert_array_equal(again.cluster_centers_, fitted.cluster_centers_)


def test_assign_before_fit_raises():
    with pytest.raises(NotFittedError):
        KMeansSegmenter().assign(ibis.memtable({"customer_id": ["a"]}))


def test_names_and_definitions_in_both_languages(fitted, frame):
    clusters = [s for s in fitted.segments_ if s.id != NEVER.id]
    assert all(re.search(r"[\u4e00-\u9fff]", s.name_zh) for s in clusters)
    assert all(re.fullmatch(r"[a-z ,]+", s.name_en) for s in clusters)
    assert len({s.name_zh for s in clusters}) == len({s.name_en for s in clusters}) == 4
    got = labels(fitted, frame)
    names = {s.id: (s.name_zh, s.name_en) for s in fitted.segments_}
    by_group = {g: names[got[frame.customer_id[frame.group == g].iloc[0]]] for g in range(4)}
    assert by_group[0] == ("高频次高消费", "high frequency, high spend")  # R 8, F 12, M 3000
    assert by_group[1] == ("久未购买低消费", "long since last purchase, low spend")  # R 300
    for lang in ("zh", "en"):
        texts = fitted.texts(lang)
        assert set(texts) == {s.id for s in fitted.segments_}
        assert all(texts[s.id][0].startswith("R ") for s in clusters)


def test_preprocessing_is_reported_per_feature(fitted):
    steps = {p["feature"]: p for p in fitted.preprocessing_}
    assert list(steps) == ["recency_days", "frequency", "monetary"]
    assert all("clip" in p["steps"] and p["lower"] <= p["upper"] for p in steps.values())
    assert set(fitted.scaler_) == {"center", "scale"}
    assert fitted.cluster_centers_.shape == (4, 3)


def test_explanations_profile_rules_and_fidelity(fitted):
    assert fitted.fidelity_ > 0.9
    assert set(fitted.rules_) == {"C1", "C2", "C3", "C4"}
    assert all(r["rule"] and 0 <= r["precision"] <= 1 for rs in fitted.rules_.values()
               for r in rs)
    top = fitted.profile_[fitted.profile_["rank"] == 1]
    assert len(fitted.profile_) == 12 and len(top) == 4 and (top.z.abs() > 0.5).all()


def test_stability_is_high_on_separated_clusters(fitted, frame):
    report = fitted.stability(table(frame), n=3)
    assert report["k"] == 4 and len(report["ari"]) == 3 and report["mean_ari"] > 0.95


def test_given_k_and_bad_parameters(frame):
    model = KMeansSegmenter(k=3, features=("recency_days", "monetary")).fit(table(frame))
    assert model.k_ == 3 and [s["k"] for s in model.k_scores_] == [3]
    assert model.cluster_centers_.shape == (3, 2)
    for bad in (dict(features=("nope",)), dict(k_range=(1, 4)), dict(k=1),
                dict(transforms="sqrt")):
        with pytest.raises(ConfigError):
            KMeansSegmenter(**bad).fit(table(frame))


def test_choose_k_falls_back_to_silhouette_without_an_elbow():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    k, scores, rule, _ = choose_k(X, (3, 4))
    assert k in (3, 4) and [s["k"] for s in scores] == [2, 3, 4, 5]
    assert rule


def test_registry_builds_kmeans_from_settings():
    assert MODELS["kmeans"] is KMeansSegmenter
    assert isinstance(build("kmeans"), KMeansSegmenter)
    settings = Settings.model_validate({"segmentation": {
        "model": "kmeans", "k": 4, "k_range": [2, 5], "cluster_features": ["monetary", "aov"]}})
    model = build("kmeans", settings.segmentation)
    assert (model.k, model.k_range, model.features) == (4, (2, 5), ("monetary", "aov"))
    assert build("kmeans", Settings().segmentation).get_params() == KMeansSegmenter(
        ).get_params()


@pytest.mark.slow
def test_cdnow_cli_run_adds_up(cdnow_project_dir):
    result = CliRunner().invoke(app, ["segment", "--model", "kmeans", "--as-of", "1998-06-30",
                                      "--project", str(cdnow_project_dir)])
    assert result.exit_code == 0, result.output
    assert "23,570" in result.output
    with Project.open(cdnow_project_dir) as project:
        run_id, = rows(project, "SELECT run_id FROM runs WHERE json_extract_string(config, "
                                "'$.model') = 'kmeans' ORDER BY created_at DESC LIMIT 1")[0]
        summary = rows(project, f"SELECT segment_id, customers FROM segment_summary "
                                f"WHERE run_id = '{run_id}' ORDER BY position")
        stored = rows(project, f"SELECT count(*), count(DISTINCT customer_id) FROM "
                               f"segment_assignments WHERE run_id = '{run_id}'")
    assert sum(n for _, n in summary) == 23_570 == stored[0][0] == stored[0][1]
    assert 3 <= len([s for s, _ in summary if s.startswith("C")]) <= 6


@pytest.mark.parametrize("ordered, recency", [
    ([False, False], [None, None]),            # nobody ordered: only N
    ([True, False], [3.0, None]),              # one customer to cluster
    ([True, True, True, False], [3.0, 50.0, 9.0, None]),  # fewer customers than K
])
def test_tiny_tables_still_give_every_customer_one_segment(ordered, recency):
    n = len(ordered)
    features = ibis.memtable(
        {"customer_id": [f"c{i}" for i in range(n)], "has_ordered": ordered,
         "recency_days": recency, "frequency": [int(o) for o in ordered],
         "monetary": [10.0 * (i + 1) * o for i, o in enumerate(ordered)]},
        schema={"customer_id": "string", "has_ordered": "boolean", "recency_days": "float64",
                "frequency": "int64", "monetary": "float64"})
    model = KMeansSegmenter().fit(features)
    out = model.assign(features).execute()
    assert len(out) == n and set(out.segment_id) <= {s.id for s in model.segments_}
    assert model.k_ == min(sum(ordered), 3) and model.stability(features, n=2)["mean_ari"] >= 0


def test_customers_with_outlier_orders_are_assigned_but_not_fitted(frame):
    df = frame.assign(outlier_orders=0)
    df.loc[df.index[:40], "outlier_orders"] = 1
    model = KMeansSegmenter(k=4).fit(table(df))
    assert model.n_sample_ == len(frame) - NEVER_ORDERED - 40
    assigned = model.assign(table(df)).execute()
    assert len(assigned) == len(df) and assigned.segment_id.notna().all()
