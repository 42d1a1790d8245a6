"""Tokens are HS256 only and checked; the login limiter counts failures per name and address."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custseg.web import security

KEY = "k" * 64


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**extra) -> dict:
    now = datetime.now(UTC)
    return {"sub": "ana", "jti": "j", "iat": now, "exp": now + timedelta(minutes=5), **extra}


def test_round_trip_keeps_claims():
    token = security.encode_token(KEY, "ana", jti="j1", csrf="c", minutes=5)
    claims = security.decode_token(KEY, token)
    assert (claims["sub"], claims["jti"], claims["csrf"]) == ("ana", "j1", "c")


def test_alg_none_is_refused():
    now = int(datetime.now(UTC).timestamp())
    body = {"sub": "ana", "jti": "j", "iat": now, "exp": now + 300}
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(body)}."
    assert security.decode_token(KEY, token) is None


def test_other_algorithm_with_the_same_key_is_refused():
    assert security.decode_token(KEY, jwt.encode(_claims(), KEY, algorithm="HS512")) is None


def test_expired_token_is_refused():
    past = datetime.now(UTC) - timedelta(hours=1)
    token = jwt.encode(_claims(iat=past, exp=past + timedelta(minutes=5)), KEY, "HS256")
    assert security.decode_token(KEY, token) is None


def test_tampered_payload_and_wrong_key_are_refused():
    token = security.encode_token(KEY, "viewer", jti="j", minutes=5)
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "admin"
    assert security.decode_token(KEY, f"{head}.{_b64(claims)}.{sig}") is None
    assert security.decode_token("w" * 64, token) is None


def test_token_without_required_claims_is_refused():
    token = jwt.encode({"sub": "ana", "exp": datetime.now(UTC) + timedelta(minutes=5)}, KEY,
                       "HS256")
    assert security.decode_token(KEY, token) is None


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x.y.z"])
def test_malformed_tokens_are_refused(garbage):
    assert security.decode_token(KEY, garbage) is None


def test_roles_are_ordered():
    assert [security.allowed(r, "operator") for r in security.ROLES] == [False, True, True,
                                                                         True]
    assert [security.sees_personal(r) for r in security.ROLES] == [False, False, True, True]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_limiter_blocks_after_attempts_and_frees_after_window():
    clock = Clock()
    limiter = security.LoginLimiter(attempts=3, window=60, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("Ana", "1.1.1.1") == 0
        limiter.failed("Ana", "1.1.1.1")
    assert 0 < limiter.retry_after("ana", "1.1.1.1") <= 61
    assert limiter.retry_after("ana", "2.2.2.2") == 0  # other address
    assert limiter.retry_after("bob", "1.1.1.1") == 0  # other name
    clock.now += 61
    assert limiter.retry_after("ana", "1.1.1.1") == 0


def test_success_clears_failures():
    limiter = security.LoginLimiter(attempts=2, window=60, clock=Clock())
    limiter.failed("ana", "a")
    limiter.succeeded("ana", "a")
    limiter.failed("ana", "a")
    assert limiter.retry_after("ana", "a") == 0


@given(st.lists(st.floats(min_value=0, max_value=200), max_size=20))
def test_limiter_allows_iff_fewer_failures_in_window(offsets):
    clock = Clock()
    limiter = security.LoginLimiter(attempts=3, window=50, clock=clock)
    times = sorted(1000.0 + o for o in offsets)
    for moment in times:
        clock.now = moment
        limiter.failed("u", "ip")
    clock.now = (times[-1] if times else 1000.0) + 1
    recent = sum(1 for m in times if m > clock.now - 50)
    assert (limiter.retry_after("u", "ip") == 0) == (recent < 3)
