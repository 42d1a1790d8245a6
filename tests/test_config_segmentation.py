"""[features] and [segmentation] in custseg.toml: defaults, the starter example, typos."""

import re
import tomllib
from datetime import date

import pytest

from custseg.config import STARTER_CONFIG, load_settings, parse_settings
from custseg.errors import ConfigError
from custseg.segment import build
from tests.segment.test_rfm_rules import feature_rows, rfm


def test_defaults():
    s = parse_settings({})
    assert (s.features.window_months, s.features.as_of) == (6, None)
    assert (s.segmentation.model, s.segmentation.template) == ("rfm-rules", "seed")


def test_the_commented_starter_example_is_valid_and_runs():
    text = STARTER_CONFIG.format(name="x", language="en").split("# One [[sources]]")[0]
    text = "\n".join(line[2:] if re.match(r"^# (\[\[?segmentation|[a-z_]+ = )", line)
                     else line for line in text.splitlines())
    s = parse_settings(tomllib.loads(text))
    assert s.features.as_of == date(2024, 6, 30)
    assert [r.id or r.preset for r in s.segmentation.rules] == ["A001", "churn_risk", "N1"]
    model = build("rfm-rules", s.segmentation).fit(feature_rows([rfm(1, 1, 1)]))
    assert [r.id for r in model.rules_] == ["A001", "P002", "N1"]
    assert build("rfm-scores", s.segmentation).fit(feature_rows([rfm(1, 1, 1)]).mutate(
        has_ordered=True)).uncovered_


@pytest.mark.parametrize("text,needles", [
    ("[features]\nwindow_month = 3\n",
     ["unknown key features.window_month", "did you mean 'window_months'"]),
    ('[[segmentation.rules]]\nid = "X"\nname_zn = "x"\n',
     ["unknown key segmentation.rules[0].name_zn", "did you mean 'name_zh'"]),
    ("[segmentation]\nmodle = 'rfm-scores'\n", ["segmentation.modle", "did you mean 'model'"]),
    ('[[segmentation.rules]]\nid = "X"\nname_en = "x"\nconditions = {recency_days = {maxx = 3}}\n',
     ["segmentation.rules[0].conditions", "unknown bound 'maxx' (did you mean 'max'?)"]),
    ('[[segmentation.rules]]\nid = "X"\nname_en = "x"\nconditions = {frequency = {min = 5, '
     'max = 2}}\n', ["min 5 is above max 2"]),
    ('[[segmentation.rules]]\nname_en = "x"\n', ["give preset, or id, conditions"]),
    ("[features]\nwindow_months = 0\n", ["features.window_months"]),
])
def test_mistakes_name_the_key(tmp_path, text, needles):
    (tmp_path / "custseg.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(tmp_path)
    for needle in needles:
        assert needle in str(exc.value)
