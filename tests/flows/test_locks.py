"""Fields locked while a request is pending are refused by the record service itself —
whoever writes — and so is deleting the record; nothing is written by a refused change."""

from __future__ import annotations

import pytest

from formwork.store.errors import ValidationFailed

from .conftest import FlowWorld, MakeWorld, flow_with


def pending_order(world: FlowWorld):
    order = world.order(note="first")
    world.flows.submit("order", order.id, world.people["sales"])
    return world.get(order)


@pytest.mark.parametrize(
    "change",
    [{"amount": 1}, {"name": "Renamed"}, {"amount": 1, "note": "also"}],
    ids=["amount", "name", "amount-and-note"],
)
@pytest.mark.parametrize("dry_run", [False, True], ids=["write", "dry-run"])
def test_locked_fields_are_refused_while_pending(
    world: FlowWorld, change: dict, dry_run: bool
) -> None:
    order = pending_order(world)
    with pytest.raises(ValidationFailed) as refused:
        world.records.update("order", order.id, change, order.version, dry_run=dry_run)
    locked = {k for k in change if k != "note"}
    assert set(refused.value.errors) == locked
    assert all("awaits approval" in refused.value.errors[k][0] for k in locked)
    assert world.get(order).values == order.values


def test_unlocked_fields_may_change_while_pending(world: FlowWorld) -> None:
    order = pending_order(world)
    changed = world.records.update("order", order.id, {"note": "second"}, order.version)
    assert changed["note"] == "second"


def test_writing_a_locked_field_unchanged_is_no_change(world: FlowWorld) -> None:
    order = pending_order(world)
    world.records.update("order", order.id, {"amount": order["amount"]}, order.version)


def test_a_pending_record_cannot_be_deleted(world: FlowWorld) -> None:
    order = pending_order(world)
    with pytest.raises(ValidationFailed, match="withdraw the request first"):
        world.records.delete("order", order.id, order.version)
    assert world.get(order).id == order.id


@pytest.mark.parametrize("ending", ["approve", "reject", "withdraw"])
def test_fields_unlock_when_the_request_ends(world: FlowWorld, ending: str) -> None:
    order = pending_order(world)
    if ending == "withdraw":
        world.flows.withdraw("order", order.id, world.people["sales"])
    else:
        (task,) = world.flows.tasks_for(world.people["director"])
        world.flows.act(ending, world.people["director"], task=task.id, comment="no")
    current = world.get(order)
    assert world.records.update("order", order.id, {"amount": 7}, current.version)["amount"] == 7


def test_a_writable_state_field_is_locked_too(make_world: MakeWorld) -> None:
    """The reference app keeps its state in a field some roles may write: while a request is
    pending nobody may, so the state cannot be moved around the flow."""
    from .conftest import ENTITIES

    entities = {
        **ENTITIES,
        "order": {**ENTITIES["order"], "fields": dict(ENTITIES["order"]["fields"])},
    }
    entities["order"]["fields"]["status"] = {
        "type": "select",
        "options": ["draft", "pending", "approved", "rejected"],
    }
    world = make_world(flow_with(locked=None), entities)
    order = pending_order(world)
    with pytest.raises(ValidationFailed) as refused:
        world.records.update("order", order.id, {"status": "approved"}, order.version)
    assert list(refused.value.errors) == ["status"]
    assert world.get(order)["status"] == "pending"
