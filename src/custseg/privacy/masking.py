"""Masking of personal fields for every use that may not see them in clear (SPEC §10).

One function per field, total over any input (None and empty stay as they are), plus
`mask_frame` for tables leaving the database. The defaults are the spec's: name 张*,
phone 138****1234, id number first 6 and last 4, email j***@example.com.

>>> mask_name("张三"), mask_phone("13812341234"), mask_email("jane@example.com")
('张*', '138****1234', 'j***@example.com')
>>> mask_id_number("110101199003074514")
'110101********4514'
"""

from __future__ import annotations

import functools
import re

import pandas as pd

_CJK = re.compile(r"[\u3400-\u9fff]")


def mask_name(value: str | None) -> str | None:
    """Keep the first character (the surname in Chinese); 张三 → 张*, John Smith → J*** S***."""
    if not value:
        return value
    text = str(value).strip()
    if _CJK.match(text):
        return text[0] + "*" * max(len(text) - 1, 1)
    return " ".join(w[0] + "***" for w in text.split())


def mask_phone(value: str | None) -> str | None:
    """First 3 and last 4 digits of a phone number kept: 13812341234 → 138****1234.

    The country code of China (+86, 0086, 86) is dropped first, so that +86 13812341234
    masks to 138****1234 as well rather than keeping the code and hiding the number.
    """
    if not value:
        return value
    digits = re.sub(r"\D", "", str(value))
    if len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) >= 8:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def mask_id_number(value: str | None) -> str | None:
    """First 6 and last 4 characters of an ID number kept; shorter values keep the last 2."""
    if not value:
        return value
    text = str(value).strip()
    if len(text) > 10:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    return "*" * max(len(text) - 2, 1) + text[-2:]


def mask_email(value: str | None) -> str | None:
    """Local part cut to its first character: jane@example.com → j***@example.com."""
    if not value:
        return value
    local, at, domain = str(value).strip().partition("@")
    if not at:
        return (local[:1] + "***") if local else local
    return f"{local[:1]}***@{domain}"


def mask_address(value: str | None) -> str | None:
    """The first 6 characters (province and city in a Chinese address) and then ****."""
    if not value:
        return value
    text = str(value).strip()
    return text[:6] + "****" if len(text) > 6 else text[:1] + "****"


def _clear_only(masker):
    """An encrypted value (``enc1:…``) masks to None: masking needs the clear value, and a
    caller without the key must not show ciphertext as if it were data."""

    @functools.wraps(masker)
    def guarded(value):
        if isinstance(value, str) and value.startswith("enc1:"):
            return None
        return masker(value)

    return guarded


MASKERS = {
    "name": _clear_only(mask_name),
    "phone": _clear_only(mask_phone),
    "email": _clear_only(mask_email),
    "id_number": _clear_only(mask_id_number),
    "address": _clear_only(mask_address),
}


def mask_value(field: str, value: str | None) -> str | None:
    """Mask ``value`` as the personal field ``field``; other fields pass through."""
    masker = MASKERS.get(field)
    return masker(value) if masker else value


def mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every personal column (by canonical name) masked."""
    out = frame.copy()
    for column, masker in MASKERS.items():
        if column in out.columns:
            out[column] = out[column].map(lambda v, m=masker: v if pd.isna(v) else m(v))
    return out
