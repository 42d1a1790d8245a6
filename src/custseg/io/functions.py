"""Engine functions behind the parsers of `custseg.cleaning.standardize`, for DuckDB.

The parsers reuse intermediate values (the cleaned text of an amount is tested, rewritten
and cast); written as nested Ibis expressions each reuse is inlined again and the SQL grows
exponentially (an ID-number check compiled to 86 MB). As SQL macros each function is defined
once and called by name, so queries stay small and the engine evaluates them natively.
Another engine registers functions of the same names and meaning.
"""

from __future__ import annotations

from custseg.cleaning.standardize import DATE_FORMATS, TIME_SUFFIXES, day_month_formats

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_FULL = "０１２３４５６７８９．，－＋（）／：　％＠＿" + "".join(
    chr(ord(c) + 0xFEE0) for c in _LETTERS)
_HALF = "0123456789.,-+()/: %@_" + _LETTERS
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643


def _formats(day_first: bool) -> str:
    bases = DATE_FORMATS + day_month_formats(day_first)
    items = [b + t for t in TIME_SUFFIXES for b in bases]
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in items) + "]"


MACROS = [
    # translate walks every character; ASCII text (bytes = characters) has nothing to fold
    f"cs_halfwidth(s) AS CASE WHEN strlen(s) = length(s) THEN s "
    f"ELSE translate(s, '{_FULL}', '{_HALF}') END",
    "cs_money_text(s) AS regexp_replace(cs_halfwidth(s), "
    r"'(?i)(rmb|cny|usd|元|¥|￥|\$|\s|'''')', '', 'g')",
    r"cs_unparen(t) AS CASE WHEN regexp_matches(t, '^\(.*\)$') "
    r"THEN regexp_replace(t, '^\((.*)\)$', '\1') ELSE t END",
    r"cs_decimal_text(u) AS CASE WHEN regexp_matches(u, "
    r"'^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$|^[-+]?\d+,\d{1,2}$') "
    r"THEN replace(replace(u, '.', ''), ',', '.') ELSE replace(u, ',', '') END",
    r"cs_plain_number(v) AS CASE WHEN regexp_matches(v, "
    r"'^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?$') THEN TRY_CAST(v AS DOUBLE) END",
    r"cs_parse_number(s) AS (CASE WHEN regexp_matches(cs_money_text(s), '^\(.*\)$') "
    "THEN -1 ELSE 1 END) * cs_plain_number(cs_decimal_text(cs_unparen(cs_money_text(s))))",
    "cs_whole(x) AS CASE WHEN x = round(x) AND abs(x) < 1e18 THEN CAST(round(x) AS BIGINT) END",
    "cs_parse_int(s) AS cs_whole(cs_parse_number(s))",
    r"cs_serial(t) AS CASE WHEN regexp_matches(t, '^\d{5}(\.\d+)?$') THEN "
    "TIMESTAMP '1899-12-30' + to_microseconds(CAST(floor(CAST(t AS DOUBLE) * 86400000000) "
    "AS BIGINT)) END",
    "cs_finite_ts(x) AS CASE WHEN isfinite(x) THEN x END",
    r"cs_parse_ts_text(t, formats) AS coalesce(cs_finite_ts(TRY_CAST(t AS TIMESTAMP)), "
    "cs_serial(t), "
    r"try_strptime(regexp_replace(t, '(\.\d{6})\d+', '\1'), formats))",
    f"cs_parse_ts(s) AS cs_parse_ts_text(trim(cs_halfwidth(s)), {_formats(False)})",
    f"cs_parse_ts_dayfirst(s) AS cs_parse_ts_text(trim(cs_halfwidth(s)), {_formats(True)})",
    r"cs_digits(s) AS regexp_replace(cs_halfwidth(s), '\D', '', 'g')",
    r"cs_phone_digits(d) AS CASE WHEN regexp_matches(d, '^(0086|86)1\d{10}$') "
    r"THEN regexp_replace(d, '^(0086|86)', '') ELSE d END",
    "cs_parse_phone(s) AS CASE WHEN length(cs_phone_digits(cs_digits(s))) >= 5 "
    "THEN cs_phone_digits(cs_digits(s)) END",
    # the 17 weighted digits written out: a lambda over range(17) costs ~100x more per row
    r"cs_id_check(f) AS CASE WHEN regexp_matches(f, '^\d{17}$') THEN substr('10X98765432', "
    "CAST((" + " + ".join(f"CAST(substr(f, {i + 1}, 1) AS INTEGER) * {w}" for i, w in
                          enumerate(_ID_WEIGHTS)) + ") % 11 AS INTEGER) + 1, 1) END",
    r"cs_id_text(s) AS regexp_replace(upper(trim(cs_halfwidth(s))), '\s', '', 'g')",
    r"cs_id_legacy(t) AS CASE WHEN regexp_matches(t, '^\d{15}$') THEN "
    "substr(t, 1, 6) || '19' || substr(t, 7, 9) || "
    "cs_id_check(substr(t, 1, 6) || '19' || substr(t, 7, 9)) ELSE t END",
    "cs_parse_id_number(s) AS cs_id_legacy(cs_id_text(s))",
    r"cs_id_number_valid(n) AS coalesce(regexp_matches(n, '^\d{17}[\dX]$') "
    "AND cs_id_check(substr(n, 1, 17)) = substr(n, 18, 1), false)",
]


def register(db) -> None:
    """Create the macros on a DuckDB connection (idempotent)."""
    for macro in MACROS:
        db.execute(f"CREATE OR REPLACE TEMP MACRO {macro}")
