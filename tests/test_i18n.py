"""The message catalog: every label in Chinese and English, with the same placeholders."""

from __future__ import annotations

import re
import string

import pytest

from custseg.campaigns.kpis import KPIS, ROI
from custseg.features import FEATURES
from custseg.i18n import MESSAGES, t
from custseg.segment.result import HEADERS

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# the other bilingual tables, each as {key: (zh, en)}
PAIRS = {"template 1 headers": HEADERS, "feature labels": FEATURES,
         "KPI labels": {k.name: (k.zh, k.en) for k in (*KPIS.values(), ROI)}}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_label_has_a_chinese_and_an_english_twin(key):
    labels = MESSAGES[key]
    assert set(labels) == {"zh", "en"}, key
    assert all(isinstance(v, str) and v.strip() for v in labels.values()), key
    assert _fields(labels["zh"]) == _fields(labels["en"]), key


@pytest.mark.parametrize("table", sorted(PAIRS))
def test_every_bilingual_pair_has_a_chinese_and_an_english_text(table):
    for key, pair in PAIRS[table].items():
        assert len(pair) == 2 and all(isinstance(v, str) and v.strip() for v in pair), key
        zh, en = pair
        assert CHINESE.search(zh) and not CHINESE.search(en), (table, key, pair)


def test_unknown_keys_fall_back_to_the_key():
    assert t("no_such_label", "en") == "no_such_label"
    assert t("customers", "zh") != t("customers", "en")
