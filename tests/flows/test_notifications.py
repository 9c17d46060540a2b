"""In-app notifications: who is told what, the unread count, marking read."""

from __future__ import annotations

import pytest

from .conftest import FlowWorld


@pytest.fixture
def decided(world: FlowWorld) -> FlowWorld:
    """Two orders submitted by sales; the director approved the first."""
    for name in ("First", "Second"):
        world.flows.submit("order", world.order(name).id, world.people["sales"])
    first = next(
        t for t in world.flows.tasks_for(world.people["director"]) if t.record_title == "First"
    )
    world.flows.approve(first.id, world.people["director"])
    return world


def test_approvers_hear_of_tasks_and_submitters_of_outcomes(decided: FlowWorld) -> None:
    director, sales = decided.people["director"], decided.people["sales"]
    assert [n.kind for n in decided.flows.notifications(director)] == ["task", "task"]
    (outcome,) = decided.flows.notifications(sales)
    assert (outcome.kind, outcome.actor_id, outcome.detail["flow"]) == (
        "approved",
        director.id,
        "order_approval",
    )
    assert decided.flows.unread_count(director) == 2


def test_marking_read_counts_only_the_users_own(decided: FlowWorld) -> None:
    director, sales = decided.people["director"], decided.people["sales"]
    newest, oldest = decided.flows.notifications(director)
    (theirs,) = decided.flows.notifications(sales)

    assert decided.flows.mark_read(director, [oldest.id, theirs.id]) == 1
    assert decided.flows.unread_count(director) == 1
    assert decided.flows.unread_count(sales) == 1
    assert [n.id for n in decided.flows.notifications(director, unread_only=True)] == [newest.id]

    assert decided.flows.mark_read(director) == 1
    assert decided.flows.unread_count(director) == 0
    assert decided.flows.mark_read(director) == 0


def test_nobody_is_notified_of_their_own_action(world: FlowWorld) -> None:
    boss = world.person("boss", "sales", "director")
    world.flows.submit("order", world.order().id, boss)
    (task,) = world.flows.tasks_for(world.people["director"])
    world.flows.reject(task.id, world.people["director"], "No")
    assert [n.kind for n in world.flows.notifications(world.people["director"])] == ["task"]
    assert [n.kind for n in world.flows.notifications(boss)] == ["rejected"]
