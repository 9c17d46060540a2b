"""Input that already has its field's Python type, converted without marshmallow's per-call work.

An import hands the record service values its own converter has typed already (text, whole
numbers, decimals, dates, yes/no), and `InputCleaner` converts every one of them again with the
field's marshmallow field. For a value of the type a built-in input field produces,
`exact_conversion` gives a function that does what `field.deserialize` does with it — the same
conversion (the field class's own `_deserialize` where it changes the value) and the same
validators, called directly — without the generic steps that cannot apply to it (missing
values, hooks, the collection of errors). It answers NOT_EXACT for anything else: a value of
another type, or one a validator refuses, whose errors `deserialize` itself must then report.

Only field classes whose `deserialize` is known get a conversion (a subclass that overrides it,
such as sanitized rich text, gets none), and only with validators that raise when they refuse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import validate

from . import inputs
from .text_types import BlankIsNone
from .value_types import DateInput

#: What a conversion answers when `deserialize` has to do the work.
NOT_EXACT: Any = object()
_LARGEST = 2**63 - 1


def _stripped(value: str) -> str | None:
    return value.strip() or None  # BlankIsNone: blank text is no value


def _whole(value: int) -> int:
    if -_LARGEST <= value <= _LARGEST:
        return value
    raise ma.ValidationError("")  # inputs.Integer refuses it: `deserialize` says how


def _same(value: Any) -> Any:
    return value


def _keeps_booleans(field: ma.fields.Field) -> bool:
    """Whether the Boolean field's `_deserialize` gives True for True and False for False
    (it checks its `truthy` set first, then `falsy`; an empty `truthy` means `bool`)."""
    truthy, falsy = field.truthy, field.falsy  # type: ignore[attr-defined]
    return not truthy or (True in truthy and False not in truthy and False in falsy)


def exact_conversion(field: ma.fields.Field) -> Callable[[Any], Any] | None:
    """`field.deserialize` for values of the one type it keeps as they are (or NOT_EXACT);
    None when `field` is not one of the input fields this knows."""
    kind = type(field)
    if not field.allow_none or field.pre_load or field.post_load:
        return None
    validators = tuple(field.validators)
    if not all(isinstance(v, validate.Validator) for v in validators):
        return None  # a plain function may refuse by returning False: leave it to marshmallow
    convert: Callable[[Any], Any]
    if kind.deserialize is BlankIsNone.deserialize:
        if kind._deserialize is not ma.fields.String._deserialize:
            return None
        wanted, convert = str, _stripped
    elif kind.deserialize is not ma.fields.Field.deserialize:
        return None
    elif kind._deserialize is inputs.Integer._deserialize:
        wanted, convert = int, _whole
    elif kind._deserialize is inputs.Number._deserialize:
        wanted = Decimal

        def convert(value: Any) -> Any:
            return field._deserialize(value, None, None)

    elif kind._deserialize is DateInput._deserialize:
        wanted, convert = dt.date, _same
    elif kind._deserialize is ma.fields.Boolean._deserialize and _keeps_booleans(field):
        wanted, convert = bool, _same
    else:
        return None

    def conversion(value: Any) -> Any:
        if type(value) is not wanted:
            return NOT_EXACT
        try:
            result = convert(value)
            if result is None:
                return None
            for check in validators:
                check(result)
        except ma.ValidationError:
            return NOT_EXACT
        return result

    return conversion
