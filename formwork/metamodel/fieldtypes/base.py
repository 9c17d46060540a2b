"""The contract every field type fulfils, and the registry that holds them.

A field type says how a field is stored (its column type), how input is converted and
checked (its marshmallow field), which form widget edits it and how a value is shown. New
types are added by registering a `FieldType` subclass on an app's registry; the built-ins
use the very same mechanism (`builtins.register_builtin_types`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import marshmallow as ma
import sqlalchemy as sa

if TYPE_CHECKING:
    from ..model import Field


class FieldType:
    """Base class of field types. Subclasses set the class attributes and override hooks."""

    #: The name used in configs (`type: money`).
    name: ClassVar[str]
    #: One line for the config reference.
    description: ClassVar[str]
    #: The form widget that edits it (the UI maps widget names to templates).
    widget: ClassVar[str] = "text"
    #: Whether the field is a column on its entity's table (a child table is not).
    stored: ClassVar[bool] = True
    #: Whether callers may send a value (auto numbers are generated, never written).
    writable: ClassVar[bool] = True
    #: Settings this type accepts besides the common ones, as JSON Schema per key.
    settings: ClassVar[dict[str, dict[str, Any]]] = {}
    #: Settings that must be present.
    required_settings: ClassVar[tuple[str, ...]] = ()
    #: Whether the type uses `options` (select-like types).
    has_options: ClassVar[bool] = False
    #: Whether values can be ordered and compared with <, > (for range filters and sorting).
    ordered: ClassVar[bool] = False
    #: Whether text search may look inside it.
    searchable: ClassVar[bool] = False
    #: Whether values are too long or too structured to filter on, be unique or be a default
    #: list column (long text, files).
    bulky: ClassVar[bool] = False
    #: What formulas see: "number", "text", "bool", "date", "datetime", "list" (of text),
    #: "link" (a record of another entity), or None when formulas cannot use the field.
    value_type: ClassVar[str | None] = "text"

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        raise NotImplementedError(f"field type {self.name} has no column")

    def input_field(self, field: Field) -> ma.fields.Field:
        """A marshmallow field that converts and validates one input value."""
        raise NotImplementedError

    def format(self, value: Any, field: Field, locale: str) -> str:
        """The value as a person reads it (lists, detail pages, exports)."""
        if value is None:
            return ""
        return str(value)

    def indexed(self, field: Field) -> bool:
        """Whether the column gets an index even if no list filters on it."""
        return False

    def from_formula(self, value: Any, field: Field) -> Any:
        """A formula's result (never None) as this field stores it; None if it cannot hold it.

        Formulas compute numbers as floats; number types round them to what they keep.
        """
        return value

    def convert_existing(self, value: Any, field: Field) -> Any:
        """Convert a value stored under another type into this type; ValueError if it won't fit.

        Used by schema sync when a field changes type: the change is applied only when every
        existing value converts without loss.
        """
        if self.value_type == "text" and isinstance(value, bool):
            value = "true" if value else "false"
        elif self.value_type == "text" and isinstance(value, int | float | Decimal):
            value = str(value)
        try:
            return self.input_field(field).deserialize(_as_input(value))
        except ma.ValidationError as exc:
            raise ValueError("; ".join(_messages(exc.messages))) from exc


def _as_input(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _messages(messages: Any) -> Iterator[str]:
    if isinstance(messages, str):
        yield messages
    elif isinstance(messages, dict):
        for value in messages.values():
            yield from _messages(value)
    else:
        for value in messages:
            yield from _messages(value)


class FieldTypeRegistry:
    """The field types one app knows, by name. Create one per app; never share a global."""

    def __init__(self, types: Iterable[FieldType] = ()) -> None:
        self._types: dict[str, FieldType] = {}
        for kind in types:
            self.register(kind)

    def register(self, kind: FieldType) -> None:
        if kind.name in self._types:
            raise ValueError(f"field type {kind.name!r} is already registered")
        self._types[kind.name] = kind

    def get(self, name: str) -> FieldType | None:
        return self._types.get(name)

    def __getitem__(self, name: str) -> FieldType:
        return self._types[name]

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[FieldType]:
        return iter(self._types.values())

    def names(self) -> list[str]:
        return list(self._types)
