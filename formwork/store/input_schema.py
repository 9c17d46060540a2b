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

Most rows are clean, so a row is first loaded in one pass (`_Plan.load`): each value that
already has its field's Python type (what an import's converter hands over) takes the exact
conversion of `fieldtypes.exact` — its marshmallow field's conversion and validators, called
directly — and the others `deserialize`. A row with anything to refuse (a key that may not be
written, a child table, a refused value) is done again the general way below, which finds
every problem and reports it as `Schema.load` would.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import marshmallow as ma

from ..metamodel.fieldtypes import inputs
from ..metamodel.fieldtypes.exact import NOT_EXACT, exact_conversion
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
#: Types of values never empty (`is_empty`), which no child table holds.
_NEVER_EMPTY = frozenset({int, float, bool, Decimal, dt.date, dt.datetime})
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
    #: Those a new record is checked for here, by name, and whether each is a child table
    #: (a field with a default formula is checked by the record rules, once it has run).
    required_new: tuple[tuple[str, bool], ...]
    #: The child tables callers may send rows of.
    tables: frozenset[str]
    #: Conversions remembered, by field name, then input type, then input value.
    memo: dict[str, dict[type, dict[Any, Any]]]
    #: What `load` needs of each field but child tables: its place in the schema, its
    #: remembered conversions, `deserialize` for values that already have the field's type
    #: (`fieldtypes.exact`, if it has one), whether it takes None (blank input) as no value.
    quick: dict[str, tuple[int, dict[type, dict[Any, Any]], Callable[[Any], Any] | None, bool]]

    @classmethod
    def of(cls, entity: Entity, schema: ma.Schema) -> _Plan:
        inputs = dict(schema.load_fields)
        for name, input_field in inputs.items():
            # `_clean` reads and stores a value under the field's name, as the schema's fields
            # are declared (no data_key or attribute).
            assert input_field.data_key is None and input_field.attribute is None, name
        position = {name: i for i, name in enumerate(inputs)}
        tables = frozenset(n for n in inputs if entity.fields[n].type == "table")
        memo = {name: {kind: {} for kind in _REMEMBERED_INPUTS} for name in inputs}
        required = tuple(f for f in entity.fields.values() if f.required and f.writable)
        return cls(
            inputs,
            position,
            tuple(
                (f.name, f.default, not isinstance(f.default, _IMMUTABLE))
                for f in entity.fields.values()
                if f.stored and f.writable and not is_empty(f.default)
            ),
            required,
            tuple(
                (f.name, f.type == "table")
                for f in required
                if f.type == "table" or f.default_formula is None
            ),
            tables,
            memo,
            {
                name: (position[name], memo[name], exact_conversion(field), field.allow_none)
                for name, field in inputs.items()
                if name not in tables
            },
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

    def load(self, data: Mapping[str, Any]) -> dict[str, Any] | None:
        """What `InputCleaner._clean` makes of `data` (the values, empty ones as None) when
        every key may be written, none is a child table and no value is refused; None
        otherwise (the caller then does the general work, which finds and reports the
        problems). Values of their field's own type take the exact conversion; the others,
        `deserialize`."""
        loaded: dict[str, Any] = {}
        quick = self.quick
        last, ordered, given = -1, True, None
        for name, value in data.items():
            entry = quick.get(name) if type(name) is str else None
            if entry is None:
                return None
            at, memo, conversion, nullable = entry
            if at < last:
                ordered = False
            last = at
            if value is None or (isinstance(value, str) and not value.strip()):
                if not nullable:
                    return None
                loaded[name] = None  # what `deserialize` makes of no value
                continue
            remembered = memo.get(type(value))
            result = _UNKNOWN if remembered is None else remembered.get(value, _UNKNOWN)
            if result is _UNKNOWN:
                result = NOT_EXACT if conversion is None else conversion(value)
                if result is NOT_EXACT:
                    if given is None:  # as `_clean` hands it to `deserialize`
                        given = {n: None if _blank(v) else v for n, v in data.items()}
                    try:
                        result = self.deserialize(name, given)
                    except ma.ValidationError:
                        return None
                elif remembered is not None and len(remembered) < MEMO_SIZE:
                    remembered[value] = result  # `deserialize`'s result (see fieldtypes.exact)
            kind = type(result)
            if kind in _NEVER_EMPTY:
                loaded[name] = result
            elif kind is str:
                loaded[name] = result or None
            else:
                loaded[name] = None if is_empty(result) else result
        if not ordered:
            position = self.position
            loaded = {n: loaded[n] for n in sorted(loaded, key=position.__getitem__)}
        return loaded


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


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
        loaded = plan.load(data)
        if loaded is not None:  # no child rows, every value converted, empty ones None
            result.values = loaded
            return self._finish(entity, plan, data, {}, result, creating, prefix, errors)
        allowed = plan.inputs
        given: dict[str, Any] = {}
        for key, value in data.items():
            name = str(key)
            if name in allowed:
                # A blank string is "no value" (what an emptied form input sends); the
                # types' validators would otherwise judge the empty text.
                given[name] = None if _blank(value) else value
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
        return self._finish(entity, plan, given, loaded, result, creating, prefix, errors)

    def _finish(
        self,
        entity: Entity,
        plan: _Plan,
        given: Mapping[str, Any],
        loaded: dict[str, Any],
        result: CleanInput,
        creating: bool,
        prefix: str,
        errors: Errors,
    ) -> CleanInput:
        """The loaded values as clean input: child rows cleaned, defaults, required."""
        values = result.values
        for name, value in loaded.items():
            kind = type(value)
            if kind in _NEVER_EMPTY:
                values[name] = value
            elif name in plan.tables:
                result.tables[name] = self._rows(entity.fields[name], value, prefix + name, errors)
            elif kind is str:
                values[name] = value or None
            else:
                values[name] = None if is_empty(value) else value
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
        if creating:  # the loop below, for a new record
            for name, is_table in plan.required_new:
                if prefix + name in errors:
                    continue
                if is_table:
                    missing = not entity.child_of and not result.tables.get(name)
                else:
                    missing = is_empty(result.values.get(name))
                if missing:
                    errors[prefix + name] = [message("required")]
            return
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
