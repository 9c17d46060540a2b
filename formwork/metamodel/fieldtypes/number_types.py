"""Number field types: integer, decimal, money, percent, rating."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import validate

from . import inputs
from .base import FieldType
from .columns import ExactDecimal

if TYPE_CHECKING:
    from ..model import Field
from .common import CURRENCY_SYMBOLS, MAX_SETTING, MIN_SETTING, range_validators, whole_number


class Integer(FieldType):
    name = "integer"
    value_type = "number"
    description = "A whole number."
    widget = "number"
    ordered = True
    settings = {
        "min": {**MIN_SETTING, "type": "integer"},
        "max": {**MAX_SETTING, "type": "integer"},
    }

    def column_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.BigInteger()

    def input_field(self, field: Field) -> ma.fields.Field:
        return inputs.Integer(validate=range_validators(field), allow_none=True)

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
        "min": MIN_SETTING,
        "max": MAX_SETTING,
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
        return inputs.Number(
            places=self.places(field), validate=range_validators(field), allow_none=True
        )

    def format(self, value: Any, field: Field, locale: str) -> str:
        return "" if value is None else f"{value:,.{self.places(field)}f}"


class Money(DecimalType):
    name = "money"
    description = "An amount of money (two decimal places) in the field's currency."
    settings = {
        "min": MIN_SETTING,
        "max": MAX_SETTING,
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
