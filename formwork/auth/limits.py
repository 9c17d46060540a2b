"""Rate limits: the app's limiter, the endpoints and blueprints it limits, declared in one place.

Formwork limits only a few targets: sign-in attempts and the API's failed token attempts. A
limit is applied with `limit_view` or `limit_blueprint`, which also record its target; every
other request is exempt (Flask-Limiter's `request_filter`), so the limiter does not work out
and look up limits for the pages and API calls it never limits. That holds while the limiter
has no default or application-wide limits (which apply everywhere): `init_app` creates it
without them, and exempts nothing should the app's config have given it some
(RATELIMIT_DEFAULT, RATELIMIT_APPLICATION).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

#: Key of the app's `RateLimits` in `app.extensions`.
EXTENSION = "formwork_rate_limits"


@dataclass
class RateLimits:
    """The app's limiter and what it limits: endpoints by name, blueprints (all their views)
    by name."""

    limiter: Limiter
    endpoints: set[str] = field(default_factory=set)
    blueprints: set[str] = field(default_factory=set)

    def covers_request(self) -> bool:
        """Whether the current request goes to a limited endpoint or blueprint."""
        endpoint = request.endpoint
        if endpoint is None:
            return False
        if endpoint in self.endpoints:
            return True
        return bool(self.blueprints) and not self.blueprints.isdisjoint(request.blueprints)


def init_app(app: Flask, storage_uri: str) -> Limiter:
    """The app's limiter (counting per client address in `storage_uri`), which exempts every
    request but those to targets declared with `limit_view` or `limit_blueprint`."""
    limiter = Limiter(get_remote_address, app=app, storage_uri=storage_uri)
    targets = app.extensions[EXTENSION] = RateLimits(limiter)
    manager = limiter.limit_manager
    if not (manager.default_limits or manager.application_limits):
        limiter.request_filter(lambda: not targets.covers_request())
    return limiter


def limit_view(app: Flask, endpoint: str, limit: str, **options: Any) -> None:
    """Limit one endpoint's view (options as Flask-Limiter's `Limiter.limit`, e.g. methods)."""
    limits: RateLimits = app.extensions[EXTENSION]
    view = app.view_functions[endpoint]
    app.view_functions[endpoint] = limits.limiter.limit(limit, **options)(view)
    limits.endpoints.add(endpoint)


def limit_blueprint(
    app: Flask,
    blueprint: Blueprint,
    limit: str,
    deduct_when: Callable[[Response], bool] | None = None,
    *,
    scope: str | None = None,
    **options: Any,
) -> None:
    """Limit the views of a blueprint together: one count for all of them, per client, in
    `scope` (the blueprint's name by default), so that a client cannot get a fresh budget by
    moving to another view (options as Flask-Limiter's `Limiter.shared_limit`)."""
    limits: RateLimits = app.extensions[EXTENSION]
    shared = limits.limiter.shared_limit(
        limit, scope or blueprint.name, deduct_when=deduct_when, **options
    )
    shared(blueprint)
    limits.blueprints.add(blueprint.name)
