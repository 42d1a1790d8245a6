"""Tokens, roles, the login rate limit and the security headers of the web app (SPEC §10).

Tokens are JWTs signed with HS256 only: ``alg=none``, other algorithms, expired or altered
tokens are refused by `decode_token`. Each token names a session row (`custseg.io.accounts`),
so it can be revoked. A browser session carries a CSRF value in its token; unsafe requests
authenticated by the cookie must repeat it (header ``X-CSRF-Token`` or form field
``csrf_token``).

>>> token = encode_token("k" * 32, "ana", jti="j1", csrf="c1", minutes=5)
>>> decode_token("k" * 32, token)["sub"]
'ana'
>>> decode_token("x" * 32, token) is None
True
>>> allowed("viewer", "operator"), allowed("admin", "analyst")
(False, True)
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta

import jwt

from custseg.io.accounts import ROLES

ALGORITHM = "HS256"
COOKIE = "custseg_session"
LANG_COOKIE = "custseg_lang"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Plotly injects <style> elements, so styles allow 'unsafe-inline'; scripts never do.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


def allowed(role: str, needed: str) -> bool:
    """Roles are ordered viewer < operator < analyst < admin; a role may do what the roles
    below it may."""
    return ROLES.index(role) >= ROLES.index(needed)


def sees_personal(role: str) -> bool:
    """Analysts and admins see personal data in clear; operators and viewers see it masked."""
    return allowed(role, "analyst")


def encode_token(secret: str, username: str, *, jti: str, minutes: int,
                 csrf: str | None = None) -> str:
    """A signed token for ``username`` valid for ``minutes``."""
    now = datetime.now(UTC)
    claims = {"sub": username, "jti": jti, "iat": now,
              "exp": now + timedelta(minutes=minutes)}
    if csrf:
        claims["csrf"] = csrf
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> dict | None:
    """The claims of a valid token, or None (bad signature, expired, other algorithm,
    missing claims, malformed)."""
    try:
        return jwt.decode(token, secret, algorithms=[ALGORITHM],
                          options={"require": ["sub", "jti", "exp", "iat"]})
    except jwt.PyJWTError:
        return None


class LoginLimiter:
    """At most ``attempts`` failed logins per (user name, client address) within
    ``window`` seconds; a success clears the count. In-process, thread-safe.

    >>> limiter = LoginLimiter(attempts=2, window=60)
    >>> limiter.failed("ana", "1.2.3.4"); limiter.failed("ana", "1.2.3.4")
    >>> limiter.retry_after("ana", "1.2.3.4") > 0, limiter.retry_after("bob", "1.2.3.4")
    (True, 0)
    """

    def __init__(self, *, attempts: int, window: float, clock=time.monotonic):
        self.attempts, self.window, self.clock = attempts, window, clock
        self._failures: dict[tuple[str, str], deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque:
        times, now = self._failures[key], self.clock()
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, username: str, address: str) -> int:
        """Seconds until the next attempt is allowed (0: allowed now)."""
        with self._lock:
            times = self._recent((username.lower(), address))
            if len(times) < self.attempts:
                return 0
            return max(1, int(times[0] + self.window - self.clock()) + 1)

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            self._recent((username.lower(), address)).append(self.clock())

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), address), None)
