"""Editing a flow never breaks requests in flight: they finish on the version they started on,
while new requests follow the new one; records left in a state the new version lacks are
reported, and kept as they are."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import sqlalchemy as sa

from formwork.flows.errors import FlowBroken
from formwork.flows.tables import VERSION_TABLE
from formwork.metamodel import load_app

from .conftest import ENTITIES, FLOW, FlowWorld, flow_with, write_flow_package


def inbox(world: FlowWorld, username: str) -> list[int]:
    return [t.id for t in world.flows.tasks_for(world.people[username])]


def approve(world: FlowWorld, username: str) -> str:
    (task,) = inbox(world, username)
    return world.flows.approve(task, world.people[username]).status


def new_version(
    world: FlowWorld, tmp_path: Path, flow: dict, entities: dict | None = None
) -> FlowWorld:
    return world.reopen(write_flow_package(tmp_path, flow, entities))


#: v2: a legal review instead of finance and executive; no "rejected" state any more (a
#: rejection reopens to draft); the note is locked instead of the amount.
V2 = flow_with(
    states={k: v for k, v in FLOW["states"].items() if k != "rejected"},
    submit={"state": "pending", "from": ["draft"], "roles": ["sales"]},
    steps=[
        {"name": "director", "label": "Director v2", "approvers": [{"role": "director"}]},
        {"name": "legal", "approvers": [{"role": "admin"}]},
    ],
    locked=["note"],
    on_reject=None,
)


def test_a_request_in_flight_finishes_on_the_version_it_started_on(
    world: FlowWorld, tmp_path: Path
) -> None:
    old = world.order("Old", amount=6_000_000)
    world.flows.submit("order", old.id, world.people["sales"])
    world = new_version(world, tmp_path, V2)
    new = world.order("New", amount=6_000_000)
    world.flows.submit("order", new.id, world.people["sales"])

    labels = {
        t.record_title: t.step_label.get("en")
        for t in world.flows.tasks_for(world.people["director"])
    }
    assert labels == {"Old": "director", "New": "Director v2"}
    by_title = {t.record_title: t.id for t in world.flows.tasks_for(world.people["director"])}
    for title in ("Old", "New"):
        world.flows.approve(by_title[title], world.people["director"])
    assert [t.record_title for t in world.flows.tasks_for(world.people["finance"])] == ["Old"]
    assert [t.record_title for t in world.flows.tasks_for(world.people["admin"])] == ["New"]
    assert approve(world, "finance") == "pending"
    assert approve(world, "executive") == "approved"
    assert approve(world, "admin") == "approved"
    with world.db.read() as conn:
        versions = conn.execute(
            sa.select(sa.func.count()).select_from(world.records.tables.system(VERSION_TABLE))
        ).scalar()
    assert versions == 2


def test_a_request_in_flight_keeps_its_versions_locked_fields(
    world: FlowWorld, tmp_path: Path
) -> None:
    from formwork.store.errors import ValidationFailed

    order = world.order(note="n")
    world.flows.submit("order", order.id, world.people["sales"])
    world = new_version(world, tmp_path, V2)
    current = world.get(order)
    with pytest.raises(ValidationFailed):
        world.records.update("order", order.id, {"amount": 5}, current.version)
    assert world.records.update("order", order.id, {"note": "changed"}, current.version)


def test_a_state_gone_from_the_new_version_is_reported_not_lost(
    world: FlowWorld, tmp_path: Path
) -> None:
    rejected_before = world.order("Rejected before")
    world.flows.submit("order", rejected_before.id, world.people["sales"])
    (task,) = inbox(world, "director")
    world.flows.reject(task, world.people["director"], "No")
    in_flight = world.order("In flight")
    world.flows.submit("order", in_flight.id, world.people["sales"])

    entities = copy.deepcopy(ENTITIES)
    entities["order"]["fields"]["status"]["options"] = ["draft", "pending", "approved"]
    world = new_version(world, tmp_path, V2, entities)

    assert world.get(rejected_before)["status"] == "rejected"
    assert [(s.record_id, s.state) for s in world.flows.strays()] == [
        (rejected_before.id, "rejected")
    ]
    # the request in flight is rejected on its own version: into "rejected" too
    (task,) = inbox(world, "director")
    world.flows.reject(task, world.people["director"], "No either")
    assert world.get(in_flight)["status"] == "rejected"
    report = world.flows.tick()
    assert [s.record_id for s in report.strays] == [rejected_before.id, in_flight.id]
    # a record in a lost state cannot be submitted again, but nothing about it was changed
    assert world.flows.available_actions("order", in_flight.id, world.people["sales"]) == []


def test_an_old_version_that_no_longer_fits_the_config_writes_nothing(
    world: FlowWorld, tmp_path: Path
) -> None:
    """v1's finance step tests `amount`; a config without that field cannot run it."""
    order = world.order(amount=6_000_000)
    world.flows.submit("order", order.id, world.people["sales"])
    entities = copy.deepcopy(ENTITIES)
    del entities["order"]["fields"]["amount"]
    v2 = flow_with(locked=["name"], steps=[FLOW["steps"][0]])
    world = new_version(world, tmp_path, v2, entities)
    (task,) = inbox(world, "director")
    with pytest.raises(FlowBroken, match="amount"):
        world.flows.approve(task, world.people["director"])
    assert inbox(world, "director") == [task]
    assert world.get(order)["status"] == "pending"


def test_the_stored_form_round_trips_and_keys_by_content(tmp_path: Path) -> None:
    from formwork.metamodel.model import Flow

    flow = load_app(write_flow_package(tmp_path, FLOW)).flows["order_approval"]
    again = Flow.from_document(flow.to_document())
    assert again.to_document() == flow.to_document()
    assert again.version_key() == flow.version_key()
    relabelled = load_app(write_flow_package(tmp_path, flow_with(label="Renamed"))).flows
    assert relabelled["order_approval"].version_key() != flow.version_key()
