"""[playbook] and [campaigns] in custseg.toml."""

import re
import tomllib

import pytest

from custseg.config import STARTER_CONFIG, parse_settings
from custseg.errors import ConfigError


def test_defaults_keep_old_configs_valid():
    s = parse_settings({})
    assert s.playbook.segments == {} and s.playbook.model is None
    assert (s.campaigns.holdout, s.campaigns.pre_days, s.campaigns.post_days) == (0.1, 30, 30)


def test_commented_starter_block_is_valid_when_uncommented():
    text = STARTER_CONFIG.format(name="x", language="en")
    block = text[text.index("# [playbook]"):].split("\n\n")[0]
    s = parse_settings(tomllib.loads("\n".join(re.sub(r"^# ?", "", line)
                                               for line in block.splitlines())))
    entry = s.playbook.segments["A004"]
    assert entry.owner == "王经理" and entry.kpis == {"activation_rate": ">=20%",
                                                      "repurchase_30d": ">=8%"}
    assert s.campaigns.holdout == 0.1


@pytest.mark.parametrize(("text", "needle"), [
    ("[playbook.segments.A004]\nonwer = 'x'\n", "did you mean 'owner'"),
    ("[campaigns]\nholdout = 1.5\n", "campaigns.holdout"),
    ("[playbook.segments.A004]\nmeasures = 'coupon'\n", "playbook.segments.A004.measures"),
])
def test_mistakes_name_the_key(text, needle):
    with pytest.raises(ConfigError, match=re.escape(needle)):
        parse_settings(tomllib.loads(text))
