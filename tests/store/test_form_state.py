"""The state of a record being edited, before it is saved: conditional fields, computed
values and grades for values that need not be valid yet — and nothing written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from formwork.store.form_state import evaluate, typed_values
from formwork.store.records import RecordService
from tests.store.conftest import take_snapshot


def state(sales: RecordService, entity: str, record_id: int | None = None, **values: Any):
    ent = sales.app.entity(entity)
    return evaluate(sales, ent, typed_values(ent, values), record_id)


def test_a_field_shows_and_is_required_only_while_its_condition_holds(
    sales: RecordService,
) -> None:
    open_deal = state(sales, "deal", title="Tower", stage="open")
    assert "lost_reason" in open_deal.hidden
    assert "lost_reason" not in open_deal.required
    assert "title" in open_deal.required, "a required field is always required"
    lost = state(sales, "deal", title="Tower", stage="lost")
    assert "lost_reason" not in lost.hidden
    assert "lost_reason" in lost.required


def test_readonly_when_is_judged_on_the_values_given(sales: RecordService) -> None:
    assert "amount" in state(sales, "deal", stage="won").readonly
    assert "amount" not in state(sales, "deal", stage="open").readonly


def test_a_stored_record_keeps_the_values_not_given(sales: RecordService) -> None:
    won = sales.create("deal", {"title": "Tower", "amount": "10", "stage": "open"})
    won = sales.update("deal", won.id, {"stage": "won"}, won.version)
    assert "amount" in state(sales, "deal", won.id).readonly
    assert "amount" not in state(sales, "deal", won.id, stage="open").readonly


def test_computed_fields_are_previewed(sales: RecordService) -> None:
    preview = state(sales, "deal", amount="200000", discount="10")
    assert preview.computed["net"] == Decimal("180000.00")
    assert state(sales, "deal", amount="not yet a number").computed["net"] is None


def test_grades_are_previewed_from_related_records(sales: RecordService) -> None:
    account = sales.create("account", {"name": "North"})
    assert state(sales, "account", account.id).grades[0].grade == "C"
    sales.create(
        "deal", {"title": "Big", "amount": "6000000", "stage": "won", "account": account.id}
    )
    [grade] = state(sales, "account", account.id).grades
    assert (grade.grading, grade.grade, grade.score_grade) == ("account_grade", "A", "B")
    assert grade.score == 77.5 and not grade.manual
    assert state(sales, "account", account.id).computed["grade"] == "A"


def test_evaluating_writes_nothing(sales: RecordService) -> None:
    account = sales.create("account", {"name": "North"})
    before = take_snapshot(sales)
    state(sales, "account", account.id, name="South")
    state(sales, "deal", title="x", stage="lost", amount="5", account=str(account.id))
    assert take_snapshot(sales) == before


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("amount", "1,200.5", Decimal("1200.50")),
        ("amount", "abc", None),
        ("amount", "   ", None),
        ("stage", "won", "won"),
        ("stage", "no such stage", None),
        ("close_on", "2026-02-30", None),
        ("account", "7", 7),
        ("account", "-3", None),
    ],
)
def test_typed_values_are_lenient(sales: RecordService, field: str, raw: str, expected) -> None:
    assert typed_values(sales.app.entity("deal"), {field: raw}) == {field: expected}


def test_typed_values_leave_out_what_formulas_cannot_read(sales: RecordService) -> None:
    assert typed_values(sales.app.entity("deal"), {"nope": "1", "title": "T"}) == {"title": "T"}
