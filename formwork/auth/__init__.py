"""Users, sign-in and the protections around it, wired into an app by `init_app`.

- every page needs a signed-in user, except the sign-in page, the health check and static files;
- every state-changing request (POST, PUT, PATCH, DELETE) needs a CSRF token (Flask-WTF);
- sign-in attempts are rate-limited per client address (Flask-Limiter; `limits`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from . import limits
from .admin import admin_users
from .passwords import Passwords
from .session import current_actor, current_user, login_user, logout, safe_next, users
from .users import User, UserError, UserStore
from .views import signin

__all__ = [
    "User",
    "UserError",
    "UserStore",
    "authenticates_itself",
    "current_actor",
    "current_user",
    "init_app",
    "login_user",
    "logout",
    "users",
]

#: Endpoints anyone may reach without signing in.
PUBLIC_ENDPOINTS = frozenset({"signin.login", "home.health", "static", "language.switch"})


def init_app(app: Flask) -> None:
    runtime = app.extensions["formwork"]
    app.extensions["formwork_users"] = UserStore.of(runtime, Passwords())
    CSRFProtect(app)
    app.register_blueprint(signin)
    app.register_blueprint(admin_users)
    limits.init_app(app, runtime.settings.ratelimit_storage)
    # Wrapped here, per app, so each app counts with its own limiter and setting.
    limits.limit_view(app, "signin.login", runtime.settings.login_rate_limit, methods=["POST"])
    app.before_request(_require_sign_in)
    app.context_processor(_template_context)
    app.register_error_handler(CSRFError, _error_page)
    for status in (403, 429):
        app.register_error_handler(status, _error_page)


#: Blueprints that authenticate their own requests (e.g. with API tokens) and answer for
#: themselves when a request is not signed in; see `authenticates_itself`.
SELF_AUTHENTICATED = "formwork_self_authenticated"


def authenticates_itself(app: Flask, blueprint: Blueprint) -> None:
    """Exempt a blueprint from the sign-in redirect and from the session's CSRF check: its
    requests carry their own credentials (a token header, which a browser never adds)."""
    app.extensions.setdefault(SELF_AUTHENTICATED, set()).add(blueprint.name)
    app.extensions["csrf"].exempt(blueprint)


def _require_sign_in() -> Response | None:
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS or endpoint.endswith(".static"):
        return None
    if request.blueprint in current_app.extensions.get(SELF_AUTHENTICATED, ()):
        return None
    if current_user() is not None:
        return None
    target = safe_next(request.full_path.rstrip("?"))
    return redirect(url_for("signin.login", next=target if target != "/" else None))


def _template_context() -> dict[str, Any]:
    return {"current_user": current_user()}


def _error_page(error: HTTPException) -> tuple[str, int]:
    status = error.code or 400
    kind = "csrf" if isinstance(error, CSRFError) else str(status)
    return render_template("error.html", kind=kind, status=status), status
