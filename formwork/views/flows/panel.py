"""The approval panel of a record's page: its state, its latest request's progress, the
flow's timeline (who, when, decision, comment) and buttons for the actions the user may take.

`records/_detail_flow.html` calls `flow_panel(entity, record)` (a template global); the action
routes build the panel again, with what was posted, when they show a refusal in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for

from ...flows.reads import AvailableAction, FlowStatus, TimelineEntry
from ...metamodel.model import Entity
from ...store.records import Record
from ..context import actor, runtime
from .posted import Posted
from .records import people_except


@dataclass(frozen=True, slots=True)
class Button:
    """One action's button: where it posts and how it looks."""

    action: str
    url: str
    style: str = ""
    needs_comment: bool = False


#: Button looks (formwork.css classes) by action; others are the plain primary button.
STYLES = {"reject": "danger", "return": "secondary", "withdraw": "secondary"}


def button(action: AvailableAction, entity: str, record_id: int) -> Button:
    if action.task_id is not None:
        url = url_for("flows.task_action", task_id=action.task_id, action=action.action)
    else:
        url = url_for("flows.record_action", entity=entity, id=record_id, action=action.action)
    return Button(action.action, url, STYLES.get(action.action, ""), action.needs_comment)


@dataclass(frozen=True)
class FlowPanel:
    entity: Entity
    record_id: int
    status: FlowStatus
    timeline: list[TimelineEntry]
    #: Actions taken with an optional or required comment: submit, approve, reject…
    decide: list[Button]
    #: Actions that hand the task to someone (delegate, transfer, add an approver).
    handover: list[Button]
    #: Whom the task can be handed to: (user id, name).
    people: list[tuple[int, str]] = field(default_factory=list)
    posted: Posted = field(default_factory=Posted)

    @property
    def needs_comment(self) -> bool:
        return any(b.needs_comment for b in self.decide)


def build_panel(entity: Entity, record_id: int, posted: Posted | None = None) -> FlowPanel | None:
    """The panel for the signed-in user; None when the entity has no flow. NotFound or
    Forbidden when the user may neither read the record nor holds a task on it."""
    user = actor()
    assert user is not None
    flows = runtime().flows
    status = flows.status(entity.name, record_id, user)
    if status is None:
        return None
    buttons = [button(a, entity.name, record_id) for a in status.actions]
    handover = [b for b, a in zip(buttons, status.actions, strict=True) if a.needs_user]
    return FlowPanel(
        entity=entity,
        record_id=record_id,
        status=status,
        timeline=flows.timeline(entity.name, record_id, user),
        decide=[b for b in buttons if b not in handover],
        handover=handover,
        people=people_except(user, _submitter(status)) if handover else [],
        posted=posted or Posted(),
    )


def _submitter(status: FlowStatus) -> int | None:
    """Who may not be handed the task: the submitter, unless they may approve their own."""
    if status.request is None or status.flow.self_approval:
        return None
    return status.request.submitted_by


def flow_panel(entity: Entity, record: Record) -> FlowPanel | None:
    """Template global for the record's page."""
    return build_panel(entity, record.id)
