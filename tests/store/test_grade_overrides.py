"""Manual grades: set with a reason, kept through edits and bulk re-grades, shown in the
explanation and history, handed back to the scorecard when cleared or expired."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.store.errors import NotFound, ValidationFailed
from formwork.store.grade_overrides import (
    clear_manual_grade,
    expire_manual_grades,
    set_manual_grade,
)
from formwork.store.grade_rows import latest_explanation
from formwork.store.records import RecordService
from formwork.store.regrade import regrade, what_if
from formwork.store.system import GRADE_TABLE
from tests.store.conftest import take_snapshot


def history(sales: RecordService, account: int) -> list[Any]:
    table = sales.tables.system(GRADE_TABLE)
    with sales.db.read() as conn:
        return list(
            conn.execute(
                sa.select(table).where(table.c.record_id == account).order_by(table.c.id)
            ).mappings()
        )


def explained(sales: RecordService, account: int) -> Any:
    with sales.db.read() as conn:
        return latest_explanation(conn, sales.tables, "account_grade", "account", account)


@pytest.fixture
def account(sales: RecordService) -> int:
    return sales.create("account", {"name": "Acme"}).id


def test_a_manual_grade_wins_until_it_is_cleared(sales: RecordService, account: int) -> None:
    set_manual_grade(sales, "account", account, "account_grade", "A", "Strategic for 2027")
    assert sales.get("account", account)["grade"] == "A"
    last = history(sales, account)[-1]
    assert (last["old_grade"], last["new_grade"], last["cause"]) == ("C", "A", "manual")
    why = explained(sales, account)
    assert (why["grade"], why["manual"]["reason"]) == ("A", "Strategic for 2027")
    assert why["score_grade"] == "C", "the scorecard's own verdict stays visible"

    sales.create("deal", {"title": "x", "amount": 300000, "stage": "won", "account": account})
    edited = sales.get("account", account)
    assert (edited["grade"], edited["score"] > 7) == ("A", True), "the score moves, the grade stays"

    clear_manual_grade(sales, "account", account, "account_grade")
    assert sales.get("account", account)["grade"] == "C"
    assert history(sales, account)[-1]["cause"] == "manual"
    assert "manual" not in explained(sales, account)


def test_an_expired_manual_grade_hands_back_to_the_scorecard(
    sales: RecordService, account: int
) -> None:
    soon = sales.clock() + dt.timedelta(hours=1)
    set_manual_grade(sales, "account", account, "account_grade", "B", "Trial", expires_at=soon)
    assert sales.get("account", account)["grade"] == "B"
    assert expire_manual_grades(sales, now=soon - dt.timedelta(minutes=1)) == 0
    assert expire_manual_grades(sales, now=soon) == 1
    assert sales.get("account", account)["grade"] == "C"
    assert history(sales, account)[-1]["cause"] == "override_expiry"


def test_bulk_regrade_and_what_if_keep_manual_grades(sales: RecordService, account: int) -> None:
    other = sales.create("account", {"name": "Other"}).id
    set_manual_grade(sales, "account", account, "account_grade", "B", "Key reference")
    grading = sales.rules["account"].gradings[0]
    preview = what_if(sales.db, sales.app, sales.tables, grading)
    assert preview.transitions == {("B", "B"): 1, ("C", "C"): 1}
    regrade(sales.db, sales.app, sales.tables, grading)
    assert sales.get("account", account)["grade"] == "B"
    assert explained(sales, account)["manual"]["reason"] == "Key reference"
    assert sales.get("account", other)["grade"] == "C"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"grade": "S"}, "grade"),
        ({"reason": "  "}, "reason"),
        ({"reason": "x" * 2001}, "reason"),
        ({"expires_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "expires_at"),
        ({"expires_at": dt.datetime(2099, 1, 1)}, "expires_at"),
        ({"grading": "nope"}, "grading"),
    ],
)
def test_bad_manual_grades_are_refused_and_change_nothing(
    sales: RecordService, account: int, args: dict[str, Any], field: str
) -> None:
    call = {"grading": "account_grade", "grade": "A", "reason": "because", **args}
    before = take_snapshot(sales)
    with pytest.raises(ValidationFailed) as caught:
        set_manual_grade(sales, "account", account, **call)
    assert field in caught.value.errors
    assert take_snapshot(sales) == before


def test_a_manual_grade_for_a_missing_record_is_not_found(sales: RecordService) -> None:
    with pytest.raises(NotFound):
        set_manual_grade(sales, "account", 999, "account_grade", "A", "because")


def test_a_manual_grade_needs_the_record_in_the_users_update_scope(runtime, users, crm) -> None:
    """An account manager edits only their own customers: another's is not found."""
    mine = users.create("am1", "", "correct horse battery", ["account_manager"])
    theirs = users.create("am2", "", "correct horse battery", ["account_manager"])
    other = crm.customer("别人的客户", owner=theirs)
    manager = mine.actor()
    service = runtime.records
    for change in (
        lambda: set_manual_grade(
            service, "customer", other.id, "customer_grade", "A", "x", manager
        ),
        lambda: clear_manual_grade(service, "customer", other.id, "customer_grade", manager),
    ):
        with pytest.raises(NotFound):
            change()
    own = crm.customer("自己的客户", owner=mine)
    set_manual_grade(service, "customer", own.id, "customer_grade", "A", "key project", manager)
    assert service.get("customer", own.id)["grade"] == "A"
