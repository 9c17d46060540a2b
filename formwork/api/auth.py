"""Who calls the API: the user of the bearer token in `Authorization`, checked per request.

Every API request needs `Authorization: Bearer <token>`; a missing, malformed, unknown,
expired or revoked token, or one whose user was deactivated, is a 401 with a
`WWW-Authenticate` challenge (the same answer for all, so it tells an attacker nothing). Only
the OpenAPI document may also be read by a signed-in browser session (a GET changes nothing,
so the session's missing CSRF check does not matter there). Failed attempts count against the
client address's rate limit (see `init_app`): past it, every attempt gets 429 for a while.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, request
from werkzeug.wrappers import Response

from ..auth import User, current_user, limits, users
from ..store.actor import Actor
from ..store.tokens import TokenStore
from .errors import ApiError

CHALLENGE = 'Bearer realm="api"'
#: Endpoints that a signed-in browser session may read too.
SESSION_READABLE = frozenset({"api.openapi"})


def tokens() -> TokenStore:
    return current_app.extensions["formwork_tokens"]


def api_user() -> User:
    """The user the request's token belongs to (set by `authenticate`)."""
    return g.fw_api_user


def api_actor() -> Actor:
    return api_user().actor()


def unauthorized(message: str | None = None) -> ApiError:
    error = 'Bearer realm="api", error="invalid_token"'
    return ApiError(401, message, headers={"WWW-Authenticate": error if message else CHALLENGE})


def authenticate() -> None:
    """Before every API request: find the token's user, or refuse with 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if not header:
        if request.endpoint in SESSION_READABLE and request.method in ("GET", "HEAD"):
            user = current_user()
            if user is not None:
                g.fw_api_user = user
                return
        raise unauthorized()
    if scheme.lower() != "bearer" or not secret.strip():
        raise unauthorized("Use the header Authorization: Bearer <token>.")
    token = tokens().verify(secret.strip())
    user = None if token is None else users().get(token.user_id)
    if user is None or not user.active:
        raise unauthorized("The token is invalid, expired or revoked.")
    g.fw_api_user = user


def init_app(app: Flask, blueprint: Blueprint) -> None:
    """The app's token store, and a rate limit on failed attempts per client address with
    the app's limiter (the budget of sign-in attempts, FORMWORK_LOGIN_RATE_LIMIT). The
    blueprint itself calls `authenticate` before each of its requests."""
    runtime = app.extensions["formwork"]
    app.extensions["formwork_tokens"] = TokenStore(runtime.db, runtime.tables.metadata)
    limits.limit_blueprint(
        app, blueprint, runtime.settings.login_rate_limit, deduct_when=_failed, scope="api-token"
    )


def _failed(response: Response) -> bool:
    return response.status_code == 401
