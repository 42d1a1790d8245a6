"""K-Prototypes on mixed features: planted groups, engine cost == kmodes' predict."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from custseg.config import Settings
from custseg.errors import ConfigError
from custseg.segment import MODELS, build
from custseg.segment.clustering import NEVER
from custseg.segment.kprototypes import KPrototypesSegmenter, _dissimilarity
from tests.segment.planted import NEVER_ORDERED, labels, planted_frame, table

pytestmark = pytest.mark.slow  # kmodes fits in pure Python: about ten seconds in all


@pytest.fixture(scope="module")
def frame():
    return planted_frame(per_group=100)


@pytest.fixture(scope="module")
def fitted(frame) -> KPrototypesSegmenter:
    return KPrototypesSegmenter(stability_runs=2).fit(table(frame))


def test_auto_k_picks_the_four_planted_groups(fitted, frame):
    assert fitted.k_ == 4, fitted.k_rule_
    assert fitted.categorical_ == ["gender", "age_band"] and fitted.gamma_ > 0
    got = labels(fitted, frame)
    ordered = frame[frame.has_ordered]
    assert adjusted_rand_score(ordered.group, [got[c] for c in ordered.customer_id]) >= 0.9
    assert {got[c] for c in frame.customer_id[~frame.has_ordered]} == {NEVER.id}


def test_engine_assignment_equals_kmodes_predict(fitted, frame):
    ordered = frame[frame.has_ordered].copy()
    ordered.loc[ordered.index[:7], "gender"] = None      # missing: the category 未知/unknown
    ordered.loc[ordered.index[7:12], "age_band"] = "65+"  # a category never seen in fitting
    got = labels(fitted, ordered)
    expected = np.array(fitted.label_ids_)[fitted.predict_frame(fitted.transform_frame(
        ordered))]
    assert [got[c] for c in ordered.customer_id] == expected.tolist()


def test_modes_and_ranges_describe_the_categories(fitted, frame):
    got = labels(fitted, frame)
    young = frame[(frame.group == 3)].customer_id.iloc[0]  # planted M, 18-24, high spend
    seg = got[young]
    assert fitted.modes_[seg]["gender"][0] == "M" and fitted.modes_[seg]["age_band"][0] == "18-24"
    assert fitted.modes_[seg]["gender"][1] > 0.8
    assert "gender M" in fitted.texts("en")[seg][0]
    assert fitted.fidelity_ > 0.9


def test_rules_read_categories_as_words():
    rng = np.random.default_rng(3)  # spend says nothing; gender is the whole story
    df = pd.DataFrame({"customer_id": [f"c{i:03d}" for i in range(120)],
                       "has_ordered": True, "monetary": rng.normal(100, 10, 120),
                       "gender": ["F", "M"] * 60})
    model = KPrototypesSegmenter(features=("monetary", "gender"), k=2, gamma=10.0,
                                 stability_runs=0).fit(ibis.memtable(df))
    rules = {seg: [r["rule"] for r in rs] for seg, rs in model.rules_.items()}
    assert model.fidelity_ == 1.0
    assert sorted(r for rs in rules.values() for r in rs) == ["gender = F", "gender ≠ F"]


def test_same_seed_same_result(fitted, frame):
    shuffled = frame.sample(frac=1, random_state=5).reset_index(drop=True)
    again = KPrototypesSegmenter(stability_runs=2).fit(table(shuffled))
    assert again.k_scores_ == fitted.k_scores_ and again.segments_ == fitted.segments_
    np.testing.assert_array_equal(again.cluster_centers_, fitted.cluster_centers_)
    np.testing.assert_array_equal(again.cluster_modes_, fitted.cluster_modes_)
    assert labels(again, shuffled) == labels(fitted, frame)


def test_text_features_are_the_categorical_ones(frame):
    model = KPrototypesSegmenter(features=("monetary", "gender"), k=2,
                                 stability_runs=0).fit(table(frame))
    assert model.categorical_ == ["gender"] and model.dimensions_ == ["monetary", "gender"]
    assert model.cluster_modes_.shape == (2, 1)
    with pytest.raises(ConfigError, match="categorical"):
        KPrototypesSegmenter(categorical=()).fit(table(frame))
    with pytest.raises(ConfigError, match="lacks nope"):
        KPrototypesSegmenter(categorical=("nope",)).fit(table(frame))


def test_dissimilarity_is_squared_distance_plus_gamma_mismatches():
    num = np.array([[0.0, 0.0], [3.0, 4.0]])
    cat = np.array([["F", "a"], ["M", "a"]], dtype=object)
    d = _dissimilarity(num, cat, 2.0)
    assert d.tolist() == [[0.0, 27.0], [27.0, 0.0]]


def test_registry_and_settings():
    assert MODELS["kprototypes"] is KPrototypesSegmenter
    settings = Settings.model_validate({"segmentation": {
        "k": 3, "clustering": {"categorical": ["province"], "gamma": 0.7,
                               "sample_size": 1000}}})
    model = build("kprototypes", settings.segmentation)
    assert (model.k, model.categorical, model.gamma, model.sample_size) == (
        3, ("province",), 0.7, 1000)
    assert build("kprototypes", Settings().segmentation).get_params() == \
        KPrototypesSegmenter().get_params()


def test_tiny_table(frame):
    small = pd.concat([frame[frame.customer_id.isin(["c0000", "c0150"])],
                       frame[~frame.has_ordered]])
    model = KPrototypesSegmenter(stability_runs=1).fit(table(small))
    out = model.assign(table(small)).execute()
    assert len(out) == 2 + NEVER_ORDERED and set(out.segment_id) <= {"C1", "C2", NEVER.id}
