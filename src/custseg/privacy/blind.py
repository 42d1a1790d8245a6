"""Blind indexes: the cleaning of personal fields done once, before encryption.

When personal data is encrypted, cleaning cannot read phones, e-mails or ID numbers. So each
customer row is prepared while it is still plain text, in the load that brings it
(`protected_rows`): the values the cleaning stage would compute (phone digits, lower-case
e-mail, 18-character ID number, names and addresses trimmed, null tokens removed) are what
gets encrypted, and beside them go the facts cleaning needs, none of them personal:

=================  ===========================================================
``_name_hash``     keyed hash of the trimmed, lower-case name
``_phone_hash``    keyed hash of the normalised phone (NULL when unreadable)
``_phone_mobile``  the phone is a Chinese mobile number (only those merge identities)
``_email_hash``    keyed hash of the normalised e-mail (NULL when unreadable)
``_id_number_hash`` keyed hash of the normalised ID number
``_id_number_ok``  the ID number passes the GB 11643 check
``_test_hit``      name or e-mail matches a test pattern, or the phone is internal
=================  ===========================================================

An unreadable phone or e-mail is encrypted as written, for the quarantine log. The cleaning
stage then builds customer rows from these columns (`customer_rows`) and merges identities on
the hashes, without the key. Test patterns, internal phones and null tokens apply to personal
fields as they were configured when the row was loaded.

The name and phone indexes also serve searches: `search_values` normalises what an analyst
types exactly as the stored values were (`index_value`), so a search of encrypted customers
matches a whole name or phone by its keyed hash.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from custseg.cleaning import rules
from custseg.cleaning.standardize import (
    clean_text,
    id_number_valid,
    is_mobile,
    parse_email,
    parse_id_number,
    parse_phone,
)
from custseg.schema import PERSONAL_FIELDS

INDEX_COLUMNS = {"_name_hash": "VARCHAR", "_phone_hash": "VARCHAR",
                 "_phone_mobile": "BOOLEAN", "_email_hash": "VARCHAR",
                 "_id_number_hash": "VARCHAR", "_id_number_ok": "BOOLEAN",
                 "_test_hit": "BOOLEAN"}
HASHED = ("name", "phone", "email", "id_number")
SEARCHABLE = ("name", "phone")
_INDEXED = {"name": lambda v: v.lower(), "phone": parse_phone, "email": parse_email,
            "id_number": parse_id_number}


@ibis.udf.scalar.builtin
def cs_hmac(s: dt.String()) -> dt.String():
    """Keyed hash (HMAC-SHA256, hex) under the project's index key."""


def keyed(field: str, value: ibis.StringValue) -> ibis.StringValue:
    """The engine-side twin of `custseg.privacy.encryption.blind`."""
    return ibis.ifelse(value.isnull(), ibis.null(dt.string),
                       cs_hmac(ibis.literal(f"{field}|") + value))


def index_value(field: str, cleaned: ibis.StringValue) -> ibis.StringValue:
    """What the keyed hash of ``field`` is taken of, from its cleaned text: the name
    lower-cased, phone, e-mail and ID number normalised as cleaning does."""
    return _INDEXED[field](cleaned)


def search_values(text: ibis.StringValue) -> dict[str, ibis.StringValue]:
    """A search text normalised as each searchable field's index is (`SEARCHABLE`); NULL
    where it cannot be such a value (text with fewer than five digits is no phone)."""
    cleaned = clean_text(text, [])
    return {field: index_value(field, cleaned) for field in SEARCHABLE}


def cleaned_rows(rows: ibis.Table, *, null_tokens: list[str]) -> ibis.Table:
    """Raw customer rows (text) plus each personal field trimmed, null tokens removed
    (``_c_<field>``)."""
    return rows.mutate(**{f"_c_{c}": clean_text(rows[c], null_tokens) for c in PERSONAL_FIELDS})


def normalized_rows(rows: ibis.Table) -> ibis.Table:
    """`cleaned_rows` plus phone, e-mail and ID number normalised (``_n_<field>``).

    Materialise each step: the parsers are engine macros, and nested inside one another
    their expansion makes a query that takes seconds to plan.
    """
    return rows.mutate(**{f"_n_{f}": index_value(f, rows[f"_c_{f}"])
                          for f in ("phone", "email", "id_number")})


def protected_rows(rows: ibis.Table, *, test_patterns: list[str],
                   internal_phones: list[str]) -> ibis.Table:
    """`normalized_rows` (materialised) with personal fields as they will be encrypted, the
    index columns,
    and ``_hash`` keyed (an unkeyed hash of a row would let anyone test guesses)."""
    phone, email, id_number = rows._n_phone, rows._n_email, rows._n_id_number
    hit = ibis.literal(False)
    for pattern in test_patterns:
        p = pattern.lower()
        hit = hit | rows._c_name.lower().contains(p).fill_null(False) | email.contains(
            p).fill_null(False)
    if internal_phones:
        hit = hit | phone.isin(internal_phones).fill_null(False)
    return rows.mutate(
        _hash=keyed("row", rows._hash),
        name=rows._c_name, address=rows._c_address,
        phone=ibis.coalesce(phone, rows._c_phone), email=ibis.coalesce(email, rows._c_email),
        id_number=id_number, _name_hash=keyed("name", index_value("name", rows._c_name)),
        _phone_hash=keyed("phone", phone), _phone_mobile=is_mobile(phone).fill_null(False),
        _email_hash=keyed("email", email), _id_number_hash=keyed("id_number", id_number),
        _id_number_ok=id_number_valid(id_number).fill_null(False), _test_hit=hit,
    ).drop(*[f"_c_{c}" for c in PERSONAL_FIELDS], "_n_phone", "_n_email", "_n_id_number")


def customer_rows(canonical: ibis.Table, raw: ibis.Table, regions: ibis.Table) -> ibis.Table:
    """`custseg.cleaning.rules.customer_rows` for encrypted rows: the same columns, with
    phones, e-mails and ID numbers (tokens) judged by the index columns of ``raw``, plus
    ``name_hash``, ``phone_hash``, ``email_hash``, ``id_number_hash``, ``phone_mobile`` and
    ``_test_hit`` (``name_hash`` NULL for rows stored before names were indexed)."""
    if "_name_hash" not in raw.columns:
        raw = raw.mutate(_name_hash=ibis.null(dt.string))
    index = raw.select(*INDEX_COLUMNS, _ix_load=raw._load_id, _ix_row=raw._row)
    joined = canonical.left_join(index, [canonical._load_id == index._ix_load,
                                         canonical._row == index._ix_row]
                                 ).drop("_ix_load", "_ix_row")
    joined = joined.mutate(_token_id=joined.id_number)
    rows = rules.customer_rows(joined, regions)
    return rows.mutate(
        phone=ibis.ifelse(rows._phone_hash.notnull(), rows._raw_phone, ibis.null(dt.string)),
        email=ibis.ifelse(rows._email_hash.notnull(), rows._raw_email, ibis.null(dt.string)),
        id_number=rows._token_id, id_number_ok=rows._id_number_ok.fill_null(False),
        name_hash=rows._name_hash, phone_hash=rows._phone_hash, email_hash=rows._email_hash,
        id_number_hash=rows._id_number_hash, phone_mobile=rows._phone_mobile.fill_null(False),
        _test_hit=rows._test_hit.fill_null(False),
    ).drop("_token_id", "_name_hash", "_phone_hash", "_email_hash", "_id_number_hash",
           "_phone_mobile", "_id_number_ok")
