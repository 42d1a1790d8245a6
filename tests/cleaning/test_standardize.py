import datetime as dtm

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custseg.cleaning import standardize as s


def _run(con, values, fn):
    t = ibis.memtable({"v": values}, schema={"v": "string"})
    return con.to_pyarrow(t.select(out=fn(t.v)))["out"].to_pylist()


@pytest.mark.parametrize("text", [
    "2024-03-05", "2024/3/5", "2024.3.5", "2024年3月5日", "20240305", "2024-03-05 14:22:10",
    "2024/03/05 14:22", "２０２４－０３－０５", "45356", "03/05/2024",
])
def test_dates_in_every_common_form(con, text):
    assert _run(con, [text], s.parse_date) == [dtm.date(2024, 3, 5)]


def test_day_first_setting(con):
    t = ibis.memtable({"v": ["05/03/2024"]})
    out = con.to_pyarrow(t.select(a=s.parse_date(t.v), b=s.parse_date(t.v, day_first=True)))
    assert out.to_pylist() == [{"a": dtm.date(2024, 5, 3), "b": dtm.date(2024, 3, 5)}]


def test_excel_serial_respects_the_1900_leap_year_quirk(con):
    # Excel shows serial 61 as 1900-03-01 and 1 as 1900-01-01 would be 1899-12-31 here;
    # real exports only carry serials after 60, which this rule maps exactly.
    assert _run(con, ["36526", "44927"], s.parse_date) == [dtm.date(2000, 1, 1),
                                                           dtm.date(2023, 1, 1)]


@pytest.mark.parametrize("text", ["2024-13-01", "2024-02-30", "yesterday", ""])
def test_unreadable_dates_are_null(con, text):
    assert _run(con, [text], s.parse_date) == [None]


@pytest.mark.parametrize("text,value", [
    ("¥1,234.00", 1234.0), ("￥１，２３４．００", 1234.0), ("1.234,56", 1234.56),
    ("1 234,50", 1234.5), ("(50.00)", -50.0), ("-50.00", -50.0), ("0", 0.0),
    ("RMB 88", 88.0), ("1,234", 1234.0), ("12,5", 12.5), ("88元", 88.0),
])
def test_amounts(con, text, value):
    assert _run(con, [text], s.parse_number) == [pytest.approx(value)]


@pytest.mark.parametrize("text", ["12%", "abc", "1.2.3,4,5"])
def test_unreadable_amounts_are_null(con, text):
    assert _run(con, [text], s.parse_number) == [None]


def test_null_tokens_and_full_width_blanks(con):
    out = _run(con, ["N/A", "\u3000无\u3000", " x "],
               lambda v: s.clean_text(v, ["N/A", "无"]))
    assert out == [None, None, "x"]


def test_ids_keep_leading_zeros(con):
    assert _run(con, [" 00001 ", "００２"], s.parse_id) == ["00001", "002"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=25), min_size=1, max_size=20))
def test_parsers_never_fail_and_keep_row_count(con, values):
    t = ibis.memtable({"v": values}, schema={"v": "string"})
    out = con.execute(t.select(d=s.parse_timestamp(t.v), n=s.parse_number(t.v),
                               i=s.parse_int(t.v)))
    assert len(out) == len(values)


@settings(max_examples=40, deadline=None)
@given(st.dates(min_value=dtm.date(1900, 3, 1), max_value=dtm.date(2099, 12, 31)),
       st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d", "%Y.%m.%d"]))
def test_any_date_round_trips_through_its_text(con, day, fmt):
    assert _run(con, [day.strftime(fmt)], s.parse_date) == [day]


@pytest.mark.parametrize("text,digits", [
    ("138 1234 5678", "13812345678"), ("+86-139 1234 5678", "13912345678"),
    ("008613812345678", "13812345678"), ("１３８１２３４５６７８", "13812345678"),
    ("0755-12345678", "075512345678"), ("(010) 8888 1234", "01088881234"), ("n/a", None),
])
def test_phones(con, text, digits):
    assert _run(con, [text], s.parse_phone) == [digits]


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
       st.sampled_from(["{}", "+86 {}", "0086{}", "86-{}", "{} ", "tel:{}"]),
       st.booleans())
def test_any_formatting_of_a_mobile_gives_its_digits(con, mobile, template, spaced):
    shown = " ".join([mobile[:3], mobile[3:7], mobile[7:]]) if spaced else mobile
    assert _run(con, [template.format(shown)], s.parse_phone) == [mobile]


@pytest.mark.parametrize("raw,valid,normal", [
    ("11010519491231002x", True, "11010519491231002X"),
    ("110105491231002", True, "11010519491231002X"),
    ("110105194912310021", False, "110105194912310021"),
    ("4.40301199001011E+17", False, "4.40301199001011E+17"),
])
def test_id_numbers(con, raw, valid, normal):
    t = ibis.memtable({"v": [raw]})
    n = s.parse_id_number(t.v)
    out = con.to_pyarrow(t.select(n=n, ok=s.id_number_valid(n))).to_pylist()
    assert out == [{"n": normal, "ok": valid}]


@pytest.mark.parametrize("pair,region", [
    (("广东", "深圳"), "广东省-深圳市"), ((None, "深圳市"), "广东省-深圳市"),
    (("广东省深圳市南山区", None), "广东省-深圳市"), (("上海", "浦东新区"), "上海市-上海市"),
    (("浙江", "杭州"), "浙江省-杭州市"), (("火星", "奥林匹斯"), None),
])
def test_regions(pair, region):
    from custseg.cleaning.regions import normalize_regions

    [(_, _, _, _, got)] = normalize_regions([pair])
    assert got == region


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.text(max_size=8)),
                          st.one_of(st.none(), st.text(max_size=8))), max_size=6))
def test_region_normalizer_never_fails_and_answers_every_distinct_pair(pairs):
    from custseg.cleaning.regions import normalize_regions

    out = normalize_regions(pairs)
    assert [(r[0], r[1]) for r in out] == list(dict.fromkeys(pairs))
    assert all(r[4] is None or r[4].count("-") >= 1 for r in out)
