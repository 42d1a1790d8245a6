"""Personal data on its way out of the web app: masked for roles that may not see it,
audited when shown in clear (SPEC §10).

>>> from custseg.io.accounts import User
>>> shown({"customer_id": "C1", "phone": "13812341234"}, User("v", "viewer"))
{'customer_id': 'C1', 'phone': '138****1234'}
>>> scrub_text("call 13812341234 or id 110101199003074514")
'call 138****1234 or id 110101********4514'
"""

from __future__ import annotations

import re

from custseg.io import audit
from custseg.io.accounts import User
from custseg.privacy.masking import MASKERS, mask_email, mask_id_number, mask_phone
from custseg.web.security import sees_personal


class CursorBackend:
    """Just enough of an Ibis backend (``.con``, ``raw_sql``) for the modules that take one
    (`custseg.snapshots` listings) on a request's cursor."""

    def __init__(self, db):
        self.con = db

    def raw_sql(self, sql: str):
        return self.con.execute(sql)


_LONG_NUMBER = re.compile(r"\d{17}[\dXx]|\d{7,16}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def scrub_text(text: str | None) -> str | None:
    """Mask phone-like and ID-like digit runs and e-mail addresses inside free text
    (complaints and notes sometimes carry them)."""
    if not text:
        return text
    text = _LONG_NUMBER.sub(lambda m: mask_id_number(m.group()) if len(m.group()) == 18
                            else mask_phone(m.group()), str(text))
    return _EMAIL.sub(lambda m: mask_email(m.group()), text)


def shown(record: dict, user: User, *, text_fields: tuple[str, ...] = (),
          privacy=None) -> dict:
    """``record`` as ``user`` may see it: values encrypted at rest decrypted with
    ``privacy`` (`custseg.io.keys.Privacy`; hidden without the key), then personal fields
    masked unless the role sees personal data; ``text_fields`` are free text scrubbed the
    same way."""
    if privacy is not None:
        record = privacy.reveal_record(record)
    if sees_personal(user.role):
        return record
    out = dict(record)
    for column, masker in MASKERS.items():
        if out.get(column) is not None:
            out[column] = masker(str(out[column]))
    for column in text_fields:
        if out.get(column) is not None:
            out[column] = scrub_text(out[column])
    return out


def audit_view(store, user: User, target: str, detail: str = "") -> None:
    """Log that ``user`` saw personal data of ``target`` in clear; masked views are not
    logged, since nothing personal left the database."""
    if sees_personal(user.role):
        audit.record(store, user=user.username, action="view_personal", target=target,
                     detail=detail)


def audit_event(store, user: User, action: str, target: str, detail: str = "") -> None:
    """Log an export or another event worth keeping."""
    audit.record(store, user=user.username, action=action, target=target, detail=detail)


def audit_entries(store, **filters) -> list[dict]:
    return audit.entries(store, **filters)
