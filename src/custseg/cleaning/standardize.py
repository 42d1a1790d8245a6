"""Parsers from source text to typed values, written as Ibis expressions that run in the engine.

Each parser returns NULL for text it cannot read; the caller compares with the input to find
values that were present but unreadable, and records them instead of dropping them silently.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
from ibis.expr.types import StringValue, Value

_FULL = "０１２３４５６７８９．，－＋（）／：　％ｘＸ"
_HALF = "0123456789.,-+()/: %xX"

DATE_FORMATS = [
    "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m", "%Y年%m月",
]
TIME_SUFFIXES = ["", " %H:%M:%S", " %H:%M", "T%H:%M:%S", " %H:%M:%S.%f", "T%H:%M:%S.%f",
                 "%H:%M:%S", "%H时%M分%S秒", " %H时%M分%S秒"]
_DMY = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
_MDY = ["%m/%d/%Y", "%m-%d-%Y"]


_STR, _STRS, _TS = dt.String(), dt.Array(dt.string), dt.Timestamp()


@ibis.udf.scalar.builtin(name="try_strptime")
def _try_strptime(value: _STR, formats: _STRS) -> _TS:
    """DuckDB's strptime that returns NULL instead of failing, with a list of formats."""


def clean_text(value: StringValue, null_tokens: list[str]) -> StringValue:
    """Trim blanks (full-width too) and turn null tokens such as ``N/A`` or ``无`` into NULL."""
    text = value.replace("\u3000", " ").strip()
    return ibis.ifelse(text.isin(null_tokens), ibis.null(dt.string), text)


def halfwidth(value: StringValue) -> StringValue:
    """Full-width digits and punctuation as ASCII (``１２３`` → ``123``)."""
    return value.translate(_FULL, _HALF)


def parse_id(value: StringValue) -> StringValue:
    """Identifiers stay text: trimmed, full-width digits folded, leading zeros kept."""
    return halfwidth(value).strip()


def parse_number(value: StringValue) -> Value:
    """Read money and counts: ``¥1,234.00``, ``RMB 88``, ``1.234,56``, ``1 234,50``, ``(50.00)``.

    Parentheses mean a negative amount, as accountants write them; a value with ``%`` is not a
    number here and stays unread.
    """
    text = halfwidth(value).re_replace(r"(?i)(rmb|cny|usd|元|¥|￥|\$|\s|')", "")
    negative = text.re_search(r"^\(.*\)$")
    text = ibis.ifelse(negative, text.re_replace(r"^\((.*)\)$", r"\1"), text)
    european = text.re_search(r"^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$|^[-+]?\d+,\d{1,2}$")
    text = ibis.ifelse(european, text.replace(".", "").replace(",", "."), text.replace(",", ""))
    numeric = text.re_search(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?$")
    number = ibis.ifelse(numeric, text.try_cast(dt.float64), ibis.null(dt.float64))
    return ibis.ifelse(negative, -number, number)


def _formats(day_first: bool) -> list[str]:
    bases = DATE_FORMATS + (_DMY + _MDY if day_first else _MDY + _DMY)
    return [b + t for t in TIME_SUFFIXES for b in bases]


def parse_timestamp(value: StringValue, *, day_first: bool = False) -> Value:
    """Read dates with or without time from every common form, and Excel serial day numbers.

    Excel counts days from 1899-12-30 for serials after 60 (its 1900 leap-year bug makes
    1900-02-29 exist); five-digit serials are read that way.
    """
    text = halfwidth(value).strip()
    serial = text.re_search(r"^\d{5}(\.\d+)?$")
    days = text.try_cast(dt.float64)
    from_serial = ibis.timestamp("1899-12-30 00:00:00") + (days * 86400).floor().cast(
        dt.int64).as_interval("s")
    parsed = _try_strptime(text.re_replace(r"(\.\d{6})\d+", r"\1"),
                           ibis.literal(_formats(day_first), dt.Array(dt.string)))
    return ibis.ifelse(serial, from_serial, parsed)


def parse_date(value: StringValue, *, day_first: bool = False) -> Value:
    """Calendar date of `parse_timestamp` (time of day dropped)."""
    return parse_timestamp(value, day_first=day_first).date()


def parse_int(value: StringValue) -> Value:
    """Whole numbers; fractional values stay unread rather than being rounded silently."""
    number = parse_number(value)
    whole = (number == number.round(0)) & (number.abs() < 1e18)
    return ibis.ifelse(whole, number.round(0).cast(dt.int64), ibis.null(dt.int64))


def parse(value: StringValue, type_: str, *, day_first: bool = False) -> Value:
    """Parse text into a canonical logical type (see `custseg.schema.TYPES`)."""
    if type_ == "str":
        return value
    if type_ == "float":
        return parse_number(value)
    if type_ == "int":
        return parse_int(value)
    if type_ == "date":
        return parse_date(value, day_first=day_first)
    if type_ == "timestamp":
        return parse_timestamp(value, day_first=day_first)
    raise ValueError(f"unknown type {type_!r}")
