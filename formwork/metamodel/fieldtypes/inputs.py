"""marshmallow fields for input that the stock fields accept too loosely.

`Integer` refuses 12.5 instead of truncating it, `Number` refuses more decimal places than
the field stores, and `Upload` carries a file sent with a form or an API call.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from typing import Any

import marshmallow as ma


class Integer(ma.fields.Integer):
    """An integer; text such as "12" converts, but 12.5, "12.5" and booleans are errors."""

    default_error_messages = {"invalid": "Not a whole number."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str):
            value = value.strip().replace(",", "")
        try:
            number = decimal.Decimal(value) if not isinstance(value, int) else value
        except (decimal.InvalidOperation, TypeError, ValueError):
            raise self.make_error("invalid") from None
        if isinstance(number, decimal.Decimal) and (
            not number.is_finite() or number != number.to_integral_value()
        ):
            raise self.make_error("invalid")
        result = int(number)
        if abs(result) > 2**63 - 1:
            raise self.make_error("invalid")
        return result


class Number(ma.fields.Field):
    """An exact decimal with at most `places` digits after the point."""

    default_error_messages = {
        "invalid": "Not a number.",
        "places": "At most {places} digits after the decimal point.",
        "too_large": "Too large.",
    }

    def __init__(self, places: int = 2, digits: int = 20, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.places = places
        self.digits = digits
        self.quantum = decimal.Decimal(1).scaleb(-places)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if type(value) is decimal.Decimal:
            number = value
        else:
            if isinstance(value, bool):
                raise self.make_error("invalid")
            if isinstance(value, str):
                value = value.strip().replace(",", "")
            if isinstance(value, float):
                value = repr(value)
            try:
                number = decimal.Decimal(value)
            except (decimal.InvalidOperation, TypeError, ValueError):
                raise self.make_error("invalid") from None
        if not number.is_finite():
            raise self.make_error("invalid")
        if number.adjusted() >= self.digits - self.places:
            raise self.make_error("too_large")
        # Quantizing changes the number only if it has more places than the field keeps.
        result = number.quantize(self.quantum)
        if result != number:
            raise self.make_error("places", places=self.places)
        return result

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file sent by a caller: its name, declared content type and bytes."""

    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)
