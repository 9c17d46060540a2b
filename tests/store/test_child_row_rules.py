"""The rows of a child table keep their entity's rules, like any record: defaults, required_when,
validations and computed fields run on each row written with its parent, errors are keyed by
row, and the parent's rollups read the rows' computed values."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from formwork.metamodel import App, load_app
from formwork.store.database import Database
from formwork.store.errors import ValidationFailed
from formwork.store.records import RecordService
from tests.packages import write_package
from tests.store.conftest import make_service, take_snapshot

ORDER_APP: dict[str, dict[str, Any]] = {
    "order": {
        "title": "buyer",
        "fields": {
            "buyer": {"type": "text", "required": True},
            "lines": {"type": "table", "to": "line"},
            "total": {"type": "money", "formula": "sum(lines.net)"},
        },
    },
    "line": {
        "child_of": "order",
        "fields": {
            "product": {"type": "text", "required": True},
            "qty": {"type": "integer", "required": True},
            "price": {"type": "money", "required": True},
            "discount": {"type": "decimal", "required": True, "default_formula": "5"},
            "net": {"type": "money", "formula": "round(qty * price * (100 - discount) / 100, 2)"},
            "shipped": {"type": "boolean", "default": False},
            "shipped_on": {"type": "date", "required_when": "shipped"},
        },
        "validations": [
            {"rule": "qty > 0", "field": "qty", "message": {"en": "Order at least one."}},
        ],
    },
}


@pytest.fixture(scope="module")
def order_app(tmp_path_factory: pytest.TempPathFactory) -> App:
    return load_app(write_package(tmp_path_factory.mktemp("orders"), ORDER_APP))


@pytest.fixture
def orders(sqlite_db: Database, order_app: App, tmp_path: Path) -> RecordService:
    return make_service(sqlite_db, order_app, tmp_path / "files")


def editable(row: dict) -> dict:
    """A stored row as a form sends it back: without its computed value."""
    return {k: v for k, v in row.items() if k != "net"}


def line(product: str = "cable", qty: int = 2, price: str = "100", **values: Any) -> dict:
    return {"product": product, "qty": qty, "price": price, **values}


def test_new_rows_get_defaults_and_computed_values_which_the_parent_rolls_up(
    orders: RecordService,
) -> None:
    order = orders.create("order", {"buyer": "ACME", "lines": [line(), line(qty=1, discount=0)]})
    first, second = order["lines"]
    assert first["discount"] == Decimal("5") and first["net"] == Decimal("190.00")
    assert second["discount"] == Decimal("0") and second["net"] == Decimal("100.00")
    assert order["total"] == Decimal("290.00")


def test_changing_a_row_recomputes_it_and_the_parent(orders: RecordService) -> None:
    order = orders.create("order", {"buyer": "ACME", "lines": [line()]})
    row = {**editable(order["lines"][0]), "qty": 4}
    updated = orders.update("order", order.id, {"lines": [row]}, order.version)
    assert updated["lines"][0]["net"] == Decimal("380.00")
    assert updated["total"] == Decimal("380.00")


@pytest.mark.parametrize(
    ("rows", "errors"),
    [
        (
            [line(), line(shipped=True)],
            {"lines[1].shipped_on": ["This field is required."]},
        ),
        ([line(qty=0)], {"lines[0].qty": ["Order at least one."]}),
        (
            [line(qty=0), line(shipped=True)],
            {
                "lines[0].qty": ["Order at least one."],
                "lines[1].shipped_on": ["This field is required."],
            },
        ),
    ],
    ids=["required_when", "validation", "both rows"],
)
def test_a_row_breaking_its_rules_refuses_the_write_and_names_the_row(
    orders: RecordService, rows: list[dict], errors: dict[str, list[str]]
) -> None:
    before = take_snapshot(orders)
    with pytest.raises(ValidationFailed) as caught:
        orders.create("order", {"buyer": "ACME", "lines": rows})
    assert caught.value.errors == errors
    assert take_snapshot(orders) == before


def test_an_existing_row_keeps_its_value_when_the_default_would_differ(
    orders: RecordService,
) -> None:
    order = orders.create("order", {"buyer": "ACME", "lines": [line(discount=10)]})
    row = {**editable(order["lines"][0]), "product": "fibre"}
    updated = orders.update("order", order.id, {"lines": [row]}, order.version)
    assert updated["lines"][0]["discount"] == Decimal("10")
