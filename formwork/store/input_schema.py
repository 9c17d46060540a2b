"""Turning caller input into clean field values: the marshmallow schemas built from the model.

One schema per entity (cached), with the input field of every writable stored field and a
list-of-objects field per child table. `InputCleaner.clean` refuses what may not be written
(unknown keys, system columns, generated fields) with its own message, converts the rest,
applies defaults on create and checks "required"; rows of child tables are cleaned the same
way with the child entity's schema and their errors keyed `milestones[2].due_date`.

Cleaning runs for every record written (an import cleans one per row), so what does not
depend on the input is worked out once per entity (`_Plan`): the schema's fields in order,
the defaults, the required fields. Each given value goes through its marshmallow field's own
`deserialize`, as `Schema.load(partial=True)` would call it, without the schema's per-call
machinery. A field's conversion depends on its value alone (schema sync converts stored
values the same way, `FieldType.convert_existing`), so the results for plain text, whole
numbers and yes/no of each field are remembered: an import's choices, ratings and flags repeat
on every row.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
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


#: Default values that need no copy per record (`copy.deepcopy` would return them as they are).
_IMMUTABLE = (str, int, float, bool, Decimal)
#: Input values whose conversions are remembered: equal values of one of these types are
#: the same value (unlike 1.0 and 1.00, or 0.0 and -0.0).
_REMEMBERED_INPUTS = (str, int, bool)
#: Conversions remembered only if they give one of these (never a list a caller could change).
_REMEMBERED_RESULTS = frozenset({str, int, bool, Decimal, dt.date, dt.datetime, type(None)})
#: Most conversions remembered per field and input type (unique values never repeat).
MEMO_SIZE = 512


@dataclass(frozen=True)
class _Plan:
    """What cleaning an entity's input needs that does not depend on the input."""

    #: The input field of each name callers may send, and its place in the schema.
    inputs: dict[str, ma.fields.Field]
    position: dict[str, int]
    #: (name, default, whether to copy it) of the fields a new record gets a default for.
    defaults: tuple[tuple[str, Any, bool], ...]
    #: The required writable fields, in the entity's order.
    required: tuple[Field, ...]
    #: The child tables callers may send rows of.
    tables: frozenset[str]
    #: Conversions remembered, by field name, then input type, then input value.
    memo: dict[str, dict[type, dict[Any, Any]]]

    @classmethod
    def of(cls, entity: Entity, schema: ma.Schema) -> _Plan:
        inputs = dict(schema.load_fields)
        for name, input_field in inputs.items():
            # `_clean` reads and stores a value under the field's name, as the schema's fields
            # are declared (no data_key or attribute).
            assert input_field.data_key is None and input_field.attribute is None, name
        return cls(
            inputs,
            {name: i for i, name in enumerate(inputs)},
            tuple(
                (f.name, f.default, not isinstance(f.default, _IMMUTABLE))
                for f in entity.fields.values()
                if f.stored and f.writable and not is_empty(f.default)
            ),
            tuple(f for f in entity.fields.values() if f.required and f.writable),
            frozenset(n for n in inputs if entity.fields[n].type == "table"),
            {name: {kind: {} for kind in _REMEMBERED_INPUTS} for name in inputs},
        )

    def deserialize(self, name: str, given: dict[str, Any]) -> Any:
        """The field's input converted (ValidationError if refused), remembered if it can be."""
        value = given[name]
        remembered = self.memo[name].get(type(value))
        if remembered is None:
            return self.inputs[name].deserialize(value, name, given, partial=True)
        result = remembered.get(value, _UNKNOWN)
        if result is _UNKNOWN:
            result = self.inputs[name].deserialize(value, name, given, partial=True)
            if type(result) in _REMEMBERED_RESULTS and len(remembered) < MEMO_SIZE:
                remembered[value] = result
        return result


_UNKNOWN = object()


class InputCleaner:
    """Validates input for the entities of one app; schemas are built once per entity."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._schemas: dict[str, ma.Schema] = {}
        self._plans: dict[str, _Plan] = {}

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

    def _plan(self, entity: Entity) -> _Plan:
        plan = self._plans.get(entity.name)
        if plan is None:
            plan = self._plans[entity.name] = _Plan.of(entity, self.schema(entity))
        return plan

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
        plan = self._plan(entity)
        allowed = plan.inputs
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

        # What `schema.load(given, partial=True)` does: each given field deserialized in the
        # schema's order; a refused value's errors kept, and its valid part if it has one.
        loaded: dict[str, Any] = {}
        for name in sorted(given, key=plan.position.__getitem__):
            try:
                loaded[name] = plan.deserialize(name, given)
            except ma.ValidationError as exc:
                errors.setdefault(prefix + name, []).extend(_flatten_texts(exc.messages))
                if exc.valid_data:
                    loaded[name] = exc.valid_data

        values = result.values
        for name, value in loaded.items():
            if name in plan.tables:
                result.tables[name] = self._rows(entity.fields[name], value, prefix + name, errors)
            elif value is None or value == "" or (isinstance(value, list | tuple) and not value):
                values[name] = None  # is_empty
            else:
                values[name] = value
        if creating:
            for name, default, mutable in plan.defaults:
                if name not in given:
                    values[name] = copy.deepcopy(default) if mutable else default
        self._check_required(entity, plan, given, result, creating, prefix, errors)
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
        plan: _Plan,
        given: Mapping[str, Any],
        result: CleanInput,
        creating: bool,
        prefix: str,
        errors: Errors,
    ) -> None:
        for f in plan.required:
            if prefix + f.name in errors:
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


def _flatten_texts(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, Mapping):
        return [t for v in messages.values() for t in _flatten_texts(v)]
    return [t for v in messages for t in _flatten_texts(v)]
