"""RFM scores against a plain pandas reference, and the score-to-segment map."""

import ibis
import numpy as np
import pandas as pd
import pytest

from custseg.config import parse_settings
from custseg.errors import ConfigError
from custseg.model import UNCLASSIFIED
from custseg.segment import build
from custseg.segment.rfm_scores import SCORE_MAP, RFMScores, uncovered_cells

# The documented default map, written out again (first match wins): r, f, m ranges.
REFERENCE_MAP = [
    ("S01", (4, 5), (4, 5), (4, 5)), ("S02", (3, 5), (3, 5), (3, 5)),
    ("S03", (1, 1), (4, 5), (4, 5)), ("S04", (1, 2), (3, 5), (3, 5)),
    ("S05", (4, 5), (1, 1), (1, 5)), ("S06", (3, 3), (1, 1), (1, 5)),
    ("S07", (3, 5), (2, 5), (1, 5)), ("S08", (2, 2), (2, 5), (1, 5)),
    ("S09", (2, 2), (1, 1), (1, 5)), ("S10", (1, 1), (2, 5), (1, 5)),
    ("S11", (1, 1), (1, 1), (1, 5)),
]


def reference_scores(df: pd.DataFrame) -> pd.DataFrame:
    """floor(5 · (min-rank − 1) / n) + 1 among customers who ordered; 1 for the others."""
    out = pd.DataFrame({"customer_id": df.customer_id})
    ordered = df[df.has_ordered]
    n = len(ordered)
    for name, values in (("r_score", -ordered.recency_days), ("f_score", ordered.frequency),
                         ("m_score", ordered.monetary)):
        rank = values.rank(method="min").astype(int) - 1
        out[name] = 1
        out.loc[ordered.index, name] = (5 * rank) // n + 1
    segment = pd.Series("U", index=df.index)
    for seg, r, f, m in reversed(REFERENCE_MAP):
        hit = (out.r_score.between(*r) & out.f_score.between(*f) & out.m_score.between(*m))
        segment[hit] = seg
    out["segment_id"] = segment
    return out


def generated(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ordered = rng.random(n) < 0.85
    recency = rng.integers(0, 60, n) * rng.integers(1, 10, n)  # many ties
    frequency = np.where(rng.random(n) < 0.5, 0, rng.poisson(2, n))
    monetary = np.round(rng.lognormal(4, 1, n) * (frequency > 0))  # ties, zeros
    monetary[rng.random(n) < 0.03] = -5.0  # net refunds
    return pd.DataFrame({
        "customer_id": [f"c{i:05d}" for i in rng.permutation(n)],
        "has_ordered": ordered,
        "recency_days": pd.Series(recency).astype("Int64").where(ordered, pd.NA),
        "frequency": np.where(ordered, frequency, 0),
        "monetary": np.where(ordered, monetary, 0.0),
    })


def scored(con, df: pd.DataFrame) -> pd.DataFrame:
    t = ibis.memtable(df)
    out = con.execute(RFMScores().fit_assign(t))
    return out.sort_values("customer_id").reset_index(drop=True)


@pytest.mark.parametrize("seed,n", [(1, 7), (2, 100), (3, 2_000), (4, 5_003)])
def test_scores_and_segments_agree_with_pandas(con, seed, n):
    df = generated(seed, n)
    got = scored(con, df)
    want = reference_scores(df).sort_values("customer_id").reset_index(drop=True)
    for col in ("r_score", "f_score", "m_score", "segment_id"):
        assert got[col].astype(str).tolist() == want[col].astype(str).tolist(), col


def test_never_ordered_get_ones_and_recent_buyers_get_five(con):
    df = pd.DataFrame({"customer_id": list("abcdef"),
                       "has_ordered": [True] * 5 + [False],
                       "recency_days": pd.array([1, 2, 3, 4, 5, None], dtype="Int64"),
                       "frequency": [5, 4, 3, 2, 1, 0],
                       "monetary": [50.0, 40, 30, 20, 10, 0]})
    got = scored(con, df).set_index("customer_id")
    assert got.r_score.tolist() == [5, 4, 3, 2, 1, 1]
    assert got.f_score.tolist() == [5, 4, 3, 2, 1, 1]
    assert got.loc["f"].segment_id == "S11"
    assert got.loc["a"].segment_id == "S01"


def test_equal_values_get_equal_scores(con):
    df = pd.DataFrame({"customer_id": list("abcd"), "has_ordered": [True] * 4,
                       "recency_days": pd.array([9, 9, 9, 1], dtype="Int64"),
                       "frequency": [1, 1, 1, 1], "monetary": [5.0, 5.0, 7.0, 7.0]})
    got = scored(con, df)
    assert got.r_score.tolist() == [1, 1, 1, 4]
    assert got.f_score.tolist() == [1, 1, 1, 1]
    assert got.m_score.tolist() == [1, 1, 3, 3]


def test_default_map_covers_every_cell_and_names_eleven_segments():
    model = RFMScores().fit(ibis.memtable(generated(0, 5)))
    assert model.uncovered_ == [] and UNCLASSIFIED not in model.segments_
    assert len(SCORE_MAP) == 11
    names = {s.name_en for s in model.segments_}
    assert names == {"champions", "loyal", "potential loyalists", "new", "promising",
                     "need attention", "about to sleep", "at risk", "can't lose",
                     "hibernating", "lost"}


def test_a_partial_map_from_config_leaves_the_rest_unclassified(con):
    settings = parse_settings({"segmentation": {"score_map": [
        {"id": "TOP", "name_en": "top", "conditions": {"r_score": {"min": 4},
                                                       "m_score": {"min": 4}}}]}})
    model = build("rfm-scores", settings.segmentation)
    df = generated(5, 300)
    got = con.execute(model.fit_assign(ibis.memtable(df)))
    assert set(got.segment_id) == {"TOP", "U"}
    assert (got.segment_id == "TOP").tolist() == ((got.r_score >= 4) & (got.m_score >= 4)
                                                  ).tolist()
    assert model.segments_[-1] == UNCLASSIFIED
    assert len(model.uncovered_) == 125 - 2 * 5 * 2


def test_uncovered_cells():
    assert uncovered_cells(SCORE_MAP) == []
    assert len(uncovered_cells(SCORE_MAP[:1])) == 125 - 8


def test_score_map_may_only_use_scores():
    with pytest.raises(ConfigError, match="unknown feature 'monetary'"):
        RFMScores(segment_map=[{"id": "X", "name_en": "x",
                                "conditions": {"monetary": {"min": 1}}}]).fit(
            ibis.memtable(generated(0, 5)))
