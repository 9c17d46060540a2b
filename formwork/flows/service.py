"""`FlowService`: the one way the web UI, the CLI and tests use approval flows.

It wires the engine's parts over one record service and installs the guard that locks
fields while requests are pending (so the record service refuses those writes from every
caller). Actions raise the record service's errors (see `flows.errors`); reads return plain
dataclasses (see `flows.reads`). docs/flows.md describes the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..metamodel.model import Flow
from ..store.actor import Actor
from ..store.records import RecordService
from .deadlines import DeadlineReport, Deadlines
from .engine import FlowEngine, Outcome
from .errors import ActionRefused
from .formulas import FlowFormulas
from .guard import LockGuard
from .notifications import Notification, Notifications
from .people import People
from .reads import (
    AvailableAction,
    FlowReads,
    FlowStatus,
    RequestItem,
    StrayRecord,
    TaskItem,
    TimelineEntry,
)
from .versions import FlowVersions

#: What `act` accepts, and what each needs: a task of the user's, or the record.
ACTIONS = (
    "submit",
    "approve",
    "reject",
    "return",
    "withdraw",
    "delegate",
    "transfer",
    "add_approver",
)


@dataclass(frozen=True, slots=True)
class TickReport:
    """What one run of the periodic job did, and the records it found stranded."""

    escalated: int
    overdue: int
    reminded: int
    strays: tuple[StrayRecord, ...]


class FlowService:
    def __init__(
        self, records: RecordService, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.records = records
        self.app = records.app
        self.clock = clock or records.clock
        self.versions = FlowVersions(records.tables)
        people = People(records.tables)
        formulas = FlowFormulas(records.app, records.rules.functions)
        self.notices = Notifications(records.db, records.tables)
        self.engine = FlowEngine(records, self.versions, people, formulas, self.notices, self.clock)
        self.reads = FlowReads(records, self.versions, people, formulas)
        self.deadlines = Deadlines(records.db, self.engine, self.versions, self.notices)
        if not any(isinstance(g, LockGuard) for g in records.guards):
            records.guards.append(LockGuard(records.app, records.tables, self.versions))

    def flow_of(self, entity: str) -> Flow | None:
        """The current version of the entity's flow, if it has one."""
        return self.app.flow_of(entity)

    # -- actions ---------------------------------------------------------------------------
    def act(
        self,
        action: str,
        user: Actor,
        *,
        entity: str | None = None,
        id: Any = None,
        task: Any = None,
        comment: str | None = None,
        to: Any = None,
    ) -> Outcome:
        """Take `action` (one of ACTIONS) as `user`: submit and withdraw name the record
        (`entity`, `id`), the others the user's `task`; delegate, transfer and add_approver
        name another user (`to`, a user id); reject and return need a `comment`."""
        if action in ("submit", "withdraw"):
            if entity is None or id is None:
                raise ActionRefused.record("unknown_action", action=action)
            if action == "submit":
                return self.submit(entity, id, user, comment)
            return self.withdraw(entity, id, user, comment)
        if action in ("approve", "reject", "return"):
            return self.engine.decide(task, action, user, comment)
        if action in ("delegate", "transfer"):
            return self.engine.reassign(task, action, user, to, comment)
        if action == "add_approver":
            return self.add_approver(task, user, to, comment)
        raise ActionRefused.record("unknown_action", action=action)

    def submit(self, entity: str, id: Any, user: Actor, comment: str | None = None) -> Outcome:
        return self.engine.submit(entity, id, user, comment)

    def approve(self, task: Any, user: Actor, comment: str | None = None) -> Outcome:
        return self.engine.decide(task, "approve", user, comment)

    def reject(self, task: Any, user: Actor, comment: str | None) -> Outcome:
        return self.engine.decide(task, "reject", user, comment)

    def return_for_changes(self, task: Any, user: Actor, comment: str | None) -> Outcome:
        return self.engine.decide(task, "return", user, comment)

    def withdraw(self, entity: str, id: Any, user: Actor, comment: str | None = None) -> Outcome:
        return self.engine.withdraw(entity, id, user, comment)

    def delegate(self, task: Any, user: Actor, to: Any, comment: str | None = None) -> Outcome:
        return self.engine.reassign(task, "delegate", user, to, comment)

    def transfer(self, task: Any, user: Actor, to: Any, comment: str | None = None) -> Outcome:
        return self.engine.reassign(task, "transfer", user, to, comment)

    def add_approver(self, task: Any, user: Actor, to: Any, comment: str | None = None) -> Outcome:
        return self.engine.add_approver(task, user, to, comment)

    # -- reads -----------------------------------------------------------------------------
    def tasks_for(self, user: Actor) -> list[TaskItem]:
        """The user's open tasks (their inbox): overdue first, then by deadline."""
        return self.reads.tasks_for(user, self.clock())

    def requests_of(self, user: Actor, limit: int = 100) -> list[RequestItem]:
        """The user's own requests, newest first, with their progress."""
        return self.reads.requests_of(user, limit)

    def status(self, entity: str, id: Any, user: Actor) -> FlowStatus | None:
        """For a record's page: its state, latest request and the user's actions."""
        return self.reads.status(entity, id, user)

    def available_actions(self, entity: str, id: Any, user: Actor) -> list[AvailableAction]:
        return self.reads.available_actions(entity, id, user)

    def timeline(self, entity: str, id: Any, user: Actor) -> list[TimelineEntry]:
        """The record's flow history, oldest first: who, when, what, comment."""
        return self.reads.timeline(entity, id, user)

    def overdue(self) -> list[TaskItem]:
        """Every open task past its deadline."""
        return self.reads.overdue(self.clock())

    def strays(self) -> list[StrayRecord]:
        """Records in a state the current flow no longer has."""
        return self.reads.strays()

    # -- notifications ---------------------------------------------------------------------
    def notifications(
        self, user: Actor, unread_only: bool = False, limit: int = 50
    ) -> list[Notification]:
        return self.notices.of(user.id, unread_only, limit)

    def unread_count(self, user: Actor) -> int:
        return self.notices.unread_count(user.id)

    def mark_read(self, user: Actor, ids: Iterable[int] | None = None) -> int:
        """Mark the user's notifications `ids` (all: None) read; returns how many."""
        return self.notices.mark_read(user.id, ids, self.clock())

    # -- the periodic job ------------------------------------------------------------------
    def tick(self) -> TickReport:
        """Escalate overdue tasks, send overdue notices and reminders, list stray records."""
        report: DeadlineReport = self.deadlines.run(self.clock())
        return TickReport(report.escalated, report.overdue, report.reminded, tuple(self.strays()))
