"""Numbers, shares and dates written the way a reader of each language expects.

Chinese groups large counts in 万 (10⁴) and 亿 (10⁸) and writes dates as 2024年3月5日;
English uses K/M/B and 5 Mar 2024. Both group digits with commas in full numbers.

>>> number(1234567, "zh"), number(1234567, "en"), number(0.5, "en", 2)
('1,234,567', '1,234,567', '0.50')
>>> compact(123456, "zh"), compact(123456, "en"), compact(987, "zh")
('12.3万', '123.5K', '987')
>>> percent(0.1234, "zh"), money(1234.6, "en")
('12.3%', '¥1,235')
>>> from datetime import date
>>> day(date(2024, 3, 5), "zh"), day(date(2024, 3, 5), "en")
('2024年3月5日', '5 Mar 2024')
"""

from __future__ import annotations

import math
from datetime import date, datetime

MISSING = "–"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNITS = {"zh": ((1e8, "亿"), (1e4, "万")), "en": ((1e9, "B"), (1e6, "M"), (1e3, "K"))}


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value, lang: str = "zh", digits: int | None = None) -> str:
    """A number with thousands separators; integers keep no decimals unless ``digits``."""
    if _missing(value):
        return MISSING
    if digits is None:
        digits = 0 if isinstance(value, int) or float(value).is_integer() else 1
    return f"{value:,.{digits}f}"


def compact(value, lang: str = "zh", digits: int = 1) -> str:
    """A short number for cards and labels: 12.3万 / 123.5K."""
    if _missing(value):
        return MISSING
    for size, unit in _UNITS.get(lang, _UNITS["en"]):
        if abs(value) >= size:
            return f"{value / size:,.{digits}f}{unit}"
    return number(value, lang, None if float(value).is_integer() else digits)


def percent(share, lang: str = "zh", digits: int = 1) -> str:
    """A share in [0, 1] as a percentage."""
    return MISSING if _missing(share) else f"{100 * share:.{digits}f}%"


def money(value, lang: str = "zh", currency: str = "¥", digits: int = 0) -> str:
    """An amount with its currency sign."""
    if _missing(value):
        return MISSING
    sign = "-" if value < 0 else ""
    return f"{sign}{currency}{abs(value):,.{digits}f}"


def day(value, lang: str = "zh") -> str:
    """A date (or an ISO date string) as 2024年3月5日 or 5 Mar 2024."""
    if _missing(value) or value == "":
        return MISSING
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def timestamp(value: datetime, lang: str = "zh") -> str:
    """A date and time to the minute."""
    return f"{day(value, lang)} {value:%H:%M}"


def cell(value, lang: str = "zh") -> str:
    """Any table value as text: numbers grouped, floats to two decimals, dates per language."""
    if _missing(value):
        return MISSING
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, int):
        return number(value, lang)
    if isinstance(value, float):
        return number(value, lang, 0 if abs(value) >= 1000 else 2)
    if isinstance(value, datetime):
        return timestamp(value, lang)
    if isinstance(value, date):
        return day(value, lang)
    if isinstance(value, list | tuple):
        return ", ".join(cell(v, lang) for v in value)
    return str(value)
