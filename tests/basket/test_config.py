"""`[basket]` in custseg.toml: defaults, typos named, the commented starter block valid."""

from __future__ import annotations

import re
import tomllib

import pytest

from custseg.config import STARTER_CONFIG, parse_settings
from custseg.errors import ConfigError


def test_defaults_keep_existing_configs_valid():
    s = parse_settings({}).basket
    assert (s.level, s.basket, s.min_support, s.max_len, s.algorithm) == (
        "product", "order", 0.01, 2, "auto")


def test_commented_starter_block_is_valid_when_uncommented():
    text = STARTER_CONFIG.format(name="x", language="en")
    block = text[text.index("# [basket]"):].split("\n\n")[0]
    uncommented = "\n".join(re.sub(r"^# ?", "", line) for line in block.splitlines())
    s = parse_settings(tomllib.loads(uncommented)).basket
    assert (s.level, s.basket, s.min_support, s.max_len) == ("product", "order", 0.01, 2)


@pytest.mark.parametrize("text,needle", [
    ("[basket]\nmin_suport = 0.1\n", "did you mean 'min_support'"),
    ("[basket]\nlevel = 'sku'\n", "basket.level"),
    ("[basket]\nmin_support = 0\n", "basket.min_support"),
    ("[basket]\nmax_len = 1\n", "basket.max_len"),
])
def test_mistakes_name_the_key(text, needle):
    with pytest.raises(ConfigError, match=re.escape(needle)):
        parse_settings(tomllib.loads(text))
