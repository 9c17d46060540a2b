"""How the record service's refusals become pages: never a 500 for a bad request.

A record out of the user's scope, an unknown one and an unknown entity are all 404 (no
existence leak); an action the user's roles do not allow is 403; a malformed query is 400; a
stale version is 409. Forms catch `ValidationFailed` themselves to show errors by field.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from ..flows.errors import FlowBroken, FlowConflict
from ..store.errors import Conflict, Forbidden, NotFound, QueryError, UnknownEntity
from .messages import translate_error

PAGES = {404: "404", 403: "403", 400: "400", 409: "409", 405: "405", 413: "413"}


def error_page(status: int, detail: str | None = None) -> tuple[str, int]:
    """The error page; htmx requests get just its message, to show in place."""
    template = "_error_message.html" if request.headers.get("HX-Request") else "error.html"
    return render_template(
        template, kind=PAGES.get(status, str(status)), status=status, detail=detail
    ), status


def _bad_query(error: QueryError) -> tuple[str, int]:
    reasons = (translate_error(None, text) for texts in error.errors.values() for text in texts)
    return error_page(400, "; ".join(reasons))


def _said(error: Exception) -> tuple[str, int]:
    return error_page(409, translate_error(None, str(error)))


def _http(error: HTTPException) -> tuple[str, int]:
    return error_page(error.code or 400)


def init_app(app: Flask) -> None:
    app.register_error_handler(NotFound, lambda e: error_page(404))
    app.register_error_handler(UnknownEntity, lambda e: error_page(404))
    app.register_error_handler(Forbidden, lambda e: error_page(403))
    app.register_error_handler(QueryError, _bad_query)
    app.register_error_handler(Conflict, lambda e: error_page(409))
    # Someone acted on an approval first, or the request's flow version no longer fits the
    # config: say what happened, nothing was written.
    app.register_error_handler(FlowConflict, _said)
    app.register_error_handler(FlowBroken, _said)
    for status in (400, 404, 405, 413):
        app.register_error_handler(status, _http)
