"""Parsers from source text to typed values, as Ibis expressions that run in the engine.

Each parser returns NULL for text it cannot read; the caller compares with the input to find
values that were present but unreadable, and records them instead of dropping them silently.
The parsers call engine functions by name (``cs_parse_number`` …); `custseg.io.functions`
defines them for DuckDB, once, instead of inlining the same sub-expressions many times.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
from ibis.expr.types import StringValue, Value

DATE_FORMATS = [
    "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m", "%Y年%m月",
]
TIME_SUFFIXES = ["", " %H:%M:%S", " %H:%M", "T%H:%M:%S", " %H:%M:%S.%f", "T%H:%M:%S.%f",
                 "%H:%M:%S", "%H时%M分%S秒", " %H时%M分%S秒"]
_DMY = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
_MDY = ["%m/%d/%Y", "%m-%d-%Y"]


def day_month_formats(day_first: bool) -> list[str]:
    """Formats with day and month before the year, in the configured order."""
    return _DMY + _MDY if day_first else _MDY + _DMY


_S, _F, _I, _B, _TS = dt.String(), dt.Float64(), dt.Int64(), dt.Boolean(), dt.Timestamp()


@ibis.udf.scalar.builtin
def cs_halfwidth(s: _S) -> _S:
    """Full-width digits and punctuation as ASCII."""


@ibis.udf.scalar.builtin
def cs_parse_number(s: _S) -> _F:
    """Money and counts from text."""


@ibis.udf.scalar.builtin
def cs_parse_int(s: _S) -> _I:
    """Whole numbers from text."""


@ibis.udf.scalar.builtin
def cs_parse_ts(s: _S) -> _TS:
    """Timestamps from text, month before day when ambiguous."""


@ibis.udf.scalar.builtin
def cs_parse_ts_dayfirst(s: _S) -> _TS:
    """Timestamps from text, day before month when ambiguous."""


@ibis.udf.scalar.builtin
def cs_parse_phone(s: _S) -> _S:
    """Phone digits without country code."""


@ibis.udf.scalar.builtin
def cs_parse_id_number(s: _S) -> _S:
    """18-character resident ID numbers."""


@ibis.udf.scalar.builtin
def cs_id_number_valid(s: _S) -> _B:
    """GB 11643 shape and check digit."""


def clean_text(value: StringValue, null_tokens: list[str]) -> StringValue:
    """Trim blanks (full-width too) and turn null tokens such as ``N/A`` or ``无`` into NULL."""
    text = value.replace("\u3000", " ").strip()
    return ibis.ifelse(text.isin(null_tokens), ibis.null(dt.string), text)


def halfwidth(value: StringValue) -> StringValue:
    """Full-width digits and punctuation as ASCII (``１２３`` → ``123``)."""
    return cs_halfwidth(value)


def parse_id(value: StringValue) -> StringValue:
    """Identifiers stay text: trimmed, full-width digits folded, leading zeros kept."""
    return halfwidth(value).strip()


def parse_number(value: StringValue) -> Value:
    """Read money and counts: ``¥1,234.00``, ``RMB 88``, ``1.234,56``, ``1 234,50``, ``(50.00)``.

    Parentheses mean a negative amount, as accountants write them; a value with ``%`` or
    anything but one number is not read.
    """
    return cs_parse_number(value)


def parse_timestamp(value: StringValue, *, day_first: bool = False) -> Value:
    """Read dates with or without time from every common form, and Excel serial day numbers.

    Formats: 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305, 05/03/2024 (month first
    unless ``day_first``), each with an optional time. Excel counts days from 1899-12-30 for
    serials after 60 (its 1900 leap-year bug makes 1900-02-29 exist); five-digit serials are
    read that way.
    """
    return cs_parse_ts_dayfirst(value) if day_first else cs_parse_ts(value)


def parse_date(value: StringValue, *, day_first: bool = False) -> Value:
    """Calendar date of `parse_timestamp` (time of day dropped)."""
    return parse_timestamp(value, day_first=day_first).date()


def parse_int(value: StringValue) -> Value:
    """Whole numbers; fractional values stay unread rather than being rounded silently."""
    return cs_parse_int(value)


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
    if type_ == "bool":
        return parse_bool(value)
    raise ValueError(f"unknown type {type_!r}")


def parse_phone(value: StringValue) -> StringValue:
    """Phones as digits only, without the +86 / 0086 country code.

    ``138 1234 5678``, ``+86-139…``, ``0086…`` and full-width digits all become 11 digits;
    landlines keep their area code (``0755-1234567`` → ``07551234567``).
    """
    return cs_parse_phone(value)


def is_mobile(phone: StringValue) -> Value:
    """A normalised Chinese mobile number (11 digits starting 13–19)."""
    return phone.re_search(r"^1[3-9]\d{9}$")


def parse_email(value: StringValue) -> StringValue:
    """Trimmed, lower-case e-mail; text without ``@`` and a dotted domain is not an e-mail."""
    text = halfwidth(value).strip().lower()
    return ibis.ifelse(text.re_search(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), text, ibis.null(dt.string))


def parse_id_number(value: StringValue) -> StringValue:
    """Resident ID numbers in their 18-character form, upper-case ``X``.

    A 15-digit legacy number gets ``19`` inserted before the birth year and its check digit
    computed; anything else is kept as written (upper-cased) so the validity check flags it.
    """
    return cs_parse_id_number(value)


def id_number_valid(id_number: StringValue) -> Value:
    """Shape (17 digits and a check character) and check digit of GB 11643 both hold."""
    return cs_id_number_valid(id_number)


_GENDER = {"男": "M", "男性": "M", "m": "M", "male": "M", "先生": "M", "1": "M",
           "女": "F", "女性": "F", "f": "F", "female": "F", "女士": "F", "2": "F"}
_STATUS = {
    "completed": "completed", "complete": "completed", "paid": "completed", "done": "completed",
    "success": "completed", "已完成": "completed", "完成": "completed", "交易成功": "completed",
    "已支付": "completed", "已付款": "completed", "已签收": "completed",
    "cancelled": "cancelled", "canceled": "cancelled", "已取消": "cancelled", "取消": "cancelled",
    "交易关闭": "cancelled", "已关闭": "cancelled",
    "refunded": "refunded", "refund": "refunded", "returned": "refunded", "已退款": "refunded",
    "退款": "refunded", "退货": "refunded", "已退货": "refunded",
}


def _lookup(value: StringValue, table: dict[str, str]) -> StringValue:
    key = value.strip().lower()
    return key.cases(*table.items(), else_=ibis.null(dt.string))


_BOOL = {**dict.fromkeys(("是", "是的", "对", "有", "yes", "y", "true", "t", "1", "√", "✓"),
                         True),
         **dict.fromkeys(("否", "不", "不是", "无", "没有", "no", "n", "false", "f", "0", "×"),
                         False)}


def parse_bool(value: StringValue) -> Value:
    """Yes/no flags from 是/否, yes/no, y/n, true/false, 1/0, √/×; anything else is NULL."""
    key = halfwidth(value).strip().lower()
    return key.cases(*_BOOL.items(), else_=ibis.null(dt.boolean))


def parse_gender(value: StringValue) -> StringValue:
    """``M`` or ``F`` from 男/女, male/female, M/F, 先生/女士, 1/2; anything else is NULL."""
    return _lookup(value, _GENDER)


def parse_status(value: StringValue) -> StringValue:
    """Order status as completed / cancelled / refunded (Chinese and English spellings).

    Unknown statuses keep their text in lower case, so no order is lost to a new label.
    """
    return ibis.coalesce(_lookup(value, _STATUS), value.strip().lower())
