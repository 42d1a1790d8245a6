"""What the clustering models share: preprocessing report, reduction, MiniBatch, chart data,
stability warnings, and the `custseg segment --k/--features` options."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

from custseg.cli import app
from custseg.errors import CustsegError
from custseg.io.results import load_charts, save_charts
from custseg.pipeline import Project
from custseg.segment import clustering
from custseg.segment.hierarchical import HierarchicalSegmenter
from custseg.segment.k_choice import parse_features, parse_k
from custseg.segment.kmeans import KMeansSegmenter
from custseg.segment.kprototypes import KPrototypesSegmenter
from custseg.segment.scaling import FeatureTransform, kind
from custseg.snapshots import remove_run
from tests.segment.planted import labels, planted_frame, table


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    df = planted_frame()
    rng = np.random.default_rng(0)  # a skewed share: never logged
    df["online_share"] = np.where(rng.random(len(df)) < 0.8, 0.0, rng.random(len(df)))
    return df


@pytest.fixture(scope="module")
def fitted(frame) -> KMeansSegmenter:
    return KMeansSegmenter().fit(table(frame))


def ari(model, df) -> float:
    got = labels(model, df)
    ordered = df[df.has_ordered]
    return adjusted_rand_score(ordered.group, [got[c] for c in ordered.customer_id])


def test_preprocessing_is_chosen_per_feature_and_reported(frame):
    model = KMeansSegmenter(features=("recency_days", "monetary", "online_share"), k=4,
                            stability_runs=0).fit(table(frame))
    report = {p["feature"]: p for p in model.preprocessing_}
    assert report["online_share"]["kind"] == "bounded" and not report["online_share"]["log"]
    assert report["online_share"]["skewness"] > 1  # skewed, yet a share is not logged
    assert report["monetary"]["kind"] == "money" and report["recency_days"]["kind"] == "days"
    assert all(p["scale_kind"] in ("IQR", "std", "none") and p["steps"]
               for p in report.values())
    assert model.charts_["clustering"]["preprocessing"] == model.preprocessing_


def test_clipping_counts_the_values_beyond_the_percentiles():
    values = pd.Series(np.r_[np.arange(100.0), 10_000.0])
    t = FeatureTransform.learn("monetary", values, "none")
    assert t.clipped == int(((values < t.lower) | (values > t.upper)).sum()) == 2
    assert t.frame(pd.Series([10_000.0])).tolist() == [(t.upper - t.center) / t.scale]
    assert (kind("discount_share"), kind("ltv_historic"), kind("visits_rate"),
            kind("x")) == ("bounded", "money", "bounded", "other")


@pytest.mark.parametrize("method", ["pca", "factor"])
def test_reduction_reports_explained_variance_and_engine_equals_predict(frame, method):
    model = KMeansSegmenter(reduction=method, n_components=2, k=4,
                            stability_runs=0).fit(table(frame))
    red = model.reduction_.report()
    assert red["method"] == method and len(red["explained"]) == 2
    assert 0 < red["explained_total"] <= 1 + 1e-9
    assert model.cluster_centers_.shape == (4, 2)
    got = labels(model, frame)
    ordered = frame[frame.has_ordered]
    expected = np.array(model.label_ids_)[model.kmeans_.predict(model.transform_frame(ordered))]
    assert [got[c] for c in ordered.customer_id] == expected.tolist()
    assert ari(model, frame) >= 0.9
    assert sorted(model.profile_.feature.unique()) == ["frequency", "monetary",
                                                       "recency_days"]


@pytest.mark.slow
def test_minibatch_for_large_samples_recovers_the_groups(frame):
    model = KMeansSegmenter(minibatch_above=100, stability_runs=0).fit(table(frame))
    assert isinstance(model.kmeans_, MiniBatchKMeans) and model.k_ == 4
    assert ari(model, frame) >= 0.9
    got = labels(model, frame)
    ordered = frame[frame.has_ordered]
    expected = np.array(model.label_ids_)[model.kmeans_.predict(model.transform_frame(ordered))]
    assert [got[c] for c in ordered.customer_id] == expected.tolist()
    again = KMeansSegmenter(minibatch_above=100, stability_runs=0).fit(table(frame))
    np.testing.assert_array_equal(again.cluster_centers_, model.cluster_centers_)


def test_chart_data(fitted, frame, monkeypatch):
    charts = fitted.charts_
    assert set(charts) == {"k_curve", "profile_heatmap", "pca_scatter", "clustering"}
    curve = charts["k_curve"]
    assert curve["k"] == [2, 3, 4, 5, 6, 7] and curve["chosen"] == 4
    assert len(curve["inertia"]) == len(curve["silhouette"]) == 6
    assert curve["inertia"][2] == pytest.approx(fitted.k_scores_[2]["inertia"], rel=1e-5)
    heat = charts["profile_heatmap"]
    assert heat["segments"] == ["C1", "C2", "C3", "C4"]
    assert np.array(heat["z"]).shape == (4, 3) and len(heat["names"]["zh"]) == 4
    top = fitted.profile_[fitted.profile_["rank"] == 1]
    for _, row in top.iterrows():
        i, j = heat["segments"].index(row.segment_id), heat["features"].index(row.feature)
        assert heat["z"][i][j] == pytest.approx(row.z, abs=1e-4)
    scatter = charts["pca_scatter"]
    assert len(scatter["x"]) == len(scatter["y"]) == len(scatter["segment"]) == 600
    assert set(scatter["segment"]) == {"C1", "C2", "C3", "C4"}
    assert 0.5 < sum(scatter["explained"]) <= 1 + 1e-9 and scatter["explained"][0] >= \
        scatter["explained"][1]
    monkeypatch.setattr(clustering, "SCATTER_ROWS", 100)
    small = KMeansSegmenter(k=4, stability_runs=0).fit(table(frame)).charts_["pca_scatter"]
    assert len(small["x"]) == 100


def test_low_stability_is_warned(frame, monkeypatch):
    monkeypatch.setattr(clustering, "STABILITY_LOW", 1.01)  # nothing is that stable
    model = HierarchicalSegmenter(k=4, stability_runs=2).fit(table(frame))
    s = model.stability_
    assert s["low"] and s["n"] == 2 and s["min_ari"] <= s["mean_ari"] <= 1
    assert s["std_ari"] >= 0 and len(model.notices_) == 1
    assert "unstable" in model.notices_[0].en and "不稳定" in model.notices_[0].zh


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(["auto", "AUTO", " 5", "2", "1", "0", "x", "-3", "4.5"]))
def test_parse_k(text):
    if text.strip().lower() == "auto":
        assert parse_k(text) is None
    elif text.strip().isdigit() and int(text) >= 2:
        assert parse_k(text) == int(text)
    else:
        with pytest.raises(CustsegError, match="--k"):
            parse_k(text)


def test_parse_features():
    assert parse_features(" monetary ,aov") == ["monetary", "aov"]
    with pytest.raises(CustsegError, match="--features"):
        parse_features(" , ")


def test_charts_round_trip_and_are_removed_with_their_run(project):
    con = project.connect()
    assert load_charts(con, "r1") == {}
    save_charts(con, "r1", {"k_curve": {"k": [2, 3], "silhouette": [None, 0.5],
                                        "chosen": 3}, "note": {"名称": "高消费"}})
    save_charts(con, "r2", {"k_curve": {"k": [4]}})
    assert load_charts(con, "r1") == {"k_curve": {"k": [2, 3], "silhouette": [None, 0.5],
                                                  "chosen": 3}, "note": {"名称": "高消费"}}
    con.con.execute("INSERT INTO runs VALUES ('r1', 'segment', NULL, now(), '{}', 'done')")
    remove_run(con, "r1")
    assert load_charts(con, "r1") == {} and load_charts(con, "r2") == {"k_curve": {"k": [4]}}


@pytest.mark.slow
def test_cli_hierarchical_with_k_and_features_stores_charts(cdnow_project_dir, tmp_path):
    out = tmp_path / "seg.csv"
    result = CliRunner().invoke(app, [
        "segment", "--model", "hierarchical", "--k", "4", "--features",
        "recency_days,monetary", "--export", str(out), "--project", str(cdnow_project_dir)])
    assert result.exit_code == 0, result.output
    assert "23,570" in result.output and "K: 4 (K = 4 given)" in result.output
    assert "preprocessing: recency_days: NULL" in result.output
    assert "stability (bootstrap ARI)" in result.output
    exported = pd.read_csv(out)
    assert list(exported.columns) == ["customer_id", "segment_id", "segment_name"]
    assert len(exported) == 23_570 and exported.segment_id.nunique() == 4
    run_id = result.output.split("run: ")[-1].split()[0]
    with Project.open(cdnow_project_dir) as project:
        charts = load_charts(project.connect(), run_id)
    assert charts["k_curve"]["chosen"] == 4 and charts["k_curve"]["k"] == [4]
    assert charts["profile_heatmap"]["features"] == ["recency_days", "monetary"]
    assert len(charts["pca_scatter"]["x"]) == 2_000
    assert charts["clustering"]["model"] == "hierarchical"


@pytest.mark.parametrize("args, needle", [
    (["--k", "one"], "--k: 'one' is neither 'auto' nor a number"),
    (["--features", "recency_days,nope"], "lacks nope"),
])
def test_cli_mistakes_are_one_line(cdnow_project_dir, args, needle):
    result = CliRunner().invoke(app, ["segment", "--model", "kmeans", *args, "--project",
                                      str(cdnow_project_dir)])
    assert result.exit_code == 1 and needle in result.output, result.output


def _library_predict(model, X) -> np.ndarray:
    """The fitted library estimator's own predict, in the model's clustering space."""
    if isinstance(model, KMeansSegmenter):
        return model.kmeans_.predict(X)
    if isinstance(model, HierarchicalSegmenter):
        return model.nearest_.predict(X)
    return model.predict_frame(X)


MODELS = [KMeansSegmenter, HierarchicalSegmenter,
          pytest.param(KPrototypesSegmenter, marks=pytest.mark.slow)]


@pytest.mark.parametrize("cls", MODELS)
def test_a_wide_k_range_still_finds_the_four_planted_groups(cls):
    """K searched over 2–10 (wider than the 3–6 default) still picks the planted four."""
    train = planted_frame(seed=7)
    model = cls(k_range=(2, 10), stability_runs=0).fit(table(train))
    assert model.k_ == 4, model.k_rule_
    assert [s["k"] for s in model.k_scores_ if s["in_range"]] == list(range(2, 11))
    assert ari(model, train) >= 0.9


@pytest.mark.parametrize("cls", MODELS)
def test_engine_assignment_equals_library_predict_on_unseen_customers(cls):
    model = cls(stability_runs=0).fit(table(planted_frame(seed=7)))
    test = planted_frame(seed=8)
    got = labels(model, test)
    ordered = test[test.has_ordered]
    expected = np.array(model.label_ids_)[_library_predict(model,
                                                             model.transform_frame(ordered))]
    assert [got[c] for c in ordered.customer_id] == expected.tolist()
    assert ari(model, test) >= 0.9
