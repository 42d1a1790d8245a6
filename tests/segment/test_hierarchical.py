"""Ward segments: planted groups recovered, everyone assigned to the nearest Ward centroid."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from custseg.errors import ConfigError
from custseg.segment import MODELS, build
from custseg.segment.clustering import NEVER
from custseg.segment.hierarchical import HierarchicalSegmenter, _Nearest, ward_cuts
from tests.segment.planted import NEVER_ORDERED, labels, planted_frame, table


@pytest.fixture(scope="module")
def frame():
    return planted_frame()


@pytest.fixture(scope="module")
def fitted(frame) -> HierarchicalSegmenter:
    return HierarchicalSegmenter().fit(table(frame))


def test_auto_k_picks_the_four_planted_groups(fitted, frame):
    assert fitted.k_ == 4 and "elbow" in fitted.k_rule_
    assert [s["k"] for s in fitted.k_scores_] == [2, 3, 4, 5, 6, 7]
    inertia = [s["inertia"] for s in fitted.k_scores_]
    assert inertia == sorted(inertia, reverse=True)  # a finer cut never adds within-SS
    got = labels(fitted, frame)
    ordered = frame[frame.has_ordered]
    assert adjusted_rand_score(ordered.group, [got[c] for c in ordered.customer_id]) >= 0.9
    assert {got[c] for c in frame.customer_id[~frame.has_ordered]} == {NEVER.id}


def test_engine_assignment_equals_nearest_centroid_predict(fitted, frame):
    got = labels(fitted, frame)
    ordered = frame[frame.has_ordered]
    expected = np.array(fitted.label_ids_)[fitted.nearest_.predict(
        fitted.transform_frame(ordered))]
    assert [got[c] for c in ordered.customer_id] == expected.tolist()
    assert fitted.agreement_ > 0.95  # Ward's own clusters and nearest centroids agree


def test_centroids_are_the_means_of_the_ward_clusters(fitted, frame):
    ordered = frame[frame.has_ordered].sort_values("customer_id")
    X = fitted.transform_frame(ordered)
    for j, centre in enumerate(fitted.cluster_centers_):
        np.testing.assert_allclose(centre, X[fitted.ward_labels_ == j].mean(axis=0))


def test_same_seed_same_result_and_row_order_does_not_matter(fitted, frame):
    shuffled = frame.sample(frac=1, random_state=3).reset_index(drop=True)
    again = HierarchicalSegmenter().fit(table(shuffled))
    assert again.k_scores_ == fitted.k_scores_ and again.segments_ == fitted.segments_
    np.testing.assert_array_equal(again.cluster_centers_, fitted.cluster_centers_)
    assert labels(again, shuffled) == labels(fitted, frame)


def test_explanations_and_template_texts(fitted):
    assert fitted.fidelity_ > 0.9 and set(fitted.rules_) == {"C1", "C2", "C3", "C4"}
    assert [s.id for s in fitted.segments_] == ["C1", "C2", "C3", "C4", NEVER.id]
    assert len({s.name_en for s in fitted.segments_}) == 5
    assert all(fitted.texts(lang)["C1"][0].startswith("R ") for lang in ("zh", "en"))
    assert fitted.stability_["n"] == 3 and fitted.stability_["mean_ari"] > 0.9


def test_ward_cut_of_two_obvious_groups():
    X = np.array([[0.0], [0.1], [10.0], [10.2]])
    (ward, centres), labels, inertia = ward_cuts(X)(2)
    assert sorted(np.bincount(labels)) == [2, 2] and (ward == labels).all()
    assert sorted(centres[:, 0].round(2)) == [0.05, 10.1]
    assert inertia == pytest.approx(0.005 + 0.02)


def test_given_k_and_sample_cap(frame):
    model = HierarchicalSegmenter(k=3, stability_runs=0).fit(table(frame))
    assert model.k_ == 3 and [s["k"] for s in model.k_scores_] == [3]
    with pytest.raises(ConfigError, match="sample_size"):
        HierarchicalSegmenter(sample_size=10**6).fit(table(frame))
    assert MODELS["hierarchical"] is HierarchicalSegmenter
    assert isinstance(build("hierarchical"), HierarchicalSegmenter)


def test_tiny_table_every_customer_gets_one_segment(frame):
    small = frame[frame.customer_id.isin(["c0000", "c0300"]) | ~frame.has_ordered]
    model = HierarchicalSegmenter().fit(table(small))
    out = model.assign(table(small)).execute()
    assert model.k_ == 2 and len(out) == 2 + NEVER_ORDERED
    assert out.segment_id.value_counts().to_dict() == {NEVER.id: NEVER_ORDERED, "C1": 1, "C2": 1}


def test_nearest_centroid_of_clusters_without_spread():
    """Repeated points give a zero within-cluster spread in every feature; sklearn divides
    by it for shrinkage, which is off, so the fit must neither warn nor fail."""
    X = np.array([[0.0, 5.0], [0.0, 5.0], [3.0, 1.0], [3.0, 1.0], [3.0, 1.0]])
    nearest = _Nearest(X, np.array([0, 0, 1, 1, 1]))
    assert nearest.estimator is not None
    assert nearest.predict(np.array([[0.2, 4.0], [2.5, 1.5]])).tolist() == [0, 1]
