"""Making and closing to-dos, on fixed days: each kind, idempotence, auto-close, repeats, and
who gets them — on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from formwork.reminders.tables import TODO_TABLE

from .conftest import World, day


def dues(world: World, rule: str) -> list[tuple[str, dt.date]]:
    """(username, due day) of the open to-dos of a reminder."""
    names = {actor.id: name for name, actor in world.people.items()}
    return sorted((names[r["user_id"]], r["due_on"]) for r in world.open_rows(rule=rule))


# -- before ------------------------------------------------------------------------------------
def test_a_before_reminder_makes_its_todo_a_week_ahead_of_its_day(world: World) -> None:
    invoice = world.invoice(world.customer(), due_on="2026-03-20")
    world.reminders.generate(day("2026-03-09"))
    assert dues(world, "invoice_due") == [], "the to-do's day (17th) is more than a week away"
    report = world.reminders.generate(day("2026-03-10"))
    assert report.opened["invoice_due"] == 1
    (row,) = world.open_rows(rule="invoice_due")
    assert (row["entity"], row["record_id"], row["due_on"]) == (
        "invoice",
        invoice.id,
        day("2026-03-17"),
    )
    assert dues(world, "invoice_due") == [("max", day("2026-03-17"))]


def test_a_before_reminder_skips_dates_already_past(world: World) -> None:
    world.invoice(world.customer(), due_on="2026-03-01")
    world.reminders.generate(day("2026-03-05"))
    assert dues(world, "invoice_due") == []


def test_generating_twice_makes_nothing_twice(world: World) -> None:
    customer = world.customer()
    world.invoice(customer, due_on="2026-03-02", code="late")
    world.invoice(customer, due_on="2026-03-10", code="soon")
    first = world.reminders.generate(day("2026-03-05"))
    again = world.reminders.generate(day("2026-03-05"))
    assert first.total_opened == 3, "an overdue to-do for ann and fiona, and max's due one"
    assert again.total_opened == 0 and again.total_closed == 0
    assert len(world.rows()) == 3


def test_a_todo_closes_when_its_condition_no_longer_holds(world: World) -> None:
    invoice = world.invoice(world.customer(), due_on="2026-03-20")
    world.reminders.generate(day("2026-03-12"))
    world.change("invoice", invoice.id, {"paid": 1000})
    report = world.reminders.generate(day("2026-03-12"))
    assert report.closed["invoice_due"] == 1
    (row,) = world.rows(rule="invoice_due")
    assert row["closed_at"] is not None and row["done_at"] is None


def test_a_todo_closes_when_its_record_is_deleted(world: World) -> None:
    invoice = world.invoice(world.customer(), due_on="2026-03-20")
    world.reminders.generate(day("2026-03-12"))
    world.remove("invoice", invoice.id)
    world.reminders.generate(day("2026-03-12"))
    assert world.open_rows() == []


def test_a_moved_date_closes_the_old_todo_and_makes_one_for_the_new_day(world: World) -> None:
    invoice = world.invoice(world.customer(), due_on="2026-03-20")
    world.reminders.generate(day("2026-03-12"))
    world.change("invoice", invoice.id, {"due_on": "2026-03-18"})
    world.reminders.generate(day("2026-03-12"))
    assert dues(world, "invoice_due") == [("max", day("2026-03-15"))]
    assert len(world.rows(rule="invoice_due")) == 2


def test_a_before_todo_stays_open_after_its_day_until_done(world: World) -> None:
    world.invoice(world.customer(), due_on="2026-03-20")
    world.reminders.generate(day("2026-03-12"))
    world.reminders.generate(day("2026-03-25"))
    assert dues(world, "invoice_due") == [("max", day("2026-03-17"))]


def test_a_closed_todo_reopens_when_its_record_calls_for_it_again(world: World) -> None:
    invoice = world.invoice(world.customer(), due_on="2026-03-20")
    world.reminders.generate(day("2026-03-12"))
    world.change("invoice", invoice.id, {"paid": 1000})
    world.reminders.generate(day("2026-03-12"))
    world.change("invoice", invoice.id, {"paid": 400})
    world.reminders.generate(day("2026-03-13"))
    (row,) = world.rows(rule="invoice_due")
    assert row["closed_at"] is None, "the same to-do, open again"


# -- overdue and repeats -------------------------------------------------------------------------
def test_an_overdue_reminder_starts_the_day_after_the_date(world: World) -> None:
    world.invoice(world.customer(), due_on="2026-03-01")
    world.reminders.generate(day("2026-03-01"))
    assert dues(world, "invoice_overdue") == []
    world.reminders.generate(day("2026-03-02"))
    assert dues(world, "invoice_overdue") == [
        ("ann", day("2026-03-02")),
        ("fiona", day("2026-03-02")),
    ]


def test_an_overdue_todo_repeats_every_week_replacing_the_last(world: World) -> None:
    world.invoice(world.customer(), due_on="2026-03-01")
    world.reminders.generate(day("2026-03-02"))
    world.reminders.generate(day("2026-03-08"))
    assert {d for _, d in dues(world, "invoice_overdue")} == {day("2026-03-02")}
    report = world.reminders.generate(day("2026-03-09"))
    assert report.opened["invoice_overdue"] == 2 and report.closed["invoice_overdue"] == 2
    assert {d for _, d in dues(world, "invoice_overdue")} == {day("2026-03-09")}


def test_a_first_run_long_after_makes_only_the_latest_repeat(world: World) -> None:
    world.invoice(world.customer(), due_on="2026-01-01")
    world.reminders.generate(day("2026-03-01"))
    # Due from Jan 2nd, every 7 days: Feb 27th is the 9th repeat.
    assert dues(world, "invoice_overdue") == [
        ("ann", day("2026-02-27")),
        ("fiona", day("2026-02-27")),
    ]


def test_a_done_todo_stays_done_and_the_next_repeat_comes_anyway(world: World) -> None:
    world.invoice(world.customer(), due_on="2026-03-01")
    world.reminders.generate(day("2026-03-02"))
    ann = world.people["ann"]
    (mine,) = world.open_rows(rule="invoice_overdue", user_id=ann.id)
    assert world.reminders.todos.mark_done(ann.id, mine["id"])
    world.reminders.generate(day("2026-03-03"))
    assert dues(world, "invoice_overdue") == [("fiona", day("2026-03-02"))]
    world.reminders.generate(day("2026-03-09"))
    assert ("ann", day("2026-03-09")) in dues(world, "invoice_overdue")


def test_an_overdue_reminder_without_repeat_keeps_its_first_todo(make_world) -> None:
    spec = {
        "entity": "invoice",
        "label": "Late",
        "date": "due_on",
        "kind": "overdue",
        "days": 10,
        "when": "paid < amount",
        "to": [{"field": "manager"}],
        "title": "{code} is ten days late",
    }
    world = make_world(invoice_overdue=spec)
    world.invoice(world.customer(), due_on="2026-03-01")
    world.reminders.generate(day("2026-03-11"))
    assert dues(world, "invoice_overdue") == []
    world.reminders.generate(day("2026-03-12"))
    world.reminders.generate(day("2026-04-30"))
    assert dues(world, "invoice_overdue") == [("max", day("2026-03-12"))]


# -- yearly ----------------------------------------------------------------------------------------
def test_a_yearly_reminder_comes_every_year_and_closes_once_the_day_is_past(world: World) -> None:
    customer = world.customer()
    world.records.create(
        "person", {"name": "Li", "customer": customer.id, "birthday": "1980-03-12"}
    )
    world.reminders.generate(day("2026-03-04"))
    assert dues(world, "birthday") == []
    world.reminders.generate(day("2026-03-05"))
    assert dues(world, "birthday") == [("ann", day("2026-03-12"))]
    world.reminders.generate(day("2026-03-13"))
    assert dues(world, "birthday") == []
    world.reminders.generate(day("2027-03-06"))
    assert dues(world, "birthday") == [("ann", day("2027-03-12"))]


def test_a_yearly_reminder_over_new_year_and_on_29_february(world: World) -> None:
    customer = world.customer()
    for name, born in (("New", "1990-01-02"), ("Leap", "1988-02-29")):
        world.records.create("person", {"name": name, "customer": customer.id, "birthday": born})
    world.reminders.generate(day("2026-12-30"))
    assert dues(world, "birthday") == [("ann", day("2027-01-02"))]
    world.reminders.generate(day("2027-02-25"))
    assert ("ann", day("2027-02-28")) in dues(world, "birthday"), "no 29th in 2027"
    world.reminders.generate(day("2028-02-25"))
    assert ("ann", day("2028-02-29")) in dues(world, "birthday")


# -- who -------------------------------------------------------------------------------------------
def test_recipients_through_links_and_roles_and_only_active_users(world: World) -> None:
    world.person("gone", "finance", active=False)
    world.invoice(world.customer(owner="bob"), due_on="2026-03-01")
    world.reminders.generate(day("2026-03-02"))
    assert dues(world, "invoice_overdue") == [
        ("bob", day("2026-03-02")),
        ("fiona", day("2026-03-02")),
    ]


def test_a_new_owner_takes_over_the_todo(world: World) -> None:
    customer = world.customer(owner="ann")
    world.invoice(customer, due_on="2026-03-01")
    world.reminders.generate(day("2026-03-02"))
    world.change("customer", customer.id, {"owner": world.person("bob", "sales").id})
    world.reminders.generate(day("2026-03-03"))
    assert dues(world, "invoice_overdue") == [
        ("bob", day("2026-03-02")),
        ("fiona", day("2026-03-02")),
    ]


def test_a_record_without_a_recipient_gives_no_todo(world: World) -> None:
    world.records.create("invoice", {"code": "X", "amount": 5, "due_on": "2026-03-20"})
    world.reminders.generate(day("2026-03-15"))
    assert dues(world, "invoice_due") == []


def test_todos_of_a_reminder_the_config_dropped_are_closed(make_world, tmp_path) -> None:
    world = make_world()
    world.invoice(world.customer(), due_on="2026-03-20")
    world.reminders.generate(day("2026-03-12"))
    smaller = make_world(db=world.db, invoice_due=None)
    report = smaller.reminders.generate(day("2026-03-12"))
    assert report.closed["*"] == 1
    assert world.open_rows(rule="invoice_due") == []


# -- titles ----------------------------------------------------------------------------------------
def test_titles_show_the_records_values_in_each_locale(world: World) -> None:
    customer = world.customer(name="Acme", owner="ann", tier="gold")
    world.invoice(customer, due_on="2026-03-01", code="INV-7", amount="12345.5")
    world.invoice(customer, due_on="2026-03-20", code="INV-8", amount="99")
    world.reminders.generate(day("2026-03-12"))
    (due,) = world.rows(rule="invoice_due")
    assert due["title"] == {
        "en": "Invoice INV-8 for Acme is due on 2026-03-20: ¥99.00",
        "zh": "发票 INV-8（Acme）2026-03-20 到期",
    }
    late = world.rows(rule="invoice_overdue")[0]
    assert late["title"] == {"en": "Invoice INV-7 is overdue (gold, owner Ann)"}


def test_the_todo_table_refuses_a_duplicate(world: World) -> None:
    world.invoice(world.customer(), due_on="2026-03-20")
    world.reminders.generate(day("2026-03-12"))
    (row,) = world.rows(rule="invoice_due")
    table = world.records.tables.system(TODO_TABLE)
    duplicate = {k: row[k] for k in ("rule", "entity", "record_id", "user_id", "due_on", "title")}
    try:
        with world.db.write() as conn:
            conn.execute(table.insert(), {**duplicate, "created_at": row["created_at"]})
    except sa.exc.IntegrityError:
        pass
    else:
        raise AssertionError("a second to-do for the same reminder, record, day and user")
