"""Who is signed in: the user id in Flask's signed session cookie, checked on every request.

Beside the id the session keeps a fingerprint of the user's password hash (an HMAC under the
app's secret key, so the cookie reveals nothing about the hash). When the password changes,
the fingerprint no longer matches and every other session of that user ends; a deactivated
user is signed out on their next request. Roles are read fresh from the database each time.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import current_app, g, session

from ..store.actor import Actor
from .users import User, UserStore

USER_KEY = "fw_user"
FINGERPRINT_KEY = "fw_pw"
#: Where a request keeps (user, their Actor), or (None, None) when signed out; see `_signed_in`.
_SIGNED_IN = "fw_signed_in"


def users() -> UserStore:
    """The current app's user store."""
    return current_app.extensions["formwork_users"]


def login_user(user: User) -> None:
    """Start a fresh session for `user` (a new session, so nothing from before carries over)."""
    session.clear()
    session[USER_KEY] = user.id
    session[FINGERPRINT_KEY] = _fingerprint(user)
    setattr(g, _SIGNED_IN, (user, user.actor()))


def logout() -> None:
    session.clear()
    setattr(g, _SIGNED_IN, (None, None))


def current_user() -> User | None:
    """The signed-in user, or None; loaded once per request."""
    return _signed_in()[0]


def current_actor() -> Actor | None:
    """The signed-in user as the record service's `Actor`, or None."""
    return _signed_in()[1]


def _signed_in() -> tuple[User, Actor] | tuple[None, None]:
    """(user, actor) of the request, loaded at the first call (pages ask dozens of times)."""
    found = g.get(_SIGNED_IN)
    if found is None:
        user = _load()
        found = (None, None) if user is None else (user, user.actor())
        setattr(g, _SIGNED_IN, found)
    return found


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site, else `default` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target


def _load() -> User | None:
    user_id = session.get(USER_KEY)
    if not isinstance(user_id, int):
        return None
    user = users().get(user_id)
    fingerprint = session.get(FINGERPRINT_KEY, "")
    if (
        user is None
        or not user.active
        or not isinstance(fingerprint, str)
        or not hmac.compare_digest(fingerprint, _fingerprint(user))
    ):
        session.clear()
        return None
    return user


def _fingerprint(user: User) -> str:
    key = str(current_app.secret_key).encode()
    digest = hmac.new(key, (user.password_hash or "").encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
