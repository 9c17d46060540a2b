"""The inbox (the user's open tasks, overdue first, each with its decision buttons) and "my
requests" (what the user submitted, with each request's progress through the steps)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, url_for

from ...flows.reads import RequestItem, TaskItem
from ...store.actor import Actor
from ..context import actor, model, runtime
from . import flows
from .panel import STYLES, Button
from .posted import Posted
from .records import describe, record_url

#: The decisions an inbox offers on each task (handing over is on the record's page).
DECISIONS = ("approve", "reject", "return")


@dataclass(frozen=True)
class TaskCard:
    """A task as the inbox shows it."""

    task: TaskItem
    name: str
    url: str
    buttons: list[Button]
    posted: Posted


def task_card(task: TaskItem, user: Actor, posted: Posted | None = None) -> TaskCard:
    flow = model().flow_of(task.entity)
    own = task.submitted_by == user.id and not (flow is not None and flow.self_approval)
    buttons = [
        Button(
            action,
            url_for("flows.task_action", task_id=task.id, action=action),
            STYLES.get(action, ""),
            needs_comment=action != "approve",
        )
        for action in DECISIONS
        if not (action == "approve" and own)
    ]
    return TaskCard(
        task=task,
        name=describe(task.entity, task.record_id, task.record_title),
        url=record_url(task.entity, task.record_id),
        buttons=buttons,
        posted=posted or Posted(origin="inbox"),
    )


def open_task(user: Actor, task_id: int) -> TaskItem | None:
    """The user's task `task_id` if it is still open."""
    return next((t for t in runtime().flows.tasks_for(user) if t.id == task_id), None)


@flows.get("/inbox")
def inbox() -> str:
    user = actor()
    assert user is not None
    cards = [task_card(task, user) for task in runtime().flows.tasks_for(user)]
    return render_template("flows/inbox.html", cards=cards)


@dataclass(frozen=True)
class RequestRow:
    """A request of the user's, with how far it got."""

    item: RequestItem
    name: str
    url: str
    #: Steps approved so far, of the steps that apply (skipped ones do not).
    approved: int
    applicable: int


def request_row(item: RequestItem) -> RequestRow:
    steps = [s for s in item.steps if s.status != "skipped"]
    return RequestRow(
        item=item,
        name=describe(item.entity, item.record_id, item.record_title),
        url=record_url(item.entity, item.record_id),
        approved=sum(1 for s in steps if s.status == "done"),
        applicable=len(steps),
    )


@flows.get("/requests")
def my_requests() -> str:
    user = actor()
    assert user is not None
    rows = [request_row(item) for item in runtime().flows.requests_of(user)]
    return render_template("flows/requests.html", rows=rows)
