"""Field types for yes/no, dates and times, choices, links, child tables and files."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import validate

from . import inputs
from .base import FieldType
from .columns import UtcDateTime, json_column

if TYPE_CHECKING:
    from ..model import Field
from .common import YES_NO
from .text_types import StrippedText


class Boolean(FieldType):
    name = "boolean"
    value_type = "bool"
    description = "Yes or no."
    widget = "checkbox"

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.Boolean(create_constraint=False)

    def input_field(self, field: Field) -> ma.fields.Field:
        return ma.fields.Boolean(allow_none=True)

    def format(self, value: Any, field: Field, locale: str) -> str:
        if value is None:
            return ""
        yes, no = YES_NO.get(locale.split("-")[0], YES_NO["en"])
        return yes if value else no


class Date(FieldType):
    name = "date"
    value_type = "date"
    description = "A calendar date."
    widget = "date"
    ordered = True

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.Date()

    def input_field(self, field: Field) -> ma.fields.Field:
        return DateInput(allow_none=True)

    def format(self, value: Any, field: Field, locale: str) -> str:
        return "" if value is None else value.isoformat()


class DateInput(ma.fields.Date):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, dt.datetime):
            raise self.make_error("invalid")
        if isinstance(value, dt.date):
            return value
        return super()._deserialize(value, attr, data, **kwargs)


class DateTime(FieldType):
    name = "datetime"
    value_type = "datetime"
    description = "A date and time (stored in UTC)."
    widget = "datetime"
    ordered = True

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return UtcDateTime()

    def input_field(self, field: Field) -> ma.fields.Field:
        return _DateTimeInput(allow_none=True)

    def format(self, value: Any, field: Field, locale: str) -> str:
        return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


class _DateTimeInput(ma.fields.AwareDateTime):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=dt.UTC, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return super()._deserialize(value, attr, data, **kwargs)


class Select(FieldType):
    name = "select"
    description = "One choice from a list of options."
    widget = "select"
    has_options = True
    ordered = True

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        # Room to spare, so adding an option rarely means widening the column.
        longest = max((len(v) for v in field.option_values()), default=0)
        return sa.String(max(64, longest))

    def input_field(self, field: Field) -> ma.fields.Field:
        return StrippedText(validate=validate.OneOf(field.option_values()), allow_none=True)

    def from_formula(self, value: Any, field: Field) -> Any:
        return value if value in field.option_values() else None

    def format(self, value: Any, field: Field, locale: str) -> str:
        for option in field.options:
            if option.value == value:
                return option.label.get(locale, option.value)
        return "" if value is None else str(value)


class MultiSelect(FieldType):
    name = "multiselect"
    value_type = "list"
    description = "Several choices from a list of options (tags)."
    widget = "multiselect"
    has_options = True
    settings = {"max_items": {"type": "integer", "minimum": 1, "description": "Most choices."}}

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return json_column()

    def input_field(self, field: Field) -> ma.fields.Field:
        checks: list[validate.Validator] = [validate.ContainsOnly(field.option_values())]
        if field.setting("max_items"):
            checks.append(validate.Length(max=field.setting("max_items")))
        return _Choices(ma.fields.String(), validate=checks, allow_none=True)

    def format(self, value: Any, field: Field, locale: str) -> str:
        labels = {o.value: o.label.get(locale, o.value) for o in field.options}
        joiner = "、" if locale.startswith("zh") else ", "
        return joiner.join(labels.get(v, v) for v in value or ())


class _Choices(ma.fields.List):
    """A list of distinct choices in option order; a single string is one choice."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            value = [value] if value else []
        items = super()._deserialize(value, attr, data, **kwargs)
        return list(dict.fromkeys(items))


class Link(FieldType):
    name = "link"
    value_type = "link"
    description = "A reference to a record of another entity, or to a user (`to: user`)."
    widget = "link"
    settings = {
        "to": {"type": "string", "description": "The entity linked to, or `user`."},
        "on_delete": {
            "enum": ["restrict", "set_null", "cascade"],
            "default": "restrict",
            "description": "What deleting the linked record does to this one.",
        },
    }
    required_settings = ("to",)

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.BigInteger()

    def input_field(self, field: Field) -> ma.fields.Field:
        return inputs.Integer(validate=validate.Range(min=1), allow_none=True)

    def indexed(self, field: Field) -> bool:
        return True

    def format(self, value: Any, field: Field, locale: str) -> str:
        return "" if value is None else f"#{value}"


class Table(FieldType):
    name = "table"
    value_type = None
    description = "Rows of a child entity edited with the record (order lines, milestones)."
    widget = "table"
    stored = False
    settings = {
        "to": {"type": "string", "description": "The child entity (declared with child_of)."},
        "min_rows": {"type": "integer", "minimum": 0, "description": "Fewest rows."},
        "max_rows": {"type": "integer", "minimum": 1, "description": "Most rows."},
    }
    required_settings = ("to",)

    def input_field(self, field: Field) -> ma.fields.Field:
        return ma.fields.List(ma.fields.Dict(), allow_none=True)

    def format(self, value: Any, field: Field, locale: str) -> str:
        return str(len(value or ()))


class Attachment(FieldType):
    name = "attachment"
    value_type = None
    description = "Files kept on disk under the instance folder, with size and type limits."
    widget = "file"
    bulky = True
    settings = {
        "max_files": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100,
            "default": 1,
            "description": "Most files.",
        },
        "max_size_mb": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 1024,
            "default": 10,
            "description": "Largest file, in megabytes.",
        },
        "accept": {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "description": "Allowed extensions (.pdf) or content types (image/*).",
        },
    }

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return json_column()

    def input_field(self, field: Field) -> ma.fields.Field:
        return _Files(field, allow_none=True)

    def format(self, value: Any, field: Field, locale: str) -> str:
        return ", ".join(item["name"] for item in value or ())


class _Files(ma.fields.Field):
    """New uploads (`inputs.Upload`) and kept files (their stored metadata, by `id`)."""

    default_error_messages = {
        "invalid": "Not a file.",
        "too_many": "At most {count} file(s).",
        "too_big": "{name} is larger than {mb} MB.",
        "type": "{name} is not an allowed type ({accept}).",
    }

    def __init__(self, field: Field, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_files = int(field.setting("max_files", 1))
        self.max_bytes = int(float(field.setting("max_size_mb", 10)) * 1024 * 1024)
        self.accept = tuple(a.lower() for a in field.setting("accept") or ())

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        items = value if isinstance(value, list | tuple) else [value]
        if len(items) > self.max_files:
            raise self.make_error("too_many", count=self.max_files)
        result = []
        for item in items:
            if isinstance(item, inputs.Upload):
                self._check_upload(item)
            elif not (isinstance(item, dict) and isinstance(item.get("id"), str)):
                raise self.make_error("invalid")
            result.append(item)
        return result

    def _check_upload(self, upload: inputs.Upload) -> None:
        if upload.size > self.max_bytes:
            raise self.make_error("too_big", name=upload.filename, mb=self.max_bytes // 2**20)
        if self.accept and not _accepted(upload, self.accept):
            raise self.make_error("type", name=upload.filename, accept=", ".join(self.accept))


def _accepted(upload: inputs.Upload, accept: tuple[str, ...]) -> bool:
    name = upload.filename.lower()
    kind = upload.content_type.lower()
    for rule in accept:
        if rule.startswith(".") and name.endswith(rule):
            return True
        if rule.endswith("/*") and kind.startswith(rule[:-1]):
            return True
        if rule == kind:
            return True
    return False
