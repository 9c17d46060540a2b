"""Every refusal of the API as one JSON shape, for every status:

    {"error": {"code": "validation_failed", "message": "…", "fields": {"name": ["…"]}}}

`fields` (field → messages, keys as the record service names them: `lines[2].qty`, `_record`
for the whole record; query parameters by their name) is there only when the error is about
particular inputs. A conflict adds `current_version`. The record service's own errors map to
statuses here (out of scope and unknown are both 404, so nothing leaks), and so do
Werkzeug's HTTP errors; `init_app` answers routing errors under the API's prefix in JSON too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, default_exceptions
from werkzeug.exceptions import NotFound as RouteNotFound

from ..store.errors import (
    Conflict,
    Forbidden,
    NotFound,
    QueryError,
    UnknownEntity,
    ValidationFailed,
)

log = logging.getLogger(__name__)

#: The `code` of each status the API answers with, and its default message.
CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request is malformed."),
    401: ("unauthorized", "A valid API token is required (Authorization: Bearer <token>)."),
    403: ("forbidden", "You may not do this."),
    404: ("not_found", "No such resource."),
    405: ("method_not_allowed", "This method is not allowed here."),
    406: ("not_acceptable", "The API answers in JSON only."),
    409: ("conflict", "The record was changed by someone else; reload it and try again."),
    412: ("precondition_failed", "The record is no longer at the version of If-Match."),
    413: ("too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."),
    422: ("validation_failed", "The record was not saved: see the field errors."),
    428: ("precondition_required", "Say which version you change: If-Match or `version`."),
    429: ("too_many_requests", "Too many failed attempts; wait a little and try again."),
    500: ("internal_error", "Something went wrong on the server."),
}

#: Statuses that can answer any API request; each operation's own are added to these.
COMMON_STATUSES = (400, 401, 403, 404, 405, 413, 429)


class ApiError(Exception):
    """A refusal with its status, code, message, and optionally field details and extras."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        fields: Mapping[str, list[str]] | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        default_code, default_message = CODES.get(status, CODES[400])
        self.status = status
        self.code = code or default_code
        self.message = message or default_message
        self.fields = dict(fields) if fields else None
        self.headers = dict(headers or {})
        self.extra = extra
        super().__init__(self.message)

    def response(self) -> Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        text = json.dumps({"error": body}, ensure_ascii=False, separators=(",", ":"))
        answer = Response(text, status=self.status, mimetype="application/json")
        answer.headers.update(self.headers)
        return answer


def bad_request(fields: Mapping[str, list[str]], message: str | None = None) -> ApiError:
    return ApiError(400, message or "Some query parameters are invalid.", fields, "invalid_query")


def _from_http(error: HTTPException) -> Response:
    status = error.code or 500
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if status == 429:
        retry = _retry_after(error)
        if retry:
            headers["Retry-After"] = retry
    if status not in CODES:
        status = 500 if status >= 500 else 400
    return ApiError(status, headers=headers).response()


def _retry_after(error: HTTPException) -> str | None:
    limit = getattr(error, "limit", None)
    window = getattr(getattr(limit, "limit", None), "get_expiry", None)
    return str(window()) if callable(window) else None


def _unexpected(error: Exception) -> Response:
    log.exception("unexpected error in the API", exc_info=error)
    return ApiError(500).response()


def _conflict(error: Conflict) -> Response:
    return ApiError(409, current_version=error.actual_version).response()


def _validation(error: ValidationFailed) -> Response:
    return ApiError(422, fields=error.errors).response()


def _query(error: QueryError) -> Response:
    return bad_request(error.errors).response()


def register(blueprint: Blueprint) -> None:
    """Answer every error raised while the blueprint handles a request in JSON."""
    handlers: list[tuple[type[Exception], Any]] = [
        (ApiError, lambda e: e.response()),
        (NotFound, lambda e: ApiError(404).response()),
        (UnknownEntity, lambda e: ApiError(404).response()),
        (Forbidden, lambda e: ApiError(403, str(e)).response()),
        (QueryError, _query),
        (ValidationFailed, _validation),
        (Conflict, _conflict),
        (HTTPException, _from_http),
        (Exception, _unexpected),
    ]
    for kind, handler in handlers:
        blueprint.register_error_handler(kind, handler)
    # Flask prefers a handler for a status code anywhere (the app has some, for its pages) to
    # one for a class, so each status gets the blueprint's own.
    for status in default_exceptions:
        blueprint.register_error_handler(status, _from_http)


def init_app(app: Flask, prefix: str) -> None:
    """Routing errors (no such URL, wrong method) under `prefix` answer in JSON too.

    They happen before any blueprint is chosen, so the blueprint's handlers never see them:
    a URL value preprocessor runs first of all request hooks and turns them into an
    `ApiError`, which has an app-wide handler of its own (no other part raises it).
    """

    def routing_error(endpoint: str | None, values: dict[str, Any] | None) -> None:
        error = request.routing_exception
        if not request.path.startswith(prefix) or error is None:
            return
        if isinstance(error, MethodNotAllowed):
            methods = sorted(error.valid_methods or ())
            raise ApiError(405, headers={"Allow": ", ".join(methods)} if methods else None)
        if isinstance(error, RouteNotFound):
            raise ApiError(404)

    app.url_value_preprocessor(routing_error)
    app.register_error_handler(ApiError, lambda e: e.response())
