"""The record service's hooks the flow engine relies on: system values, write guards, and
the batch's shared connection."""

from __future__ import annotations

from typing import Any

import pytest

from formwork.store.errors import ValidationFailed

from .conftest import FlowWorld


def test_system_values_write_readonly_fields_with_audit(world: FlowWorld) -> None:
    order = world.order()
    changed = world.records.update(
        "order", order.id, {"note": "n"}, order.version, system_values={"status": "draft"}
    )
    assert (changed["status"], changed["note"]) == ("draft", "n")
    (latest, _created) = world.records.history("order", order.id)
    assert latest.changes == {"note": [None, "n"], "status": [None, "draft"]}


def test_readonly_fields_stay_refused_as_input(world: FlowWorld) -> None:
    order = world.order()
    with pytest.raises(ValidationFailed) as refused:
        world.records.update("order", order.id, {"status": "approved"}, order.version)
    assert list(refused.value.errors) == ["status"]


@pytest.mark.parametrize("name", ["nothing", "id", "version"])
def test_system_values_refuse_what_no_one_writes(world: FlowWorld, name: str) -> None:
    order = world.order()
    with pytest.raises(ValidationFailed) as refused:
        world.records.update("order", order.id, {}, order.version, system_values={name: 1})
    assert list(refused.value.errors) == [name]


def test_a_choice_the_options_no_longer_list_is_kept_not_dropped(world: FlowWorld) -> None:
    order = world.order()
    kept = world.records.update(
        "order", order.id, {}, order.version, system_values={"status": "legal_review"}
    )
    assert kept["status"] == "legal_review"


def test_guards_see_the_callers_changes_and_deletions(world: FlowWorld) -> None:
    seen: list[Any] = []
    world.records.guards.append(lambda conn, ent, current, changed: seen.append(changed))
    order = world.order()
    order = world.records.update(
        "order", order.id, {"note": "n"}, order.version, system_values={"status": "draft"}
    )
    world.records.delete("order", order.id, order.version)
    assert seen == [frozenset({"note"}), None]


def test_a_batch_shares_its_connection(world: FlowWorld) -> None:
    order = world.order()
    with pytest.raises(RuntimeError), world.records.batch() as conn:
        world.records.update("order", order.id, {"note": "gone"}, order.version)
        assert conn.in_transaction()
        raise RuntimeError("roll it all back")
    assert world.get(order)["note"] is None
