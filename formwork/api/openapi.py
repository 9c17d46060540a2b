"""The OpenAPI 3.1 document of the API, generated from the model for the user who asks.

Each user gets the API as they may use it: only the entities they may read, only the fields
they may see, and in request bodies only the fields they may write (an entity they may not
change still lists its write operations, which answer 403, so every method on a documented
path behaves as documented). Per entity there are schemas for a record (`Record.<entity>`),
a create body (`Create.<entity>`), an update body (`Update.<entity>`) and a page
(`Page.<entity>`); rows of child tables have `Row.<child>` and `RowInput.<child>`.

Schemas come from the field types: JSON types and formats, option enums, lengths, ranges,
required fields. A read value may always be null (a record saved before a field became
required has none). Request schemas say what is accepted in its canonical form; the record
service stays the judge (it also takes "12" for 12, for instance), and 422 says why not.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..metamodel.model import App, Entity, Field
from ..store.actor import Actor
from ..store.errors import RecordError
from ..store.query import MAX_PAGE_SIZE, SYSTEM_FIELDS
from ..store.records import RecordService
from .errors import CODES, COMMON_STATUSES
from .params import SINGLE_OPS
from .values import FILE_KEYS, SYSTEM_KEYS

PREFIX = "/api/v1"
INT64 = {"type": "integer", "minimum": -(2**63) + 1, "maximum": 2**63 - 1}
DECIMAL_TEXT = "^-?[0-9]+(\\.[0-9]+)?$"
JSON = "application/json"


def openapi_document(app: App, records: RecordService, user: Actor) -> dict[str, Any]:
    """The whole document for `user`."""
    builder = _Builder(app, records, user)
    paths: dict[str, Any] = {
        f"{PREFIX}/": {"get": builder.index_operation()},
        f"{PREFIX}/openapi.json": {"get": builder.document_operation()},
    }
    for entity in app.entities.values():
        if not entity.child_of and builder.may("query", entity):
            paths.update(builder.entity_paths(entity))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{app.title.get(app.default_locale, app.name)} API",
            "version": app.version,
            "description": (
                "Records of every entity, with the permissions, validation and audit of "
                "the web app. Authenticate with `Authorization: Bearer <token>`."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": {**base_schemas(), **builder.schemas},
            "responses": {str(s): _error_response(s) for s in CODES if s != 500},
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from the Tokens page or `formwork token create`.",
                }
            },
        },
        "security": [{"bearerAuth": []}],
    }


def base_schemas() -> dict[str, Any]:
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {
                            "type": "object",
                            "description": "Messages by field or parameter (`_record`: the "
                            "whole record; child rows: `lines[2].qty`).",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                        "current_version": {"type": "integer"},
                    },
                }
            },
        },
        "File": {
            "type": "object",
            "required": list(FILE_KEYS),
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "size": {"type": "integer", "minimum": 0},
                "content_type": {"type": "string"},
            },
            "additionalProperties": False,
        },
        "KeptFile": {
            "type": "object",
            "description": "A file the record has already, kept by its id (uploads are not "
            "possible through the API yet).",
            "required": ["id"],
            "properties": {"id": {"type": "string"}},
        },
    }


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": CODES[status][1],
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    if status == 405:
        response["headers"] = {"Allow": {"schema": {"type": "string"}}}
    return response


def _errors(*statuses: int) -> dict[str, Any]:
    wanted = sorted({*COMMON_STATUSES, *statuses})
    return {str(s): {"$ref": f"#/components/responses/{s}"} for s in wanted}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str | list):
        kinds = [kind] if isinstance(kind, str) else kind
        return {**schema, "type": [*kinds, "null"], **_enum_with_null(schema)}
    return {"anyOf": [schema, {"type": "null"}]}


def _enum_with_null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"enum": [*schema["enum"], None]} if "enum" in schema else {}


class _Builder:
    """Builds the paths of one user's document, collecting their schemas on the way."""

    def __init__(self, app: App, records: RecordService, user: Actor) -> None:
        self.app = app
        self.records = records
        self.user = user
        self.schemas: dict[str, Any] = {}

    def may(self, action: Any, entity: Entity) -> bool:
        try:
            self.records.policy.check(self.user, action, entity)
        except RecordError:
            return False
        return True

    # -- operations ------------------------------------------------------------------------
    def index_operation(self) -> dict[str, Any]:
        return {
            "operationId": "index",
            "summary": "The entities you may read, with links",
            "responses": {
                "200": {
                    "description": "The entities",
                    "content": {JSON: {"schema": {"type": "object"}}},
                },
                **_errors(),
            },
        }

    def document_operation(self) -> dict[str, Any]:
        return {
            "operationId": "openapi",
            "summary": "This document, for the user who asks",
            "responses": {
                "200": {
                    "description": "The OpenAPI document",
                    "content": {JSON: {"schema": {"type": "object"}}},
                },
                **_errors(),
            },
        }

    def entity_paths(self, entity: Entity) -> dict[str, Any]:
        name = entity.name
        self.schemas[f"Record.{name}"] = self.record_schema(entity)
        self.schemas[f"Create.{name}"] = self.input_schema(entity, creating=True)
        self.schemas[f"Update.{name}"] = self.input_schema(entity, creating=False)
        self.schemas[f"Page.{name}"] = {
            "type": "object",
            "required": ["data", "next_cursor", "total", "total_capped"],
            "properties": {
                "data": {"type": "array", "items": _ref(f"Record.{name}")},
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Pass as `after` for the next page; null on the last.",
                },
                "total": {"type": ["integer", "null"], "minimum": 0},
                "total_capped": {
                    "type": "boolean",
                    "description": "True when there are more matches than `total` (counting "
                    "stops at 10,000).",
                },
            },
            "additionalProperties": False,
        }
        record = {JSON: {"schema": _ref(f"Record.{name}")}}
        etag = {"ETag": {"schema": {"type": "string"}, "description": "The record's version."}}
        id_param = {
            "name": "id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
        if_match = {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "description": 'The ETag of the version you change, e.g. "3".',
            "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
        }
        body = {
            "required": True,
            "content": {JSON: {"schema": _ref(f"Create.{name}")}},
        }
        return {
            f"{PREFIX}/{name}": {
                "get": {
                    "operationId": f"list_{name}",
                    "summary": f"A page of {name} records",
                    "parameters": self.list_parameters(entity),
                    "responses": {
                        "200": {
                            "description": "A page of records",
                            "content": {JSON: {"schema": _ref(f"Page.{name}")}},
                        },
                        **_errors(),
                    },
                },
                "post": {
                    "operationId": f"create_{name}",
                    "summary": f"Create a {name} record",
                    "requestBody": body,
                    "responses": {
                        "201": {
                            "description": "Created",
                            "content": record,
                            "headers": {
                                **etag,
                                "Location": {"schema": {"type": "string"}},
                            },
                        },
                        **_errors(415, 422),
                    },
                },
            },
            f"{PREFIX}/{name}/{{id}}": {
                "parameters": [id_param],
                "get": {
                    "operationId": f"get_{name}",
                    "summary": f"One {name} record",
                    "responses": {
                        "200": {"description": "The record", "content": record, "headers": etag},
                        **_errors(),
                    },
                },
                "patch": {
                    "operationId": f"update_{name}",
                    "summary": f"Change fields of a {name} record",
                    "description": "Say which version you change with If-Match or `version`.",
                    "parameters": [if_match],
                    "requestBody": {
                        "required": True,
                        "content": {JSON: {"schema": _ref(f"Update.{name}")}},
                    },
                    "responses": {
                        "200": {"description": "Saved", "content": record, "headers": etag},
                        **_errors(409, 412, 415, 422, 428),
                    },
                },
                "delete": {
                    "operationId": f"delete_{name}",
                    "summary": f"Delete a {name} record",
                    "description": "Say which version you delete with If-Match or `version`.",
                    "parameters": [
                        if_match,
                        {
                            "name": "version",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer"},
                        },
                    ],
                    "responses": {
                        "204": {"description": "Deleted"},
                        **_errors(409, 412, 422, 428),
                    },
                },
            },
        }

    def list_parameters(self, entity: Entity) -> list[dict[str, Any]]:
        hidden = self.records.policy.hidden(self.user, entity)
        params: list[dict[str, Any]] = [
            _query("q", {"type": "string"}, "Words to find in the list's search fields."),
            _query(
                "sort",
                {"type": "string"},
                'Comma-separated fields, "-" in front for descending, e.g. -updated_at,id.',
            ),
            _query("page_size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}),
            _query("after", {"type": "string"}, "The `next_cursor` of the page before."),
        ]
        fields = [f for f in entity.fields.values() if f.name not in hidden]
        fields += [self._system_field(entity, name) for name in SYSTEM_FIELDS]
        table = self.records.tables[entity.name]
        for field in fields:
            params += self._filter_parameters(field, table)
        return params

    def _filter_parameters(self, field: Field, table: sa.Table) -> list[dict[str, Any]]:
        name = field.name
        empty = _query(
            f"filter[{name}][empty]",
            {"type": "boolean"},
            "true: records without a value; false: records with one.",
        )
        if field.type in ("table", "attachment") or (not field.stored and field.type != "table"):
            return [empty] if field.stored or field.type == "table" else []
        value = filter_value_schema(field)
        params = [
            {
                **_query(
                    f"filter[{name}]",
                    {"type": "array", "items": value},
                    "Any of these values (a tag field: all of them); repeat the parameter.",
                ),
                "style": "form",
                "explode": True,
            }
        ]
        ops: list[str] = []
        if field.type == "multiselect":
            ops = ["contains"]
        else:
            ops = ["ne"]
            if field.kind.ordered:
                ops += ["lt", "le", "gt", "ge"]
            column = table.c.get(name)
            if not field.kind.has_options and isinstance(getattr(column, "type", None), sa.String):
                ops.append("contains")
        assert set(ops) <= set(SINGLE_OPS)
        params += [_query(f"filter[{name}][{op}]", value) for op in ops]
        return [*params, empty]

    def _system_field(self, entity: Entity, name: str) -> Field:
        kind = self.app.types[SYSTEM_FIELDS[name]]
        return Field(name, entity.name, kind, entity.label, entity.location)

    # -- schemas ---------------------------------------------------------------------------
    def record_schema(self, entity: Entity) -> dict[str, Any]:
        hidden = self.records.policy.hidden(self.user, entity)
        properties: dict[str, Any] = {
            "id": {"type": "integer"},
            "version": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "created_by": {"type": ["integer", "null"]},
            "updated_at": {"type": "string", "format": "date-time"},
            "updated_by": {"type": ["integer", "null"]},
        }
        required = list(SYSTEM_KEYS)
        for field in entity.fields.values():
            if field.name in hidden:
                continue
            properties[field.name] = self.read_schema(field)
            if field.stored:
                required.append(field.name)
        return {
            "type": "object",
            "required": required,
            "properties": properties,
            "additionalProperties": False,
        }

    def input_schema(self, entity: Entity, creating: bool) -> dict[str, Any]:
        readonly = self.records.policy.readonly(self.user, entity)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field in entity.fields.values():
            if field.name in readonly or not _writable(entity, field):
                continue
            must = field.required and field.default is None and field.required_when is None
            schema = self.write_schema(field)
            properties[field.name] = schema if must else _nullable(schema)
            if must and creating:
                required.append(field.name)
        if not creating:
            properties["version"] = {
                "type": "integer",
                "description": "The version you change (instead of If-Match).",
            }
        schema: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
        if required:
            schema["required"] = required
        return schema

    def read_schema(self, field: Field) -> dict[str, Any]:
        if field.type == "table":
            child = self.app.entity(field.setting("to"))
            name = f"Row.{child.name}"
            if name not in self.schemas:
                self.schemas[name] = self._row_schema(child)
            return {"type": ["array", "null"], "items": _ref(name)}
        if field.type == "attachment":
            return {"type": ["array", "null"], "items": _ref("File")}
        return _nullable(read_value_schema(field))

    def write_schema(self, field: Field) -> dict[str, Any]:
        if field.type == "table":
            child = self.app.entity(field.setting("to"))
            name = f"RowInput.{child.name}"
            if name not in self.schemas:
                self.schemas[name] = self._row_input_schema(child)
            schema: dict[str, Any] = {"type": "array", "items": _ref(name)}
            if field.setting("min_rows") is not None:
                schema["minItems"] = field.setting("min_rows")
            if field.setting("max_rows") is not None:
                schema["maxItems"] = field.setting("max_rows")
            return schema
        if field.type == "attachment":
            most = int(field.setting("max_files", 1))
            return {"type": "array", "items": _ref("KeptFile"), "maxItems": most}
        return write_value_schema(field)

    def _row_schema(self, child: Entity) -> dict[str, Any]:
        properties: dict[str, Any] = {"id": {"type": "integer"}}
        for field in child.fields.values():
            properties[field.name] = self.read_schema(field)
        return {"type": "object", "required": ["id"], "properties": properties}

    def _row_input_schema(self, child: Entity) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "id": {"type": "integer", "description": "An existing row's id; none for a new row."}
        }
        for field in child.fields.values():
            if _writable(child, field):
                properties[field.name] = _nullable(self.write_schema(field))
        return {"type": "object", "properties": properties, "additionalProperties": False}


def _writable(entity: Entity, field: Field) -> bool:
    if field.type == "table":
        return not entity.child_of
    return field.stored and field.writable


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


# -- values by field type --------------------------------------------------------------------

TEXT_FORMATS = {"email": "email", "url": "uri"}


def read_value_schema(field: Field) -> dict[str, Any]:
    """What a stored value of the field looks like in a response (null aside)."""
    kind = field.kind.value_type
    if field.type == "multiselect" or kind == "list":
        return {"type": "array", "items": {"type": "string"}}
    if kind == "number" and _is_decimal(field):
        return {"type": "string", "pattern": DECIMAL_TEXT, "description": "An exact decimal."}
    return _scalar(field)


def write_value_schema(field: Field) -> dict[str, Any]:
    """What a request may send for the field, in canonical form (null aside)."""
    settings = field.settings
    if field.type == "multiselect":
        items: dict[str, Any] = {"type": "string", "enum": list(field.option_values())}
        schema: dict[str, Any] = {"type": "array", "items": items}
        if settings.get("max_items"):
            schema["maxItems"] = settings["max_items"]
        return schema
    if field.kind.has_options:
        return {"type": "string", "enum": list(field.option_values())}
    kind = field.kind.value_type
    if kind == "number" and _is_decimal(field):
        places = int(getattr(field.kind, "places", lambda f: 2)(field))
        schema = {
            "type": ["string", "number"],
            "pattern": DECIMAL_TEXT,
            "description": f"An exact decimal, at most {places} places; send it as a string "
            "to keep every digit.",
        }
        return {**schema, **_range(field)}
    schema = _scalar(field)
    if schema.get("type") == "integer":  # its own bounds (ratings, links) come first
        return {**_range(field), **schema}
    if schema.get("type") == "string" and kind == "text":
        limit = getattr(field.kind, "max_length", None)
        if callable(limit):
            schema["maxLength"] = limit(field)
        if settings.get("min_length"):
            schema["minLength"] = settings["min_length"]
    return schema


def filter_value_schema(field: Field) -> dict[str, Any]:
    """A value to compare with in a filter: the field's type, no limits (a filter may look for
    what a form would refuse today)."""
    if field.kind.has_options:
        return {"type": "string", "enum": list(field.option_values())}
    if field.kind.value_type == "number" and _is_decimal(field):
        return {"type": "number"}
    schema = _scalar(field)
    return {"type": "string", "minLength": 1} if schema == {"type": "string"} else schema


def _scalar(field: Field) -> dict[str, Any]:
    kind = field.kind.value_type
    if field.type == "rating":
        return {"type": "integer", "minimum": 0, "maximum": int(field.setting("max", 5))}
    if kind in ("number", "link"):
        return {"type": "integer", **({"minimum": 1} if kind == "link" else {})}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "date":
        return {"type": "string", "format": "date"}
    if kind == "datetime":
        return {"type": "string", "format": "date-time"}
    if kind == "text" or field.type == "autonumber":
        if field.type in TEXT_FORMATS:
            return {"type": "string", "format": TEXT_FORMATS[field.type]}
        return {"type": "string"}
    return {}


def _is_decimal(field: Field) -> bool:
    return hasattr(field.kind, "places")


def _range(field: Field) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if field.setting("min") is not None:
        out["minimum"] = field.setting("min")
    if field.setting("max") is not None:
        out["maximum"] = field.setting("max")
    if not _is_decimal(field):
        out.setdefault("minimum", INT64["minimum"])
        out.setdefault("maximum", INT64["maximum"])
    return out
