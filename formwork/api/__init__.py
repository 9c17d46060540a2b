"""The JSON API (`/api/v1/`), generated from the model, and the page for API tokens.

- `routes`: the blueprint and its endpoints (list, get, create, update, delete per entity);
- `auth`: bearer tokens, checked per request, and the rate limit on failed attempts;
- `params`: list query parameters → a store `Query`;
- `values`: records → JSON and JSON bodies → record input;
- `errors`: every refusal as one JSON shape;
- `openapi`: the OpenAPI 3.1 document, per user;
- `tokens_page`: where signed-in users make and revoke their tokens.

The tokens themselves live in `store.tokens`.
"""

from __future__ import annotations

from flask import Flask

from ..auth import authenticates_itself
from . import auth, errors
from .routes import PREFIX, api
from .tokens_page import tokens_page

__all__ = ["PREFIX", "api", "init_app"]


def init_app(app: Flask) -> None:
    """Serve the API and the tokens page (after `auth.init_app`: it needs CSRF and limits)."""
    app.register_blueprint(api)
    app.register_blueprint(tokens_page)
    authenticates_itself(app, api)
    auth.init_app(app, api)
    errors.init_app(app, PREFIX + "/")
