"""The message catalog: every label in Chinese and English, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from custseg.i18n import MESSAGES, t


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_label_has_a_chinese_and_an_english_twin(key):
    labels = MESSAGES[key]
    assert set(labels) == {"zh", "en"}, key
    assert all(isinstance(v, str) and v.strip() for v in labels.values()), key
    assert _fields(labels["zh"]) == _fields(labels["en"]), key


def test_unknown_keys_fall_back_to_the_key():
    assert t("no_such_label", "en") == "no_such_label"
    assert t("customers", "zh") != t("customers", "en")
