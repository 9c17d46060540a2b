"""What the built-in field types share: JSON Schema fragments for settings, number helpers."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from marshmallow import validate

if TYPE_CHECKING:
    from ..model import Field

MIN_SETTING = {"type": "number", "description": "Smallest value accepted."}
MAX_SETTING = {"type": "number", "description": "Largest value accepted."}
MAX_LENGTH = {
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


def range_validators(field: Field) -> list[validate.Validator]:
    low, high = field.setting("min"), field.setting("max")
    if low is None and high is None:
        return []
    return [validate.Range(min=low, max=high)]
