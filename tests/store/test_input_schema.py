"""`InputCleaner` converts each value with its field's own marshmallow field, once per distinct
value: what it remembers gives the same results and errors as converting again, and nothing a
caller could change is shared between records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formwork.metamodel import App
from formwork.store.errors import ValidationFailed
from formwork.store.input_schema import InputCleaner

CUSTOMER: dict[str, Any] = {
    "name": " 甲 ",
    "customer_type": "开发商",
    "complexity": "3",
    "major_dispute": True,
    "tags": ["高潜力客户"],
    "annual_amount": "1,200.5",
}


def _schema_load(cleaner: InputCleaner, app: App, data: dict[str, Any]) -> dict[str, Any]:
    """What the entity's marshmallow schema itself makes of `data`."""
    return cleaner.schema(app.entity("customer")).load(data, partial=True)


def test_values_are_converted_as_the_schema_converts_them(crm_app: App) -> None:
    cleaner = InputCleaner(crm_app)
    expected = _schema_load(cleaner, crm_app, CUSTOMER)
    for _time in range(3):  # converted, then remembered
        clean = cleaner.clean(crm_app.entity("customer"), CUSTOMER, creating=True)
        assert {k: clean.values[k] for k in expected} == expected
        assert list(clean.values)[: len(expected)] == list(expected)  # the schema's order


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_type", "无此类型"),
        ("complexity", "9"),
        ("complexity", "2.5"),
        ("name", "x" * 201),
    ],
)
def test_a_refused_value_is_refused_every_time(crm_app: App, field: str, value: Any) -> None:
    cleaner = InputCleaner(crm_app)
    with pytest.raises(ma.ValidationError) as by_schema:
        _schema_load(cleaner, crm_app, {**CUSTOMER, field: value})
    for _time in range(2):
        with pytest.raises(ValidationFailed) as refused:
            cleaner.clean(crm_app.entity("customer"), {**CUSTOMER, field: value}, creating=True)
        assert refused.value.errors == {field: by_schema.value.messages[field]}


def test_records_do_not_share_lists(crm_app: App) -> None:
    cleaner = InputCleaner(crm_app)
    entity = crm_app.entity("customer")
    first = cleaner.clean(entity, CUSTOMER, creating=True)
    second = cleaner.clean(entity, CUSTOMER, creating=True)
    assert first.values["tags"] == second.values["tags"] == ["高潜力客户"]
    assert first.values["tags"] is not second.values["tags"]
    # Defaults are given to every new record that leaves them out.
    bare = {"name": "乙", "customer_type": "开发商"}
    assert cleaner.clean(entity, bare, creating=True).values["cooperation_years"] == 0
    assert cleaner.clean(entity, bare, creating=True).values["major_dispute"] is False


# -- the quick load (`_Plan.load`) against the general path ------------------------------------
FIELD_VALUES = {
    "name": st.one_of(st.text(max_size=6), st.just("x" * 201), st.just("  ")),
    "customer_type": st.sampled_from(["开发商", " 设计院 ", "银行", "", None, 3]),
    "annual_amount": st.one_of(
        st.decimals(-5, 10**19, places=3), st.sampled_from(["1,200.5", "lots", 12.5, True])
    ),
    "complexity": st.one_of(st.integers(-2, 7), st.sampled_from(["3", "2.5", 3.0, False])),
    "cooperation_years": st.one_of(st.none(), st.integers(-1, 101), st.just(2**64)),
    "major_dispute": st.sampled_from([True, False, "true", "off", "maybe", 1, None]),
    "tags": st.sampled_from([["高潜力客户"], [], "高潜力客户", ["无"], None]),
    "phone": st.sampled_from(["010-35488219", "abc", " ", "+86 (010) 8888-6666 转 123"]),
    "first_signed_on": st.one_of(st.dates(), st.sampled_from(["2024-02-29", "2024-02-30"])),
    "code": st.just("KH-1"),  # not writable
    "nonsense": st.just(1),  # unknown
}


def _general(cleaner: InputCleaner, entity: Any, data: dict[str, Any]) -> Any:
    """What `clean` gives without the quick load."""
    plan = cleaner._plan(entity)
    load, plan.__dict__["load"] = plan.load, lambda data: None  # frozen: set on the instance
    try:
        return cleaner.clean(entity, data, creating=True)
    finally:
        plan.__dict__["load"] = load


@settings(max_examples=400, deadline=None)
@given(
    data=st.dictionaries(
        st.sampled_from(sorted(FIELD_VALUES)), st.none(), max_size=len(FIELD_VALUES)
    ).flatmap(lambda keys: st.fixed_dictionaries({k: FIELD_VALUES[k] for k in keys}))
)
def test_the_quick_load_gives_what_the_general_path_gives(crm_app: App, data: dict) -> None:
    cleaner = InputCleaner(crm_app)
    entity = crm_app.entity("customer")
    for _time in range(2):  # converted, then remembered
        try:
            expected: Any = _general(cleaner, entity, data)
        except ValidationFailed as exc:
            expected = exc.errors
        try:
            got: Any = cleaner.clean(entity, data, creating=True)
        except ValidationFailed as exc:
            got = exc.errors
        if isinstance(expected, dict):
            assert isinstance(got, dict) and list(got.items()) == list(expected.items())
            continue
        assert list(got.values.items()) == list(expected.values.items())  # values and order
        assert [type(v) for v in got.values.values()] == [type(v) for v in expected.values.values()]
        assert got.tables == expected.tables


def test_the_quick_load_takes_the_usual_row(crm_app: App) -> None:
    """An import's row of typed values goes the quick way (the test above would pass if it
    never did)."""
    cleaner = InputCleaner(crm_app)
    plan = cleaner._plan(crm_app.entity("customer"))
    row = {"name": "甲", "annual_amount": Decimal("1.5"), "complexity": 3, "phone": "010-1234"}
    assert plan.load(row) == {
        "name": "甲",
        "annual_amount": Decimal("1.50"),
        "complexity": 3,
        "phone": "010-1234",
    }
    assert plan.load({**row, "code": "KH-1"}) is None  # not writable: the general path says so
    assert plan.load({**row, "complexity": 9}) is None  # refused
