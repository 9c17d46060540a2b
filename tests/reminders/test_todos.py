"""A user's to-dos: what shows when, the count, done and snooze — and nobody else's."""

from __future__ import annotations

import pytest

from .conftest import MakeWorld, World, day


@pytest.fixture
def world(make_world: MakeWorld) -> World:
    """Max has three to-dos: one overdue (due the 11th), one today (14th), one next week
    (20th); and one in more than a week (24th), not shown yet."""
    world = make_world()
    customer = world.customer()
    for code, due_on in (("A", "2026-03-14"), ("B", "2026-03-17"), ("C", "2026-03-23")):
        world.invoice(customer, due_on=due_on, code=code)
    world.reminders.generate(day("2026-03-11"))
    world.invoice(customer, due_on="2026-03-27", code="D")
    world.reminders.generate(day("2026-03-14"))
    return world


def codes(todos) -> list[str]:
    return [todo.title.get("en").split()[1] for todo in todos]


def test_the_week_shows_earliest_first_and_counts_what_is_due(world: World) -> None:
    max_ = world.people["max"]
    todos = world.reminders.todos
    assert codes(todos.due(max_.id, day("2026-03-14"))) == ["A", "B", "C"]
    assert [t.due_on for t in todos.due(max_.id, day("2026-03-14"))] == [
        day("2026-03-11"),
        day("2026-03-14"),
        day("2026-03-20"),
    ]
    assert todos.count_due(max_.id, day("2026-03-14")) == 2, "overdue and today's"


def test_done_takes_a_todo_off_the_list(world: World) -> None:
    max_ = world.people["max"]
    todos = world.reminders.todos
    first = todos.due(max_.id, day("2026-03-14"))[0]
    assert todos.mark_done(max_.id, first.id)
    assert codes(todos.due(max_.id, day("2026-03-14"))) == ["B", "C"]
    assert not todos.mark_done(max_.id, first.id), "done already"


def test_snooze_puts_a_todo_off_for_a_week(world: World) -> None:
    max_ = world.people["max"]
    todos = world.reminders.todos
    first = todos.due(max_.id, day("2026-03-14"))[0]
    assert todos.snooze(max_.id, first.id, day("2026-03-14"))
    snoozed = todos.get(max_.id, first.id)
    assert snoozed is not None and snoozed.shows_on == day("2026-03-21")
    assert codes(todos.due(max_.id, day("2026-03-14"))) == ["B", "C", "A"]
    assert todos.count_due(max_.id, day("2026-03-14")) == 1


def test_nobody_reads_or_changes_anyone_elses_todos(world: World) -> None:
    max_, ann = world.people["max"], world.people["ann"]
    todos = world.reminders.todos
    mine = todos.due(max_.id, day("2026-03-14"))[0]
    assert todos.due(ann.id, day("2026-03-14")) == []
    assert todos.get(ann.id, mine.id) is None
    assert not todos.mark_done(ann.id, mine.id)
    assert not todos.snooze(ann.id, mine.id, day("2026-03-14"))
    assert todos.get(max_.id, mine.id) == mine, "untouched"
