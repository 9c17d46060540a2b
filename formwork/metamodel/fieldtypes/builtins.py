"""The field types every app has, registered exactly as a plugin would register its own."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import validate

from ..numbering import NumberingPattern, parse_pattern
from . import inputs
from .base import FieldType, FieldTypeRegistry
from .columns import ExactDecimal, UtcDateTime, json_column

if TYPE_CHECKING:
    from ..model import Field

_INT = {"type": "integer"}
_NUMBER = {"type": "number"}
_MIN = {"type": "number", "description": "Smallest value accepted."}
_MAX = {"type": "number", "description": "Largest value accepted."}
_MAX_LENGTH = {
    "type": "integer",
    "minimum": 1,
    "maximum": 1_000_000,
    "description": "Most characters.",
}

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}
YES_NO = {"zh": ("是", "否"), "en": ("Yes", "No")}


def whole_number(value: Any) -> int | None:
    """A formula's number rounded half up to a whole number (None beyond 64 bits)."""
    try:
        number = int(Decimal(repr(float(value))).quantize(Decimal(1), ROUND_HALF_UP))
    except (InvalidOperation, OverflowError, ValueError):
        return None
    return number if abs(number) < 2**63 else None


def _range(field: Field) -> list[validate.Validator]:
    low, high = field.setting("min"), field.setting("max")
    if low is None and high is None:
        return []
    return [validate.Range(min=low, max=high)]


class Text(FieldType):
    name = "text"
    description = "One line of text."
    widget = "text"
    searchable = True
    ordered = True
    settings = {
        "max_length": {**_MAX_LENGTH, "default": 200},
        "min_length": {"type": "integer", "minimum": 0, "description": "Fewest characters."},
        "pattern": {
            "type": "string",
            "description": "A regular expression the whole value matches.",
        },
    }
    default_length = 200

    def max_length(self, field: Field) -> int:
        return int(field.setting("max_length", self.default_length))

    def from_formula(self, value: Any, field: Field) -> Any:
        return str(value)[: self.max_length(field)]

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.String(self.max_length(field))

    def input_field(self, field: Field) -> ma.fields.Field:
        checks: list[validate.Validator] = [
            validate.Length(min=field.setting("min_length"), max=self.max_length(field))
        ]
        if field.setting("pattern"):
            checks.append(validate.Regexp(f"(?:{field.setting('pattern')})\\Z"))
        return _Stripped(validate=checks, allow_none=True)


class _BlankIsNone(ma.fields.Field):
    """Text input with surrounding whitespace removed; blank text means no value.

    Blank input becomes None *before* marshmallow runs, so validators (length, pattern,
    choices) never see it: an emptied form input is simply "no value".
    """

    def deserialize(
        self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any
    ) -> Any:
        if isinstance(value, str):
            value = value.strip() or None
        return super().deserialize(value, attr, data, **kwargs)


class _Stripped(_BlankIsNone, ma.fields.String):
    pass


class LongText(Text):
    name = "longtext"
    description = "Several lines of text (notes, descriptions)."
    widget = "textarea"
    ordered = False
    settings = {"max_length": {**_MAX_LENGTH, "default": 20000}}
    default_length = 20000

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.Text()


class Integer(FieldType):
    name = "integer"
    value_type = "number"
    description = "A whole number."
    widget = "number"
    ordered = True
    settings = {"min": {**_MIN, "type": "integer"}, "max": {**_MAX, "type": "integer"}}

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.BigInteger()

    def input_field(self, field: Field) -> ma.fields.Field:
        return inputs.Integer(validate=_range(field), allow_none=True)

    def from_formula(self, value: Any, field: Field) -> Any:
        return whole_number(value)

    def format(self, value: Any, field: Field, locale: str) -> str:
        return "" if value is None else f"{value:,}"


class DecimalType(FieldType):
    name = "decimal"
    value_type = "number"
    description = "A decimal number with a fixed number of places."
    widget = "number"
    ordered = True
    settings = {
        "min": _MIN,
        "max": _MAX,
        "places": {
            "type": "integer",
            "minimum": 0,
            "maximum": 10,
            "default": 2,
            "description": "Digits after the decimal point.",
        },
    }
    default_places = 2

    def places(self, field: Field) -> int:
        return int(field.setting("places", self.default_places))

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return ExactDecimal(20, self.places(field))

    def from_formula(self, value: Any, field: Field) -> Any:
        places = self.places(field)
        try:
            quantum = Decimal(1).scaleb(-places)
            result = Decimal(repr(float(value))).quantize(quantum, ROUND_HALF_UP)
        except (InvalidOperation, OverflowError, ValueError):
            return None
        return result if result.adjusted() < 20 - places else None

    def input_field(self, field: Field) -> ma.fields.Field:
        return inputs.Number(places=self.places(field), validate=_range(field), allow_none=True)

    def format(self, value: Any, field: Field, locale: str) -> str:
        return "" if value is None else f"{value:,.{self.places(field)}f}"


class Money(DecimalType):
    name = "money"
    description = "An amount of money (two decimal places) in the field's currency."
    settings = {
        "min": _MIN,
        "max": _MAX,
        "currency": {
            "type": "string",
            "pattern": "^[A-Z]{3}$",
            "default": "CNY",
            "description": "ISO 4217 code.",
        },
    }

    def places(self, field: Field) -> int:
        return 2

    def format(self, value: Any, field: Field, locale: str) -> str:
        if value is None:
            return ""
        code = field.setting("currency", "CNY")
        return f"{CURRENCY_SYMBOLS.get(code, code + ' ')}{value:,.2f}"


class Percent(DecimalType):
    name = "percent"
    description = "A percentage, stored as the number before the % sign (12.5 means 12.5%)."
    widget = "percent"

    def format(self, value: Any, field: Field, locale: str) -> str:
        if value is None:
            return ""
        return f"{value.normalize():f}%" if isinstance(value, Decimal) else f"{value}%"


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
        return _DateInput(allow_none=True)

    def format(self, value: Any, field: Field, locale: str) -> str:
        return "" if value is None else value.isoformat()


class _DateInput(ma.fields.Date):
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
        return _Stripped(validate=validate.OneOf(field.option_values()), allow_none=True)

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


class Rating(FieldType):
    name = "rating"
    value_type = "number"
    description = "A score from 0 to max stars (default 5)."
    widget = "rating"
    ordered = True
    settings = {
        "max": {
            "type": "integer",
            "minimum": 1,
            "maximum": 10,
            "default": 5,
            "description": "Most stars.",
        }
    }

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.SmallInteger()

    def from_formula(self, value: Any, field: Field) -> Any:
        stars = whole_number(value)
        return None if stars is None else max(0, min(int(field.setting("max", 5)), stars))

    def input_field(self, field: Field) -> ma.fields.Field:
        return inputs.Integer(validate=validate.Range(0, field.setting("max", 5)), allow_none=True)

    def format(self, value: Any, field: Field, locale: str) -> str:
        if value is None:
            return ""
        top = field.setting("max", 5)
        return "★" * value + "☆" * (top - value)


class Email(Text):
    name = "email"
    description = "An e-mail address."
    widget = "email"
    settings = {"max_length": {**_MAX_LENGTH, "default": 254}}
    default_length = 254

    def input_field(self, field: Field) -> ma.fields.Field:
        return _StrippedEmail(validate=validate.Length(max=self.max_length(field)), allow_none=True)


class _StrippedEmail(_BlankIsNone, ma.fields.Email):
    pass


PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{4,30}(?:(?:ext\.?|x|转)\s?[0-9]{1,6})?")


class Phone(Text):
    name = "phone"
    description = "A telephone number (digits, spaces, +, -, parentheses, an extension)."
    widget = "tel"
    settings = {"max_length": {**_MAX_LENGTH, "default": 40}}
    default_length = 40

    def input_field(self, field: Field) -> ma.fields.Field:
        return _Stripped(
            validate=[
                validate.Length(max=self.max_length(field)),
                validate.Regexp(PHONE, error="Not a telephone number."),
            ],
            allow_none=True,
        )


class Url(Text):
    name = "url"
    description = "A web address (http or https only)."
    widget = "url"
    settings = {"max_length": {**_MAX_LENGTH, "default": 2000}}
    default_length = 2000

    def input_field(self, field: Field) -> ma.fields.Field:
        return _StrippedUrl(
            schemes={"http", "https"},
            validate=validate.Length(max=self.max_length(field)),
            allow_none=True,
        )


class _StrippedUrl(_BlankIsNone, ma.fields.Url):
    pass


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


class AutoNumber(FieldType):
    name = "autonumber"
    description = "A number given on creation from a pattern such as KH-{YYYY}-{#####}."
    widget = "readonly"
    writable = False
    searchable = True
    ordered = True
    settings = {
        "format": {
            "type": "string",
            "description": "Text with {YYYY} {YY} {MM} {DD} and one {###…} counter.",
        }
    }
    required_settings = ("format",)

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.String(80)

    def input_field(self, field: Field) -> ma.fields.Field:
        return ma.fields.String(allow_none=True)

    def pattern(self, field: Field) -> NumberingPattern:
        return parse_pattern(field.setting("format"))


BUILTIN_TYPES: tuple[type[FieldType], ...] = (
    Text,
    LongText,
    Integer,
    DecimalType,
    Money,
    Percent,
    Boolean,
    Date,
    DateTime,
    Select,
    MultiSelect,
    Rating,
    Email,
    Phone,
    Url,
    Link,
    Table,
    Attachment,
    AutoNumber,
)


def register_builtin_types(registry: FieldTypeRegistry) -> None:
    for kind in BUILTIN_TYPES:
        registry.register(kind())
