"""`InputCleaner` converts each value with its field's own marshmallow field, once per distinct
value: what it remembers gives the same results and errors as converting again, and nothing a
caller could change is shared between records."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import pytest

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
