"""The Flask app factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .metamodel import App
from .overlay.live import current_runtime, install_runtime
from .runtime import Runtime, open_runtime


def create_app(config: Mapping[str, Any] | None = None, model: App | None = None) -> Flask:
    """Build the web app. `config` overrides settings (same names as the FORMWORK_* variables,
    lower case, e.g. {"package": "...", "database_url": "..."}); `model` is the package's model
    when the caller has loaded it already."""
    runtime = open_runtime(dict(config or {}), model)
    settings = runtime.settings
    app = Flask(
        __name__,
        instance_path=str(settings.instance),
        template_folder="views/templates",
        static_folder="views/static",
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        PREFERRED_URL_SCHEME="https" if settings.https else "http",
    )
    if settings.proxies:
        n = settings.proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    # The current runtime, swapped when a config revision is published (formwork.overlay.live).
    install_runtime(app, runtime)

    from .api import init_app as init_api
    from .auth import init_app as init_auth
    from .views import init_app as init_views
    from .views.headers import init_app as init_headers

    init_headers(app, https=settings.https)
    init_views(app)
    init_auth(app)
    init_api(app)
    return app


def runtime_of(app: Flask) -> Runtime:
    """The runtime the current request runs on (outside a request: the newest)."""
    return current_runtime(app)
