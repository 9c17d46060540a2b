"""The Flask app factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, g, request
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
    # First of the request hooks, so that every read of the request shares its connection.
    _share_reads(app, runtime)
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


#: The methods whose requests read through one connection (see `_share_reads`).
READ_METHODS = frozenset({"GET", "HEAD"})


def _share_reads(app: Flask, runtime: Runtime) -> None:
    """A GET or HEAD request reads through one connection and transaction, opened at its first
    read and closed when the request ends, also when it failed (`Database.shared_reads`;
    every runtime of the app shares the database). A write in such a request ends the shared
    transaction, so what it reads afterwards includes what it wrote; other methods read as
    they write, each read in its own transaction."""
    db = runtime.db

    def begin() -> None:
        if request.method in READ_METHODS:
            g.fw_shared_reads = db.open_shared_reads()

    def end(_error: BaseException | None) -> None:
        scope = g.pop("fw_shared_reads", None)
        if scope is not None:
            scope.close()

    app.before_request(begin)
    app.teardown_request(end)


def runtime_of(app: Flask) -> Runtime:
    """The runtime the current request runs on (outside a request: the newest)."""
    return current_runtime(app)
