"""Turning caller input into clean field values: the marshmallow schemas built from the model.

One schema per entity (cached), with the input field of every writable stored field and a
list-of-objects field per child table. `InputCleaner.clean` refuses what may not be written
(unknown keys, system columns, generated fields) with its own message, converts the rest,
applies defaults on create and checks "required"; rows of child tables are cleaned the same
way with the child entity's schema and their errors keyed `milestones[2].due_date`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma

from ..metamodel.fieldtypes import inputs
from ..metamodel.model import CHILD_COLUMNS, SYSTEM_COLUMNS, App, Entity, Field
from .errors import RECORD_KEY, ValidationFailed, message

Errors = dict[str, list[str]]


@dataclass
class RowInput:
    """One row of a child table as sent: its id when it already exists, and its values."""

    id: int | None
    values: dict[str, Any]


@dataclass
class CleanInput:
    """Converted values of stored fields, and the rows of child tables by field name."""

    values: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, list[RowInput]] = field(default_factory=dict)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple) and not value)


def table_fields(entity: Entity) -> tuple[Field, ...]:
    return tuple(f for f in entity.fields.values() if f.type == "table")


class InputCleaner:
    """Validates input for the entities of one app; schemas are built once per entity."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._schemas: dict[str, ma.Schema] = {}

    def schema(self, entity: Entity) -> ma.Schema:
        """The marshmallow schema of what callers may send for `entity` (unknown keys raise)."""
        if entity.name not in self._schemas:
            fields: dict[str, ma.fields.Field] = {}
            for f in entity.fields.values():
                is_table = f.type == "table" and not entity.child_of
                if is_table or (f.stored and f.writable):
                    fields[f.name] = f.kind.input_field(f)
            schema_class = ma.Schema.from_dict(fields, name=f"{entity.name}_input")
            self._schemas[entity.name] = schema_class(unknown=ma.RAISE)
        return self._schemas[entity.name]

    def clean(self, entity: Entity, data: Any, creating: bool) -> CleanInput:
        """Convert and check `data`; ValidationFailed lists every problem found."""
        errors: Errors = {}
        result = self._clean(entity, data, creating, "", errors)
        if errors:
            raise ValidationFailed(errors)
        return result

    def _clean(
        self, entity: Entity, data: Any, creating: bool, prefix: str, errors: Errors
    ) -> CleanInput:
        result = CleanInput()
        if not isinstance(data, Mapping):
            errors[prefix.rstrip(".") or RECORD_KEY] = [message("not_an_object")]
            return result
        allowed = self.schema(entity).fields
        given: dict[str, Any] = {}
        for key, value in data.items():
            name = str(key)
            if name in allowed:
                # A blank string is "no value" (what an emptied form input sends); the
                # types' validators would otherwise judge the empty text.
                blank = isinstance(value, str) and not value.strip()
                given[name] = None if blank else value
            elif name in entity.fields or name in SYSTEM_COLUMNS or name in CHILD_COLUMNS:
                errors[prefix + name] = [message("not_writable")]
            else:
                errors[prefix + name] = [message("unknown_field")]
        try:
            loaded = self.schema(entity).load(given, partial=True)
        except ma.ValidationError as exc:
            for key, texts in _flatten(exc.messages):
                errors.setdefault(prefix + key, []).extend(texts)
            loaded = exc.valid_data if isinstance(exc.valid_data, dict) else {}

        for name, value in loaded.items():
            f = entity.fields[name]
            if f.type == "table":
                result.tables[name] = self._rows(f, value, prefix + name, errors)
            else:
                result.values[name] = None if is_empty(value) else value
        if creating:
            for f in entity.fields.values():
                if f.stored and f.writable and f.name not in given and not is_empty(f.default):
                    result.values[f.name] = copy.deepcopy(f.default)
        self._check_required(entity, given, result, creating, prefix, errors)
        return result

    def _rows(self, table: Field, value: Any, key: str, errors: Errors) -> list[RowInput]:
        child = self.app.entity(table.setting("to"))
        rows: list[RowInput] = []
        for index, item in enumerate(value or ()):
            row_prefix = f"{key}[{index}]."
            row_id = None
            if isinstance(item, Mapping) and "id" in item:
                item = dict(item)
                raw_id = item.pop("id")
                try:
                    row_id = inputs.Integer().deserialize(raw_id)
                except ma.ValidationError as exc:
                    errors[row_prefix + "id"] = _flatten_texts(exc.messages)
            clean = self._clean(child, item, row_id is None, row_prefix, errors)
            rows.append(RowInput(row_id, clean.values))
        low, high = table.setting("min_rows"), table.setting("max_rows")
        if low is not None and len(rows) < low:
            errors.setdefault(key, []).append(message("too_few_rows", count=low))
        if high is not None and len(rows) > high:
            errors.setdefault(key, []).append(message("too_many_rows", count=high))
        return rows

    def _check_required(
        self,
        entity: Entity,
        given: Mapping[str, Any],
        result: CleanInput,
        creating: bool,
        prefix: str,
        errors: Errors,
    ) -> None:
        for f in entity.fields.values():
            if not f.required or not f.writable or prefix + f.name in errors:
                continue
            if f.type == "table":
                if entity.child_of or (not creating and f.name not in given):
                    continue
                if not result.tables.get(f.name):
                    errors[prefix + f.name] = [message("required")]
            elif creating and f.default_formula is not None:
                continue  # the record rules check it once the default formula has run
            elif (creating or f.name in given) and is_empty(result.values.get(f.name)):
                errors[prefix + f.name] = [message("required")]


def _flatten(messages: Any) -> list[tuple[str, list[str]]]:
    """marshmallow's messages as (field, texts); anything nested below a field joins it."""
    if isinstance(messages, Mapping):
        return [(str(k), _flatten_texts(v)) for k, v in messages.items()]
    return [(RECORD_KEY, _flatten_texts(messages))]


def _flatten_texts(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, Mapping):
        return [t for v in messages.values() for t in _flatten_texts(v)]
    return [t for v in messages for t in _flatten_texts(v)]
