"""Text-like field types: text, longtext, email, phone, url, and generated numbers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import validate

from ..numbering import NumberingPattern, parse_pattern
from .base import FieldType

if TYPE_CHECKING:
    from ..model import Field
from .common import MAX_LENGTH


class Text(FieldType):
    name = "text"
    description = "One line of text."
    widget = "text"
    searchable = True
    ordered = True
    settings = {
        "max_length": {**MAX_LENGTH, "default": 200},
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
        return StrippedText(validate=checks, allow_none=True)


class BlankIsNone(ma.fields.Field):
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


class StrippedText(BlankIsNone, ma.fields.String):
    pass


class LongText(Text):
    name = "longtext"
    description = "Several lines of text (notes, descriptions)."
    widget = "textarea"
    ordered = False
    settings = {"max_length": {**MAX_LENGTH, "default": 20000}}
    default_length = 20000

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.Text()


class Email(Text):
    name = "email"
    description = "An e-mail address."
    widget = "email"
    settings = {"max_length": {**MAX_LENGTH, "default": 254}}
    default_length = 254

    def input_field(self, field: Field) -> ma.fields.Field:
        return _StrippedEmail(validate=validate.Length(max=self.max_length(field)), allow_none=True)


class _StrippedEmail(BlankIsNone, ma.fields.Email):
    pass


PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{4,30}(?:(?:ext\.?|x|转)\s?[0-9]{1,6})?")


class Phone(Text):
    name = "phone"
    description = "A telephone number (digits, spaces, +, -, parentheses, an extension)."
    widget = "tel"
    settings = {"max_length": {**MAX_LENGTH, "default": 40}}
    default_length = 40

    def input_field(self, field: Field) -> ma.fields.Field:
        return StrippedText(
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
    settings = {"max_length": {**MAX_LENGTH, "default": 2000}}
    default_length = 2000

    def input_field(self, field: Field) -> ma.fields.Field:
        return _StrippedUrl(
            schemes={"http", "https"},
            validate=validate.Length(max=self.max_length(field)),
            allow_none=True,
        )


class _StrippedUrl(BlankIsNone, ma.fields.Url):
    pass


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
