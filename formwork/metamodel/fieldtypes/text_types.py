"""Text-like field types: text, longtext, richtext, email, phone, url, and generated numbers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import marshmallow as ma
import nh3
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


class _SanitizedHtml(StrippedText):
    """Markup is sanitized before anything else sees it, so a value of only <script> is blank."""

    def deserialize(
        self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any
    ) -> Any:
        if isinstance(value, str):
            value = sanitize_html(value)
        return super().deserialize(value, attr, data, **kwargs)


class LongText(Text):
    name = "longtext"
    description = "Several lines of text (notes, descriptions)."
    widget = "textarea"
    ordered = False
    bulky = True
    settings = {"max_length": {**MAX_LENGTH, "default": 20000}}
    default_length = 20000

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.Text()


#: What rich text may keep: structure and emphasis, links, no scripts, styles or images.
RICH_TEXT_TAGS = frozenset(
    {"p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "blockquote", "code"}
    | {"pre", "h2", "h3", "h4", "a", "hr", "table", "thead", "tbody", "tr", "th", "td"}
)


def sanitize_html(html: str) -> str:
    """`html` with only RICH_TEXT_TAGS left, links limited to http(s)/mailto (nh3/ammonia)."""
    return nh3.clean(
        html,
        tags=set(RICH_TEXT_TAGS),
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


class RichText(LongText):
    name = "richtext"
    description = "Formatted text (paragraphs, lists, emphasis, links), kept as sanitized HTML."
    widget = "richtext"
    searchable = False

    def input_field(self, field: Field) -> ma.fields.Field:
        return _SanitizedHtml(validate=validate.Length(max=self.max_length(field)), allow_none=True)

    def from_formula(self, value: Any, field: Field) -> Any:
        return sanitize_html(str(value))[: self.max_length(field)]

    def format(self, value: Any, field: Field, locale: str) -> str:
        """The text without its markup (lists and exports show plain text)."""
        return "" if value is None else " ".join(nh3.clean(value, tags=set()).split())


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
