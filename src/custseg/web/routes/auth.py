"""Sign in and out: a bearer token for API clients and a session cookie for the browser."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from custseg.io import accounts
from custseg.io.accounts import User
from custseg.web import security
from custseg.web.deps import AppState, StateDep, StoreDep, current_user
from custseg.web.schemas import LoginRequest, Me, Message, TokenResponse

router = APIRouter(prefix="/api/auth", tags=["auth"])


@dataclass
class SignIn:
    user: User
    access_token: str
    session_token: str
    csrf: str
    token_seconds: int
    session_seconds: int


def sign_in(state: AppState, store, username: str, password: str, address: str) -> SignIn:
    """Check the password under the rate limit and issue an API token and a browser session.
    Raises 429 after too many failures from this address for this name, 401 on a mismatch."""
    wait = state.limiter.retry_after(username, address)
    if wait:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            "too many failed logins; try again later",
                            headers={"Retry-After": str(wait)})
    user = accounts.authenticate(store, username, password)
    if user is None:
        state.limiter.failed(username, address)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong user name or password",
                            headers={"WWW-Authenticate": "Bearer"})
    state.limiter.succeeded(username, address)
    web = state.project.settings.web
    jti, _ = accounts.start_session(store, user.username, kind="token",
                                    minutes=web.token_minutes)
    token = security.encode_token(state.secret, user.username, jti=jti,
                                  minutes=web.token_minutes)
    session_jti, _ = accounts.start_session(store, user.username, kind="session",
                                            minutes=web.session_minutes)
    csrf = secrets.token_urlsafe(24)
    session = security.encode_token(state.secret, user.username, jti=session_jti, csrf=csrf,
                                    minutes=web.session_minutes)
    return SignIn(user, token, session, csrf, web.token_minutes * 60, web.session_minutes * 60)


def set_session_cookie(response: Response, request: Request, signed: SignIn) -> None:
    """HttpOnly, SameSite=Strict; Secure when served over HTTPS."""
    response.set_cookie(security.COOKIE, signed.session_token, max_age=signed.session_seconds,
                        httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login", response_model=TokenResponse,
             responses={401: {"model": Message}, 429: {"model": Message}})
def login(body: LoginRequest, request: Request, response: Response, state: StateDep,
          store: StoreDep) -> TokenResponse:
    """Exchange a user name and password for a bearer token (``access_token``); the
    response also sets the browser's session cookie."""
    signed = sign_in(state, store, body.username, body.password, client_address(request))
    set_session_cookie(response, request, signed)
    return TokenResponse(access_token=signed.access_token, expires_in=signed.token_seconds,
                         csrf_token=signed.csrf, username=signed.user.username,
                         role=signed.user.role)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT,
             responses={401: {"model": Message}, 403: {"model": Message}})
def logout(user: Annotated[User, Depends(current_user)], request: Request, state: StateDep,
           store: StoreDep) -> Response:
    """End the session or token used for this request and clear the cookie."""
    accounts.end_session(store, request.state.claims["jti"])
    state.forget_sessions()
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(security.COOKIE, path="/")
    return response


@router.get("/me", response_model=Me, responses={401: {"model": Message}})
def me(user: Annotated[User, Depends(current_user)]) -> Me:
    """Who is signed in, and whether they see personal data in clear."""
    return Me(username=user.username, role=user.role,
              sees_personal=security.sees_personal(user.role))
