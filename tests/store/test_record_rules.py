"""Rules on every write, whatever the caller: defaults, conditional fields, validations,
computed fields, rollups over related records, fields read through links, and grades with
their explanation and history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.store.errors import ValidationFailed
from formwork.store.grade_rows import latest_explanation
from formwork.store.query import Filter, Query
from formwork.store.records import RecordService
from formwork.store.system import AUDIT_TABLE, GRADE_TABLE
from tests.store.conftest import take_snapshot


def deal(sales: RecordService, account: int | None = None, **values: Any) -> Any:
    return sales.create(
        "deal",
        {"title": "Tower", "amount": "100000", "stage": "open", "account": account, **values},
    )


def test_computed_fields_are_stored_on_create_and_update(sales: RecordService) -> None:
    created = deal(sales, amount="200000", discount="10")
    assert created["net"] == Decimal("180000.00")
    updated = sales.update("deal", created.id, {"discount": "25"}, created.version)
    assert updated["net"] == Decimal("150000.00")
    assert sales.history("deal", created.id)[0].changes["net"] == ["180000.00", "150000.00"]


def test_computed_fields_cannot_be_written(sales: RecordService) -> None:
    with pytest.raises(ValidationFailed) as caught:
        deal(sales, net="1")
    assert "net" in caught.value.errors


def test_a_default_formula_fills_only_what_was_not_given(sales: RecordService) -> None:
    today = dt.datetime.now(dt.UTC).date()
    assert deal(sales)["close_on"] == today + dt.timedelta(days=30)
    assert deal(sales, close_on="2027-01-01")["close_on"] == dt.date(2027, 1, 1)


def test_an_empty_value_on_create_gets_the_default_formula_like_a_missing_one(
    sales: RecordService,
) -> None:
    today = dt.datetime.now(dt.UTC).date()
    assert deal(sales, close_on="")["close_on"] == today + dt.timedelta(days=30)
    assert deal(sales, close_on=None)["close_on"] == today + dt.timedelta(days=30)


def test_a_required_field_with_a_default_formula_is_checked_after_the_default(
    sales: RecordService,
) -> None:
    created = deal(sales)  # required, but the default fills it: no error
    before = take_snapshot(sales)
    with pytest.raises(ValidationFailed) as caught:  # clearing it later is refused
        sales.update("deal", created.id, {"close_on": ""}, created.version)
    assert caught.value.errors == {"close_on": ["This field is required."]}
    assert take_snapshot(sales) == before


def test_a_required_field_whose_default_formula_gives_nothing_is_refused(crm, runtime) -> None:
    customer = crm.customer("无经理客户")  # no account manager to default the visit's to
    with pytest.raises(ValidationFailed) as caught:
        runtime.records.create(
            "visit",
            {"subject": "回访", "customer": customer.id, "visit_type": "例行跟进", "summary": "…"},
        )
    assert caught.value.errors == {"account_manager": ["This field is required."]}


def test_a_hidden_field_cannot_be_set_and_is_not_required(sales: RecordService) -> None:
    before = take_snapshot(sales)
    with pytest.raises(ValidationFailed) as caught:
        deal(sales, lost_reason="too expensive")
    assert caught.value.errors == {
        "lost_reason": ["This field is not shown now, so it cannot be set."]
    }
    assert take_snapshot(sales) == before
    assert deal(sales)["lost_reason"] is None


def test_required_when_holds(sales: RecordService) -> None:
    before = take_snapshot(sales)
    with pytest.raises(ValidationFailed) as caught:
        deal(sales, stage="lost")
    assert caught.value.errors == {"lost_reason": ["This field is required."]}
    assert take_snapshot(sales) == before
    assert deal(sales, stage="lost", lost_reason="price")["lost_reason"] == "price"


def test_readonly_when_is_judged_on_the_stored_record(sales: RecordService) -> None:
    open_deal = deal(sales)
    won = sales.update(
        "deal", open_deal.id, {"stage": "won", "amount": "120000"}, open_deal.version
    )
    assert won["amount"] == Decimal("120000.00"), "the change that wins the deal may set the amount"
    before = take_snapshot(sales)
    with pytest.raises(ValidationFailed) as caught:
        sales.update("deal", won.id, {"amount": "1"}, won.version)
    assert caught.value.errors == {"amount": ["This field cannot be changed now."]}
    assert take_snapshot(sales) == before
    assert sales.update("deal", won.id, {"title": "Tower B"}, won.version)["title"] == "Tower B"


def test_a_validation_rule_shows_its_message_at_its_field(sales: RecordService) -> None:
    before = take_snapshot(sales)
    with pytest.raises(ValidationFailed) as caught:
        deal(sales, discount="60")
    assert caught.value.errors == {"discount": ["折扣不能超过50%"]}
    assert take_snapshot(sales) == before


def _grade_rows(sales: RecordService, account: int) -> list[Any]:
    table = sales.tables.system(GRADE_TABLE)
    with sales.db.read() as conn:
        return list(
            conn.execute(
                sa.select(table).where(table.c.record_id == account).order_by(table.c.id)
            ).mappings()
        )


def test_rollups_and_grades_follow_related_records(sales: RecordService) -> None:
    account = sales.create("account", {"name": "Acme"})
    assert (account["deal_total"], account["deal_count"], account["grade"]) == (0, 0, "C")
    assert account["score"] == Decimal("7.00")  # size 10 × 0.7

    won = deal(sales, account.id, amount="300000", stage="won")
    account = sales.get("account", account.id)
    assert (account["deal_total"], account["deal_count"]) == (Decimal("300000.00"), 1)
    assert (account["score"], account["grade"]) == (Decimal("49.50"), "C")  # 60×0.7 + 25×0.3

    deal(sales, account.id, amount="900000", stage="won")
    account = sales.get("account", account.id)
    assert (account["deal_total"], account["grade"]) == (Decimal("1200000.00"), "A")
    assert account.version == 1, "derived updates do not bump the version"

    rows = _grade_rows(sales, account.id)
    assert [(r["old_grade"], r["new_grade"], r["cause"]) for r in rows] == [
        (None, "C", "record_edit"),
        ("C", "C", "related_edit"),
        ("C", "A", "related_edit"),
    ]
    with sales.db.read() as conn:
        why = latest_explanation(conn, sales.tables, "account_grade", "account", account.id)
    assert [(d["name"], d["points"]) for d in why["dimensions"]] == [("size", 100), ("count", 50)]

    sales.delete("deal", won.id, won.version)
    assert sales.get("account", account.id)["deal_total"] == Decimal("900000.00")


def test_an_edit_that_leaves_the_grade_and_its_inputs_alone_adds_no_grade_row(
    sales: RecordService,
) -> None:
    account = sales.create("account", {"name": "Acme"})
    deal(sales, account.id, amount="300000", stage="won")
    rows = _grade_rows(sales, account.id)
    account = sales.get("account", account.id)
    sales.update("account", account.id, {"name": "Acme Ltd"}, account.version)
    assert _grade_rows(sales, account.id) == rows


def test_a_field_read_through_a_link_follows_the_linked_record(sales: RecordService) -> None:
    account = sales.create("account", {"name": "Acme"})
    first = deal(sales, account.id, amount="100")
    assert first["account_grade"] == "C"
    big = deal(sales, account.id, amount="6000000", stage="won")
    assert big["account_grade"] == "A", "the deal that lifted the account sees its new grade"
    assert sales.get("deal", first.id)["account_grade"] == "A"


def test_moving_a_deal_updates_both_accounts(sales: RecordService) -> None:
    a = sales.create("account", {"name": "A"})
    b = sales.create("account", {"name": "B"})
    moved = deal(sales, a.id, amount="500", stage="won")
    sales.update("deal", moved.id, {"account": b.id}, moved.version)
    assert sales.get("account", a.id)["deal_total"] == 0
    assert sales.get("account", b.id)["deal_total"] == Decimal("500.00")


def test_recomputations_are_audited(sales: RecordService) -> None:
    account = sales.create("account", {"name": "Acme"})
    deal(sales, account.id, amount="500", stage="won")
    audit = sales.tables.system(AUDIT_TABLE)
    with sales.db.read() as conn:
        actions = conn.execute(
            sa.select(audit.c.action, audit.c.changes)
            .where(audit.c.entity == "account", audit.c.record_id == account.id)
            .order_by(audit.c.id)
        ).all()
    assert [a for a, _ in actions] == ["create", "recompute"]
    assert actions[1][1]["deal_total"] == ["0.00", "500.00"]


def test_virtual_fields_are_computed_when_read_and_have_no_column(sales: RecordService) -> None:
    created = deal(sales, title="Tower", stage="open")
    assert "caption" not in sales.tables["deal"].c
    assert sales.get("deal", created.id)["caption"] == "Tower · open"
    page = sales.query("deal")
    assert [r["caption"] for r in page.records] == ["Tower · open"]
    with pytest.raises(ValidationFailed) as caught:
        deal(sales, caption="x")
    assert "caption" in caught.value.errors


def test_virtual_fields_can_be_filtered_and_sorted_on_in_sql(sales: RecordService) -> None:
    for title, stage in (("Bridge", "won"), ("Arena", "open"), ("Canal", "lost"), ("Dock", None)):
        deal(sales, title=title, stage=stage, lost_reason="price" if stage == "lost" else None)
    by_caption = sales.query("deal", Query(sort=("-caption",)))
    assert [r["caption"] for r in by_caption.records] == [
        "Dock · ?",
        "Canal · lost",
        "Bridge · won",
        "Arena · open",
    ]
    found = sales.query("deal", Query(filters=(Filter("caption", "contains", "· o"),)))
    assert [r["title"] for r in found.records] == ["Arena"]
    exact = sales.query("deal", Query(filters=(Filter("caption", "eq", "Canal · lost"),)))
    assert [r["title"] for r in exact.records] == ["Canal"]


def test_pages_sorted_by_a_virtual_field_follow_each_other(sales: RecordService) -> None:
    for n in range(7):
        deal(sales, title=f"Deal {n}", stage="open")
    seen, after = [], None
    while True:
        page = sales.query("deal", Query(sort=("caption",), page_size=3, after=after))
        seen += [r["title"] for r in page.records]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == [f"Deal {n}" for n in range(7)]
