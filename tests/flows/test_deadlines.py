"""Deadlines: `tick` escalates overdue tasks to their step's escalation target, sends an
overdue notice once and reminders at their pace; overdue tasks head the inbox."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from formwork.cli import main
from formwork.flows.ticker import Ticker
from formwork.store.database import Database, sqlite_url

from .conftest import FlowWorld, MakeWorld, flow_with, open_world, write_flow_package


def deadline_flow(**step: object) -> dict:
    return flow_with(
        steps=[
            {"name": "review", "approvers": [{"role": "director"}], "due_hours": 48, **step},
            {"name": "finance", "approvers": [{"role": "finance"}]},
        ]
    )


def kinds(world: FlowWorld, username: str) -> list[str]:
    return [n.kind for n in world.flows.notifications(world.people[username])]


@pytest.fixture
def escalating(make_world: MakeWorld) -> FlowWorld:
    world = make_world(deadline_flow(escalate_to=[{"role": "executive"}]))
    world.flows.submit("order", world.order().id, world.people["sales"])
    return world


def test_nothing_happens_before_the_deadline(escalating: FlowWorld) -> None:
    escalating.clock.advance(hours=47)
    report = escalating.flows.tick()
    assert (report.escalated, report.overdue, report.reminded) == (0, 0, 0)
    assert escalating.flows.overdue() == []


def test_an_overdue_task_moves_to_the_escalation_target_once(escalating: FlowWorld) -> None:
    world = escalating
    (task,) = world.flows.tasks_for(world.people["director"])
    world.clock.advance(hours=48, minutes=1)
    assert [t.id for t in world.flows.overdue()] == [task.id]

    assert world.flows.tick().escalated == 1
    assert world.flows.tick().escalated == 0

    assert world.flows.tasks_for(world.people["director"]) == []
    (escalated,) = world.flows.tasks_for(world.people["executive"])
    assert escalated.step == "review"
    assert kinds(world, "director") == ["escalated", "task"]
    assert kinds(world, "executive") == ["task"]
    outcome = world.flows.approve(escalated.id, world.people["executive"])
    assert (outcome.status, outcome.step) == ("pending", "finance")
    entries = world.flows.timeline("order", escalated.record_id, world.people["sales"])
    escalate = next(e for e in entries if e.action == "escalate")
    assert (escalate.user_name, escalate.to_names) == (None, ("Executive",))


def test_an_escalated_task_cannot_be_decided_by_its_old_holder(escalating: FlowWorld) -> None:
    from formwork.flows.errors import FlowConflict

    (task,) = escalating.flows.tasks_for(escalating.people["director"])
    escalating.clock.advance(hours=49)
    escalating.flows.tick()
    with pytest.raises(FlowConflict, match="escalated"):
        escalating.flows.approve(task.id, escalating.people["director"])


def test_without_an_escalation_target_the_holder_is_told_once(make_world: MakeWorld) -> None:
    world = make_world(deadline_flow())
    world.flows.submit("order", world.order("Late").id, world.people["sales"])
    world.flows.submit("order", world.order("Early").id, world.people["sales"])
    world.clock.advance(hours=1)
    world.flows.submit("order", world.order("Later").id, world.people["sales"])
    world.clock.advance(hours=47, minutes=30)

    assert world.flows.tick().overdue == 2
    assert world.flows.tick().overdue == 0
    assert kinds(world, "director").count("overdue") == 2
    inbox = world.flows.tasks_for(world.people["director"])
    assert [(t.record_title, t.overdue) for t in inbox] == [
        ("Late", True),
        ("Early", True),
        ("Later", False),
    ]


def test_reminders_go_out_at_their_pace(make_world: MakeWorld) -> None:
    world = make_world(deadline_flow(remind_every_hours=8))
    world.flows.submit("order", world.order().id, world.people["sales"])
    sent = []
    for hours in (7, 1, 1, 6, 1):  # at 7, 8, 9, 15 and 16 hours
        world.clock.advance(hours=hours)
        sent.append(world.flows.tick().reminded)
    assert sent == [0, 1, 0, 0, 1]
    assert kinds(world, "director") == ["reminder", "reminder", "task"]


def test_a_decided_task_gets_no_more_reminders(make_world: MakeWorld) -> None:
    world = make_world(deadline_flow(remind_every_hours=1))
    world.flows.submit("order", world.order().id, world.people["sales"])
    (task,) = world.flows.tasks_for(world.people["director"])
    world.flows.approve(task.id, world.people["director"])
    world.clock.advance(hours=50)
    assert world.flows.tick().reminded == 0


def test_the_background_ticker_runs_the_job(escalating: FlowWorld) -> None:
    escalating.clock.advance(hours=49)
    ticker = Ticker(escalating.flows, interval=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while not escalating.flows.tasks_for(escalating.people["executive"]):
            assert time.monotonic() < deadline, "the ticker did not escalate"
            time.sleep(0.05)
    finally:
        ticker.stop()


def test_formwork_tick_runs_the_flows_job(tmp_path: Path) -> None:
    from formwork.store.schema_sync import apply_sync

    package = write_flow_package(tmp_path, deadline_flow(escalate_to=[{"role": "executive"}]))
    db = Database(sqlite_url(tmp_path))
    world = open_world(db, package, tmp_path / "files")
    apply_sync(db, world.app, world.records.tables, backup_dir=tmp_path)
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    with db.write() as conn:  # the task was due yesterday
        tasks = world.records.tables.system("fw_flow_task")
        conn.execute(tasks.update().values(due_at=world.clock.now.replace(year=2020)))
    db.dispose()

    args = ["--package", str(package), "--database", sqlite_url(tmp_path)]
    result = CliRunner().invoke(main, ["tick", *args], env={"FORMWORK_INSTANCE": str(tmp_path)})

    assert result.exit_code == 0, result.output
    assert "approval tasks escalated: 1, overdue: 0, reminded: 0" in result.output
