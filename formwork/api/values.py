"""Records as JSON and JSON request bodies as record input.

Out: a record is one flat object: `id`, `version`, the system columns, then every field the
user may see. Decimals are strings ("1234.50", never a float), dates `YYYY-MM-DD`, date-times
ISO 8601 with their UTC offset, links the linked record's id, child tables arrays of rows
(each with its `id`), attachments arrays of `{id, name, size, content_type}` (where a file is
kept on disk is not the client's business).

In: the body must be a JSON object sent as `application/json`. Numbers are read as exact
decimals (`12.10` stays 12.10), so money may be sent as a number or as a string; NaN and
Infinity are refused. What the values mean is the record service's business: it converts and
checks them like any other input.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask import Response, request

from ..metamodel.model import App, Entity, Field
from ..store.record import Record
from .errors import ApiError

#: The record's own columns, in the order a record shows them.
SYSTEM_KEYS = ("id", "version", "created_at", "created_by", "updated_at", "updated_by")
#: What an attachment shows of each stored file.
FILE_KEYS = ("id", "name", "size", "content_type")


def record_json(app: App, entity: Entity, record: Record) -> dict[str, Any]:
    """The record as the API shows it (its values are already only the visible ones)."""
    out: dict[str, Any] = {
        "id": record.id,
        "version": record.version,
        "created_at": plain(record.created_at),
        "created_by": record.created_by,
        "updated_at": plain(record.updated_at),
        "updated_by": record.updated_by,
    }
    for name, value in record.values.items():
        field = entity.fields.get(name)
        if field is not None:
            out[name] = field_json(app, field, value)
    return out


def field_json(app: App, field: Field, value: Any) -> Any:
    if value is None:
        return None
    if field.type == "attachment":
        return [{k: item.get(k) for k in FILE_KEYS} for item in value]
    if field.type == "table":
        child = app.entity(field.setting("to"))
        return [_row_json(app, child, row) for row in value]
    return plain(value)


def _row_json(app: App, child: Entity, row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row["id"]}
    for name, value in row.items():
        field = child.fields.get(name)
        if field is not None:
            out[name] = field_json(app, field, value)
    return out


def plain(value: Any) -> Any:
    """A stored value in JSON terms: exact decimals as text, dates and times in ISO 8601."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def json_response(data: Any, status: int = 200) -> Response:
    """`data` as a JSON answer, keys in the order given (a record reads id, version, …) and
    text as UTF-8 rather than escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, mimetype="application/json")


def json_body() -> dict[str, Any]:
    """The request's JSON object; 415 for another content type, 400 for anything malformed."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise ApiError(415)
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        message = f"The body is not valid JSON: {detail}"
        raise ApiError(400, message, code="malformed_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object of field values.", code="not_an_object")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")
