import hashlib
import hmac

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custseg.errors import CustsegError
from custseg.privacy.encryption import (
    PREFIX,
    Keyring,
    blind,
    hide_text,
    hmac_macro,
    new_secret,
    parse_secret,
    reencrypt_text,
)

RING = Keyring(new_secret())


def test_tokens_round_trip_and_never_repeat():
    a, b = RING.encrypt("13812345678"), RING.encrypt("13812345678")
    assert a.startswith(PREFIX) and a != b
    assert RING.decrypt(a) == RING.decrypt(b) == "13812345678"
    assert "13812345678" not in a
    assert RING.encrypt(None) is None and RING.decrypt(None) is None
    assert RING.decrypt("plain text") == "plain text"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=8))
def test_encrypt_many_round_trips_any_text(values):
    tokens = RING.encrypt_many(values)
    assert [RING.decrypt(t) for t in tokens] == values


def test_wrong_key_and_tampering_are_refused():
    token = RING.encrypt("张三")
    with pytest.raises(CustsegError, match="cannot decrypt"):
        Keyring(new_secret(), source="other").decrypt(token)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(CustsegError, match="altered"):
        RING.decrypt(tampered)


def test_tokens_inside_text_are_found():
    text = f"customer_id=C1; name={RING.encrypt('张三')}; email={RING.encrypt('z@x.cn')}"
    assert RING.decrypt_text(text) == "customer_id=C1; name=张三; email=z@x.cn"
    other = Keyring(new_secret())
    moved = reencrypt_text(text, RING, other)
    assert moved != text and other.decrypt_text(moved) == RING.decrypt_text(text)
    assert hide_text(text) == "customer_id=C1; name=***; email=***"
    assert hide_text(RING.encrypt("x")) is None


def test_secrets_are_checked():
    assert len(parse_secret(new_secret())) == 32
    for bad in ("", "short", "x" * 44, new_secret()[:-4]):
        with pytest.raises(CustsegError, match="not a custseg key"):
            parse_secret(bad, source="CUSTSEG_KEY")


def test_key_ids_tell_keys_apart_and_derive_deterministically():
    secret = new_secret()
    assert Keyring(secret).key_id == Keyring(secret).key_id != Keyring(new_secret()).key_id
    assert Keyring(secret).derived_index_key == Keyring(secret).derived_index_key


def test_engine_hmac_equals_python_hmac():
    key = bytes(range(32))
    db = duckdb.connect()
    db.execute(f"CREATE TEMP MACRO {hmac_macro(key)}")
    for value in ("13812345678", "张三", "", "a'b"):
        got = db.execute("SELECT cs_hmac(?)", ["phone|" + value]).fetchone()[0]
        assert got == blind(key, "phone", value)
        full = hmac.new(key, f"phone|{value}".encode(), hashlib.sha256).hexdigest()
        assert got == full[:32]
    assert blind(key, "phone", "1") != blind(key, "email", "1")
    assert blind(bytes(32), "phone", "1") != blind(key, "phone", "1")
