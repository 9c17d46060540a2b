"""The JSON API's blueprint and its endpoints, generated from the model for every entity.

    GET    /api/v1/                      the entities the user may read, with links
    GET    /api/v1/openapi.json          the OpenAPI document (see openapi.py)
    GET    /api/v1/<entity>              a page of records (filters: params.py)
    POST   /api/v1/<entity>              create a record                  → 201 + Location
    GET    /api/v1/<entity>/<id>         one record, with an ETag of its version
    PATCH  /api/v1/<entity>/<id>         change the fields sent           (version required)
    DELETE /api/v1/<entity>/<id>         delete                           (version required)

Flow actions will live at `POST /api/v1/<entity>/<id>/actions/<action>`, a path nothing
here matches. Everything goes through the record service with the token's user, so
permissions, row scopes, hidden and read-only fields, validation, rules and audit are exactly
the web's. Which version a write expects comes from `If-Match: "<version>"` (the ETag of a
GET) or a `version` field (on DELETE: `?version=`): a stale If-Match is 412, a stale
`version` 409, neither at all 428.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, request, url_for

from ..metamodel.model import Entity
from ..store.actor import Action
from ..store.errors import Conflict, QueryError, RecordError
from ..views.context import model, service
from . import errors
from .auth import api_actor, authenticate
from .errors import ApiError, bad_request
from .openapi import openapi_document
from .params import parse_list_request
from .values import json_body, json_response, record_json

PREFIX = "/api/v1"

api = Blueprint("api", __name__, url_prefix=PREFIX)
api.before_request(authenticate)
errors.register(api)

ETAG = re.compile(r'"(\d{1,18})"')


@api.get("/")
def index() -> Response:
    """The entities the user may list, what they may do with them, and where to go."""
    entities = []
    for entity in model().entities.values():
        if entity.child_of or not _may("query", entity):
            continue
        entities.append(
            {
                "name": entity.name,
                "label": dict(entity.label.texts),
                "plural_label": dict((entity.plural_label or entity.label).texts),
                "may": {a: _may(a, entity) for a in ("create", "update", "delete")},
                "links": {"records": url_for(".list_records", entity=entity.name)},
            }
        )
    user = api_actor()
    return json_response(
        {
            "user": {"id": user.id, "username": user.username, "roles": list(user.roles)},
            "entities": entities,
            "links": {"openapi": url_for(".openapi")},
        }
    )


@api.get("/openapi.json")
def openapi() -> Response:
    return json_response(openapi_document(model(), service(), api_actor()))


@api.get("/<entity>")
def list_records(entity: str) -> Response:
    ent = _entity(entity)
    hidden = service().policy.hidden(api_actor(), ent)
    asked = parse_list_request(ent, request.args, hidden)
    try:
        page = service().query(ent.name, asked.query, api_actor())
    except QueryError as exc:
        raise bad_request(asked.param_errors(exc)) from None
    return json_response(
        {
            "data": [record_json(model(), ent, r) for r in page.records],
            "next_cursor": page.next_cursor,
            "total": page.total,
            "total_capped": page.total_capped,
        }
    )


@api.post("/<entity>")
def create_record(entity: str) -> Response:
    ent = _entity(entity)
    service().policy.check(api_actor(), "create", ent)  # 403 before the body is judged
    record = service().create(ent.name, json_body(), api_actor())
    answer = json_response(record_json(model(), ent, record), 201)
    answer.headers["Location"] = url_for(".get_record", entity=ent.name, id=record.id)
    answer.set_etag(str(record.version))
    return answer


@api.get("/<entity>/<int:id>")
def get_record(entity: str, id: int) -> Response:
    ent = _entity(entity)
    record = service().get(ent.name, id, api_actor())
    answer = json_response(record_json(model(), ent, record))
    answer.set_etag(str(record.version))
    return answer


@api.patch("/<entity>/<int:id>")
def update_record(entity: str, id: int) -> Response:
    ent = _entity(entity)
    service().policy.check(api_actor(), "update", ent)
    body = json_body()
    version, from_header = _expected_version(body.pop("version", None))
    try:
        record = service().update(ent.name, id, body, version, api_actor())
    except Conflict as exc:
        raise _stale(exc, from_header) from None
    answer = json_response(record_json(model(), ent, record))
    answer.set_etag(str(record.version))
    return answer


@api.delete("/<entity>/<int:id>")
def delete_record(entity: str, id: int) -> Response:
    ent = _entity(entity)
    service().policy.check(api_actor(), "delete", ent)
    version, from_header = _expected_version(request.args.get("version"))
    try:
        service().delete(ent.name, id, version, api_actor())
    except Conflict as exc:
        raise _stale(exc, from_header) from None
    answer = Response(status=204)
    del answer.headers["Content-Type"]
    return answer


def _entity(name: str) -> Entity:
    """The entity of a URL: 404 for an unknown one or a child entity (edited via its parent)."""
    entity = model().entities.get(name)
    if entity is None or entity.child_of:
        raise ApiError(404, "No such entity.")
    return entity


def _may(action: Action, entity: Entity) -> bool:
    try:
        service().policy.check(api_actor(), action, entity)
    except RecordError:
        return False
    return True


def _expected_version(given: Any) -> tuple[Any, bool]:
    """The version the write expects, and whether If-Match said so (not the body or URL)."""
    header = request.headers.get("If-Match")
    if header is None:
        if given is None:
            raise ApiError(428)
        return given, False
    match = ETAG.fullmatch(header.strip())
    if match is None:
        raise ApiError(400, 'If-Match must be one ETag from a GET, such as "3".', code="bad_etag")
    version = int(match.group(1))
    if given is not None and str(given) != str(version):
        raise ApiError(400, "If-Match and version disagree.", code="bad_etag")
    return version, True


def _stale(conflict: Conflict, from_header: bool) -> ApiError:
    status = 412 if from_header else 409
    headers = {"ETag": f'"{conflict.actual_version}"'}
    return ApiError(status, current_version=conflict.actual_version, headers=headers)
