"""Encryption at rest of personal fields and keyed hashes (blind indexes) of their values.

The operator's secret is 32 random bytes written as URL-safe base64 (`new_secret`); it lives
in the environment (``CUSTSEG_KEY``) or in a key file, never in the database. From it
`Keyring` derives, with HKDF-SHA256, an AES-256-GCM key that encrypts each value and a key
id that tells which secret a database was encrypted with.

A value is stored as the token ``enc1:`` + base64url(nonce ‖ ciphertext ‖ tag), with a fresh
96-bit nonce per value, so equal values give different tokens and reveal nothing. Tokens can
sit inside longer text (a quarantined row ``name=enc1:…; email=enc1:…``): `decrypt_text` and
`reencrypt_text` replace every token they find.

Equality without decryption comes from keyed hashes: HMAC-SHA256 under an *index key* of
``field|normalised value`` (`blind`). The engine computes the same HMAC in SQL
(`hmac_macro`), so identity merge and look-ups run as joins on hash columns. The index key is
derived from the secret when encryption is first switched on and stored wrapped (encrypted)
by the current secret; rotating the secret re-wraps it, so hashes, re-load deduplication and
erasure tombstones stay valid.

>>> ring = Keyring(new_secret())
>>> token = ring.encrypt("13812341234")
>>> token.startswith("enc1:") and ring.decrypt(token)
'13812341234'
>>> ring.encrypt("13812341234") != token
True
>>> key = bytes(32)
>>> blind(key, "phone", "13812341234") == blind(key, "phone", "13812341234")
True
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from custseg.errors import CustsegError

PREFIX = "enc1:"
TOKEN = re.compile(r"enc1:[A-Za-z0-9_-]{22,}")
NONCE_BYTES = 12
SECRET_BYTES = 32
HASH_HEX = 32  # 128 bits of each keyed hash are kept: no collisions, half the space
_AAD = b"custseg personal v1"


class KeyProblem(CustsegError):
    """A key is malformed, missing or not the one the database was encrypted with."""


def new_secret() -> str:
    """A fresh secret: 32 random bytes as URL-safe base64 (44 characters)."""
    return base64.urlsafe_b64encode(os.urandom(SECRET_BYTES)).decode()


def parse_secret(text: str, *, source: str = "key") -> bytes:
    """The 32 secret bytes of ``text``; raises a `CustsegError` naming ``source`` otherwise."""
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode() + b"==")
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != SECRET_BYTES:
        raise KeyProblem(f"{source}: not a custseg key (expected 32 bytes in URL-safe base64, "
                        "as written by `custseg keys init`)")
    return raw


def _derive(secret: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> str:
    """URL-safe base64 without padding (binascii directly: this runs once per value)."""
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").translate(_URLSAFE).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Keyring:
    """The keys derived from one secret: AES-GCM for values, the key id, the index key seed.

    Parameters
    ----------
    secret : str
        The URL-safe base64 secret (`new_secret`).
    source : str
        Where it came from, for error messages (``CUSTSEG_KEY``, a file name).
    """

    def __init__(self, secret: str, *, source: str = "key"):
        raw = parse_secret(secret, source=source)
        self.source = source
        self._aead = AESGCM(_derive(raw, b"custseg data encryption v1"))
        self.key_id = _derive(raw, b"custseg key id v1", 8).hex()
        self.derived_index_key = _derive(raw, b"custseg blind index v1")
        self.index_key: bytes | None = None

    def __repr__(self) -> str:
        return f"Keyring(key_id={self.key_id!r}, source={self.source!r})"

    def encrypt(self, value: str | None) -> str | None:
        """The token of ``value`` (None stays None)."""
        if value is None:
            return None
        nonce = os.urandom(NONCE_BYTES)
        return PREFIX + _b64(nonce + self._aead.encrypt(nonce, str(value).encode(), _AAD))

    def encrypt_many(self, values: Iterable[str | None]) -> list[str | None]:
        """Tokens of many values; one random draw supplies every nonce."""
        values = list(values)
        nonces = os.urandom(NONCE_BYTES * len(values))
        seal, out = self._aead.encrypt, []
        for i, v in enumerate(values):
            if v is None:
                out.append(None)
                continue
            n = nonces[i * NONCE_BYTES:(i + 1) * NONCE_BYTES]
            out.append(PREFIX + _b64(n + seal(n, v.encode(), _AAD)))
        return out

    def decrypt(self, token: str | None) -> str | None:
        """The value of a token; text that is not a token is returned as it is."""
        if token is None or not str(token).startswith(PREFIX):
            return token
        data = _unb64(str(token)[len(PREFIX):])
        try:
            plain = self._aead.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], _AAD)
        except (InvalidTag, ValueError):
            raise KeyProblem(f"{self.source}: cannot decrypt a stored value with this key "
                            "(wrong key, or the value was altered)") from None
        return plain.decode()

    def decrypt_text(self, text: str | None) -> str | None:
        """``text`` with every token inside it decrypted."""
        if text is None or PREFIX not in text:
            return text
        return TOKEN.sub(lambda m: self.decrypt(m.group()), text)

    def wrap(self, key: bytes) -> str:
        """A token of a binary key (the index key kept in the database)."""
        return self.encrypt(key.hex())

    def unwrap(self, token: str) -> bytes:
        return bytes.fromhex(self.decrypt(token))


def reencrypt_text(text: str | None, old: Keyring, new: Keyring) -> str | None:
    """``text`` with every token decrypted by ``old`` and encrypted again by ``new``."""
    if text is None or PREFIX not in text:
        return text
    return TOKEN.sub(lambda m: new.encrypt(old.decrypt(m.group())), text)


def hide_text(text: str | None, note: str = "***") -> str | None:
    """``text`` with every token replaced by ``note`` (for readers without the key); a value
    that was one token becomes None."""
    if text is None or PREFIX not in text:
        return text
    if TOKEN.fullmatch(text):
        return None
    return TOKEN.sub(note, text)


def is_token(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def blind(index_key: bytes, field: str, value: str | None) -> str | None:
    """HMAC-SHA256 of ``field|value``, its first 128 bits in hex: equal values, equal hashes;
    no key, no guess."""
    if value is None:
        return None
    digest = hmac.new(index_key, f"{field}|{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:HASH_HEX]


def hmac_macro(index_key: bytes) -> str:
    """A DuckDB macro ``cs_hmac(text)``: `blind`'s hash of ``text`` under ``index_key``.

    HMAC(K, m) = SHA256((K ⊕ opad) ‖ SHA256((K ⊕ ipad) ‖ m)); the padded keys are literals
    of a temporary macro, so the key lives in the connection's memory only.
    """
    padded = index_key.ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in padded).hex()
    opad = bytes(b ^ 0x5C for b in padded).hex()
    return (f"cs_hmac(s) AS left(sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || "
            f"encode(s)))), {HASH_HEX})")
