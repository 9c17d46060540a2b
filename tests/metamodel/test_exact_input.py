"""`fieldtypes.exact`: a value of its field's own type converts as `deserialize` converts it.

Every built-in input field an exact conversion exists for is tried with values of its type,
good and bad (blank text, whitespace, lengths at the bounds, ranges, places, NaN and infinity,
booleans posing as numbers): the conversion gives `deserialize`'s result, or NOT_EXACT, and
never NOT_EXACT for a value of its type that `deserialize` takes (or the shortcut would be
dead code). `inputs.Number` is held to the conversion it had before it was made faster.
"""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from typing import Any

import marshmallow as ma
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from formwork.metamodel.fieldtypes import default_registry, inputs
from formwork.metamodel.fieldtypes.exact import NOT_EXACT, exact_conversion
from formwork.metamodel.model import Field, Label, Option
from formwork.metamodel.problems import Location

TYPES = default_registry()


def field(kind: str, **settings: Any) -> Field:
    options = tuple(Option(value, Label({"en": value})) for value in settings.pop("options", ()))
    return Field(
        "f", "thing", TYPES[kind], Label({"en": "F"}), Location("x.yaml", 1),
        options=options, settings=settings,
    )  # fmt: skip


FIELDS = {
    "text": field("text", max_length=5, min_length=2),
    "pattern": field("text", pattern="[a-z]+"),
    "phone": field("phone"),
    "email": field("email"),
    "url": field("url"),
    "select": field("select", options=("a", "甲", " b")),
    "integer": field("integer", min=-3, max=7),
    "integer_open": field("integer"),
    "rating": field("rating", max=5),
    "link": field("link", to="thing"),
    "money": field("money", min=0, max=1000),
    "decimal": field("decimal", places=3),
    "percent": field("percent", places=0),
    "date": field("date"),
    "boolean": field("boolean"),
}
#: The type each field keeps as it is: what the import hands over.
OWN_TYPE = dict.fromkeys(("text", "pattern", "phone", "email", "url", "select"), str)
OWN_TYPE |= dict.fromkeys(("integer", "integer_open", "rating", "link"), int)
OWN_TYPE |= {"money": Decimal, "decimal": Decimal, "percent": Decimal, "date": dt.date}
OWN_TYPE |= {"boolean": bool}
TEXTS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", " ", " a ", "ab", "abcde", "abcdef", "甲", " b", "x@y.org"]),
    st.sampled_from(["https://a.org", "http://", "+86 10 1234-5678", "12345", "\t\n"]),
)
WHOLE = st.one_of(
    st.integers(-10, 10), st.integers(), st.sampled_from([2**63 - 1, -(2**63 - 1), 2**63])
)
DECIMALS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(-2000, 2000, places=4),
    st.sampled_from(
        [Decimal("-0"), Decimal("0E-5"), Decimal("1.005"), Decimal("999.999"), Decimal("1E+17")]
    ),
    st.sampled_from([Decimal("1E+18"), Decimal("-1E-30"), Decimal("sNaN"), Decimal("12.30")]),
)
VALUES = st.one_of(
    TEXTS, WHOLE, DECIMALS, st.booleans(), st.floats(), st.dates(), st.datetimes(), st.none()
)


def deserialized(input_field: ma.fields.Field, value: Any) -> Any:
    try:
        return input_field.deserialize(value)
    except ma.ValidationError:
        return NOT_EXACT


@pytest.mark.parametrize("name", FIELDS)
@settings(max_examples=300, deadline=None)
@given(value=VALUES)
@example(value=True)
@example(value=1)
@example(value=Decimal("NaN"))
def test_a_value_converts_as_deserialize_converts_it(name: str, value: Any) -> None:
    spec = FIELDS[name]
    input_field = spec.kind.input_field(spec)
    conversion = exact_conversion(input_field)
    assert conversion is not None, name
    expected = deserialized(input_field, value)
    got = conversion(value)
    if got is NOT_EXACT:
        # Only values of another type, or refused ones, are left to `deserialize`.
        assert expected is NOT_EXACT or type(value) is not OWN_TYPE[name], (value, expected)
        return
    assert expected is not NOT_EXACT, value
    assert type(got) is type(expected) and got == expected
    if isinstance(got, Decimal):
        assert got.as_tuple() == expected.as_tuple()  # the same places, and sign of zero


def test_fields_that_do_more_get_no_conversion() -> None:
    for kind, settings_ in (("richtext", {}), ("multiselect", {})):
        spec = field(kind, **settings_)
        assert exact_conversion(spec.kind.input_field(spec)) is None, kind
    # A yes/no field that reads True or False as something else than itself.
    for truthy, falsy in (({"y"}, {"n"}), ({True, False}, {0}), ({1}, {"n"})):
        odd = ma.fields.Boolean(allow_none=True, truthy=truthy, falsy=falsy)
        assert exact_conversion(odd) is None, (truthy, falsy)
    assert exact_conversion(ma.fields.Boolean(allow_none=True, truthy=set())) is not None
    assert exact_conversion(ma.fields.String(allow_none=True, validate=lambda v: False)) is None
    assert exact_conversion(ma.fields.String()) is None  # takes no None


def _old_number(places: int, digits: int, value: Any) -> Any:
    """`inputs.Number._deserialize` as it was written first (the reference)."""
    if isinstance(value, bool):
        raise ValueError("invalid")
    if isinstance(value, str):
        value = value.strip().replace(",", "")
    if isinstance(value, float):
        value = repr(value)
    try:
        number = decimal.Decimal(value)
    except (decimal.InvalidOperation, TypeError, ValueError):
        raise ValueError("invalid") from None
    if not number.is_finite():
        raise ValueError("invalid")
    if number.adjusted() >= digits - places:
        raise ValueError("too_large")
    quantum = decimal.Decimal(1).scaleb(-places)
    exponent = number.as_tuple().exponent
    too_precise = isinstance(exponent, int) and exponent < -places
    if too_precise and number.quantize(quantum) != number:
        raise ValueError("places")
    return number.quantize(quantum)


@settings(max_examples=500, deadline=None)
@given(
    places=st.integers(0, 10),
    value=st.one_of(DECIMALS, st.floats(), st.integers(), st.booleans(), TEXTS, st.none()),
)
@example(places=2, value="1,200.50")
@example(places=2, value=Decimal("0E-1000"))
def test_number_converts_as_it_did(places: int, value: Any) -> None:
    number = inputs.Number(places=places)
    try:
        expected = _old_number(places, 20, value)
    except ValueError as refused:
        with pytest.raises(ma.ValidationError) as error:
            number._deserialize(value, None, None)
        assert error.value.messages == [number.error_messages[str(refused)].format(places=places)]
        return
    got = number._deserialize(value, None, None)
    assert got == expected and got.as_tuple() == expected.as_tuple()
