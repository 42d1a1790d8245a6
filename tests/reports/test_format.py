"""Numbers, shares and dates per language."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from custseg.reports import format as fmt


def test_dates_read_naturally_in_each_language():
    assert fmt.day(date(2024, 12, 1), "zh") == "2024年12月1日"
    assert fmt.day("2024-12-01", "en") == "1 Dec 2024"
    assert fmt.day(datetime(2024, 12, 1, 9, 5), "en") == "1 Dec 2024"
    assert fmt.timestamp(datetime(2024, 12, 1, 9, 5), "zh") == "2024年12月1日 09:05"
    assert fmt.day(None, "en") == fmt.MISSING


def test_compact_numbers_use_wan_and_yi_in_chinese():
    assert fmt.compact(23_570, "zh") == "2.4万"
    assert fmt.compact(250_000_000, "zh") == "2.5亿"
    assert fmt.compact(23_570, "en") == "23.6K"
    assert fmt.compact(-2_500_000, "en") == "-2.5M"


def test_cells_keep_numbers_readable():
    assert fmt.cell(1234567, "en") == "1,234,567"
    assert fmt.cell(0.12345, "en") == "0.12"
    assert fmt.cell(12345.678, "en") == "12,346"
    assert fmt.cell(True, "zh") == "✓"
    assert fmt.cell(["a", 1000], "en") == "a, 1,000"
    assert fmt.cell(float("nan"), "en") == fmt.MISSING
    assert fmt.money(-50, "zh") == "-¥50"


@given(st.integers(min_value=-10**15, max_value=10**15), st.sampled_from(["zh", "en"]))
def test_grouped_integers_read_back_exactly(value, lang):
    assert int(fmt.number(value, lang).replace(",", "")) == value


@given(st.floats(min_value=0, max_value=1), st.sampled_from(["zh", "en"]))
def test_percent_stays_within_0_and_100(share, lang):
    text = fmt.percent(share, lang)
    assert text.endswith("%") and 0 <= float(text[:-1]) <= 100
