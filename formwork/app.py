"""The Flask app factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from .runtime import Runtime, open_runtime


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app. `config` overrides settings (same names as the FORMWORK_* variables,
    lower case, e.g. {"package": "...", "database_url": "..."})."""
    runtime = open_runtime(dict(config or {}))
    app = Flask(__name__, instance_path=str(runtime.settings.instance))
    app.config.update(
        SECRET_KEY=runtime.settings.secret_key,
        MAX_CONTENT_LENGTH=runtime.settings.max_upload_mb * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.extensions["formwork"] = runtime

    from .views import init_app as init_views

    init_views(app)
    return app


def runtime_of(app: Flask) -> Runtime:
    return app.extensions["formwork"]
