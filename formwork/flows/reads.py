"""What the UI shows of flows: inboxes, requests with their progress, a record's timeline,
the actions a user may take, overdue tasks, and records stranded by a new flow version.

Everything here only reads. Labels (flow, steps, states) come from the version a request
runs on, so an inbox shows what the approver is actually deciding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import Flow, Label
from ..rules.rulebook import formula_view
from ..store.actor import Actor
from ..store.errors import Forbidden, NotFound
from ..store.formula_context import StoreContext
from ..store.records import RecordService, record_id
from .formulas import FlowFormulas
from .guard import open_key
from .people import People
from .tables import EVENT_TABLE, REQUEST_TABLE, TASK_TABLE
from .versions import FlowVersions

#: Actions on a task of the user's, in the order buttons show them.
TASK_ACTIONS = ("approve", "reject", "return", "delegate", "transfer", "add_approver")


@dataclass(frozen=True, slots=True)
class TaskItem:
    """An open task, as an inbox lists it."""

    id: int
    request_id: int
    flow_label: Label
    entity: str
    record_id: int
    record_title: str | None
    step: str
    step_label: Label
    assignee: int
    submitted_by: int | None
    submitted_by_name: str
    submitted_at: dt.datetime
    created_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool
    #: For a delegated task: the name of whom the assignee decides for.
    on_behalf_of_name: str | None = None


@dataclass(frozen=True, slots=True)
class StepProgress:
    """A step of a request: done, skipped, current, upcoming (pending requests), rejected,
    returned or withdrawn (where the request ended), not_reached (after where it ended)."""

    name: str
    label: Label
    status: str
    #: For the current step: who still has to decide.
    waiting_on: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RequestItem:
    """A request with its progress through the steps."""

    id: int
    flow_label: Label
    entity: str
    record_id: int
    record_title: str | None
    #: pending, approved, rejected, returned, withdrawn
    status: str
    submitted_by: int | None
    submitted_by_name: str
    submitted_at: dt.datetime
    finished_at: dt.datetime | None
    steps: tuple[StepProgress, ...]

    @property
    def current(self) -> StepProgress | None:
        return next((s for s in self.steps if s.status == "current"), None)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event of a record's flow history: who, when, what, with which comment."""

    at: dt.datetime
    action: str
    user_name: str | None
    step_label: Label | None
    comment: str | None
    request_id: int
    #: For delegations, transfers, added approvers and escalations: to whom (names).
    to_names: tuple[str, ...] = ()
    #: For a decision on someone's behalf: their name.
    on_behalf_of_name: str | None = None
    #: For the end of a request: its outcome and the state moved to.
    outcome: str | None = None
    state_label: Label | None = None


@dataclass(frozen=True, slots=True)
class AvailableAction:
    """An action the user may take now; `task_id` for actions on their task."""

    action: str
    task_id: int | None = None
    #: The comment is required (reject, return).
    needs_comment: bool = False
    #: The action names another user (delegate, transfer, add_approver).
    needs_user: bool = False


@dataclass(frozen=True, slots=True)
class StrayRecord:
    """A record whose state the current version of its flow no longer has."""

    flow: str
    entity: str
    record_id: int
    state: str


@dataclass(frozen=True, slots=True)
class FlowStatus:
    """What a record's page shows: its state, its latest request and the user's actions."""

    flow: Flow
    state: str
    state_label: Label | None
    request: RequestItem | None
    actions: tuple[AvailableAction, ...] = field(default_factory=tuple)


class FlowReads:
    def __init__(
        self,
        records: RecordService,
        versions: FlowVersions,
        people: People,
        formulas: FlowFormulas,
    ) -> None:
        self.records = records
        self.app = records.app
        self.db = records.db
        self.tables = records.tables
        self.versions = versions
        self.people = people
        self.formulas = formulas
        self.requests = self.tables.system(REQUEST_TABLE)
        self.tasks = self.tables.system(TASK_TABLE)
        self.events = self.tables.system(EVENT_TABLE)

    # -- inboxes ---------------------------------------------------------------------------
    def tasks_for(self, user: Actor, now: dt.datetime) -> list[TaskItem]:
        """The user's open tasks: overdue first, then by deadline, then oldest first."""
        return self._tasks(self.tasks.c.assignee == user.id, now)

    def overdue(self, now: dt.datetime) -> list[TaskItem]:
        """Everyone's open tasks past their deadline."""
        return self._tasks(self.tasks.c.due_at <= now, now)

    def _tasks(self, where: Any, now: dt.datetime) -> list[TaskItem]:
        t, r = self.tasks, self.requests
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(t, r.c.version, r.c.entity, r.c.record_id, r.c.submitted_by)
                .add_columns(r.c.submitted_at)
                .join(r, r.c.id == t.c.request_id)
                .where(where, t.c.status == "open", r.c.status == "pending")
            ).all()
            names = self._names(
                conn, [x for row in rows for x in (row.submitted_by, row.on_behalf_of)]
            )
            titles = self._titles(conn, [(row.entity, row.record_id) for row in rows])
            items = []
            for row in rows:
                flow = self.versions.get(conn, row.version)
                step = flow.steps[row.step_index]
                items.append(
                    TaskItem(
                        id=row.id,
                        request_id=row.request_id,
                        flow_label=flow.label,
                        entity=row.entity,
                        record_id=row.record_id,
                        record_title=titles.get((row.entity, row.record_id)),
                        step=step.name,
                        step_label=step.label,
                        assignee=row.assignee,
                        submitted_by=row.submitted_by,
                        submitted_by_name=names.get(row.submitted_by, ""),
                        submitted_at=row.submitted_at,
                        created_at=row.created_at,
                        due_at=row.due_at,
                        overdue=row.due_at is not None and row.due_at <= now,
                        on_behalf_of_name=names.get(row.on_behalf_of),
                    )
                )
        far = dt.datetime.max.replace(tzinfo=dt.UTC)
        return sorted(items, key=lambda i: (not i.overdue, i.due_at or far, i.created_at, i.id))

    def requests_of(self, user: Actor, limit: int = 100) -> list[RequestItem]:
        """The user's requests, newest first, with their progress."""
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(self.requests)
                .where(self.requests.c.submitted_by == user.id)
                .order_by(self.requests.c.id.desc())
                .limit(limit)
            ).all()
            return self._request_items(conn, rows)

    # -- one record ------------------------------------------------------------------------
    def status(self, entity: str, id: Any, user: Actor) -> FlowStatus | None:
        """The record's flow state, latest request and the user's actions (None: the entity
        has no flow). NotFound / Forbidden unless the user may see the record or has a task
        on it."""
        flow = self.app.flow_of(entity)
        if flow is None:
            return None
        id = record_id(entity, id)
        record = self._visible(entity, id, user)
        with self.db.read() as conn:
            if record is None:
                table = self.tables[entity]
                row = conn.execute(sa.select(table).where(table.c.id == id)).mappings().first()
                values = dict(row) if row else {}
            else:
                values = dict(record.values)
            state = values.get(flow.state_field) or flow.initial
            latest = conn.execute(
                sa.select(self.requests)
                .where(self.requests.c.entity == entity, self.requests.c.record_id == id)
                .order_by(self.requests.c.id.desc())
                .limit(1)
            ).all()
            request = self._request_items(conn, latest)[0] if latest else None
            actions = self._actions(conn, flow, entity, id, values, state, user, record)
        return FlowStatus(flow, state, flow.state_label(state), request, tuple(actions))

    def available_actions(self, entity: str, id: Any, user: Actor) -> list[AvailableAction]:
        """The actions `user` may take on the record now (buttons show only these)."""
        status = self.status(entity, id, user)
        return list(status.actions) if status else []

    def timeline(self, entity: str, id: Any, user: Actor) -> list[TimelineEntry]:
        """The record's flow history, oldest first, over all its requests."""
        id = record_id(entity, id)
        self._visible(entity, id, user)
        e = self.events
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(e, self.requests.c.version)
                .join(self.requests, self.requests.c.id == e.c.request_id)
                .where(e.c.entity == entity, e.c.record_id == id)
                .order_by(e.c.id)
            ).all()
            people: list[int | None] = [r.user_id for r in rows]
            for r in rows:
                people += [*_as_list(r.detail.get("to")), r.detail.get("on_behalf_of")]
            names = self._names(conn, people)
            entries = []
            for r in rows:
                flow = self.versions.get(conn, r.version)
                step = next((s for s in flow.steps if s.name == r.step), None)
                behalf = r.detail.get("on_behalf_of")
                state = (r.detail.get("state") or [None, None])[1]
                entries.append(
                    TimelineEntry(
                        at=r.at,
                        action=r.action,
                        user_name=names.get(r.user_id),
                        step_label=step.label if step else None,
                        comment=r.comment,
                        request_id=r.request_id,
                        to_names=tuple(names.get(u, "?") for u in _as_list(r.detail.get("to"))),
                        on_behalf_of_name=names.get(behalf) if behalf else None,
                        outcome=r.detail.get("status"),
                        state_label=flow.state_label(state) if state else None,
                    )
                )
        return entries

    def strays(self) -> list[StrayRecord]:
        """Records in a state their flow's current version does not have (and no request
        in flight): kept as they are, and listed so someone can move them on."""
        found = []
        with self.db.read() as conn:
            for flow in self.app.flows.values():
                table = self.tables[flow.entity]
                column = table.c[flow.state_field]
                pending = sa.select(self.requests.c.record_id).where(
                    self.requests.c.entity == flow.entity, self.requests.c.open_key.is_not(None)
                )
                rows = conn.execute(
                    sa.select(table.c.id, column)
                    .where(
                        column.is_not(None),
                        column.not_in(list(flow.states)),
                        table.c.id.not_in(pending),
                    )
                    .order_by(table.c.id)
                )
                found += [StrayRecord(flow.name, flow.entity, row[0], row[1]) for row in rows]
        return found

    # -- helpers ---------------------------------------------------------------------------
    def _visible(self, entity: str, id: int, user: Actor) -> Any:
        """The record as the user may see it; None when they may not but hold (or held) a
        task on it — approvers see what they decide."""
        try:
            return self.records.get(entity, id, user)
        except (NotFound, Forbidden):
            with self.db.read() as conn:
                had_task = conn.execute(
                    sa.select(self.tasks.c.id)
                    .join(self.requests, self.requests.c.id == self.tasks.c.request_id)
                    .where(
                        self.requests.c.entity == entity,
                        self.requests.c.record_id == id,
                        self.tasks.c.assignee == user.id,
                    )
                    .limit(1)
                ).first()
            if had_task is None:
                raise
            return None

    def _actions(
        self,
        conn: Connection,
        flow: Flow,
        entity: str,
        id: int,
        values: dict[str, Any],
        state: str,
        user: Actor,
        record: Any,
    ) -> list[AvailableAction]:
        pending = conn.execute(
            sa.select(self.requests).where(self.requests.c.open_key == open_key(entity, id))
        ).first()
        if pending is None:
            if record is not None and self._may_submit(conn, flow, entity, id, values, state, user):
                return [AvailableAction("submit")]
            return []
        actions = []
        pinned = self.versions.get(conn, pending.version)
        mine = conn.execute(
            sa.select(self.tasks.c.id).where(
                self.tasks.c.request_id == pending.id,
                self.tasks.c.assignee == user.id,
                self.tasks.c.status == "open",
            )
        ).first()
        if mine is not None:
            own = pending.submitted_by == user.id and not pinned.self_approval
            for action in TASK_ACTIONS:
                if action == "approve" and own:
                    continue
                actions.append(
                    AvailableAction(
                        action,
                        mine.id,
                        needs_comment=action in ("reject", "return"),
                        needs_user=action in ("delegate", "transfer", "add_approver"),
                    )
                )
        if pending.submitted_by == user.id:
            actions.append(AvailableAction("withdraw"))
        return actions

    def _may_submit(
        self,
        conn: Connection,
        flow: Flow,
        entity: str,
        id: int,
        values: dict[str, Any],
        state: str,
        user: Actor,
    ) -> bool:
        if state not in flow.submit.sources:
            return False
        if flow.submit.roles and not set(user.roles) & set(flow.submit.roles):
            return False
        if not flow.submit.when:
            return True
        ctx = StoreContext(conn, self.app, self.tables, self.records.clock().date())
        view = formula_view(self.app.entity(entity), values, id)
        return self.formulas.holds(ctx, entity, view, flow.submit.when)

    def _request_items(self, conn: Connection, rows: list[sa.Row]) -> list[RequestItem]:
        ids = [row.id for row in rows]
        tasks = conn.execute(
            sa.select(
                self.tasks.c.request_id, self.tasks.c.step_index, self.tasks.c.assignee
            ).where(self.tasks.c.request_id.in_(ids), self.tasks.c.status == "open")
        ).all()
        skipped = {
            (e.request_id, e.step)
            for e in conn.execute(
                sa.select(self.events.c.request_id, self.events.c.step).where(
                    self.events.c.request_id.in_(ids), self.events.c.action == "skip"
                )
            )
        }
        names = self._names(conn, [row.submitted_by for row in rows] + [t.assignee for t in tasks])
        titles = self._titles(conn, [(row.entity, row.record_id) for row in rows])
        items = []
        for row in rows:
            flow = self.versions.get(conn, row.version)
            waiting = tuple(
                names.get(t.assignee, "?")
                for t in tasks
                if t.request_id == row.id and t.step_index == row.step_index
            )
            steps = tuple(
                _progress(
                    row, index, step.name, step.label, (row.id, step.name) in skipped, waiting
                )
                for index, step in enumerate(flow.steps)
            )
            items.append(
                RequestItem(
                    id=row.id,
                    flow_label=flow.label,
                    entity=row.entity,
                    record_id=row.record_id,
                    record_title=titles.get((row.entity, row.record_id)),
                    status=row.status,
                    submitted_by=row.submitted_by,
                    submitted_by_name=names.get(row.submitted_by, ""),
                    submitted_at=row.submitted_at,
                    finished_at=row.finished_at,
                    steps=steps,
                )
            )
        return items

    def _names(self, conn: Connection, ids: Iterable[int | None]) -> dict[int, str]:
        return {i: p.display_name for i, p in self.people.by_ids(conn, ids).items()}

    def _titles(
        self, conn: Connection, keys: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], str]:
        """Record titles (the title field's value) by (entity, id); absent without one."""
        by_entity: dict[str, set[int]] = {}
        for entity, id in keys:
            by_entity.setdefault(entity, set()).add(id)
        titles = {}
        for entity, ids in by_entity.items():
            ent = self.app.entities.get(entity)
            if ent is None or ent.title_field is None:
                continue
            table = self.tables[entity]
            rows = conn.execute(
                sa.select(table.c.id, table.c[ent.title_field]).where(table.c.id.in_(sorted(ids)))
            )
            titles.update({(entity, r[0]): str(r[1]) for r in rows if r[1] is not None})
        return titles


def _progress(
    row: sa.Row, index: int, name: str, label: Label, skipped: bool, waiting: tuple[str, ...]
) -> StepProgress:
    current = row.step_index
    if skipped:
        return StepProgress(name, label, "skipped")
    if current is None or index > current:
        later = {"approved": "done", "pending": "upcoming"}.get(row.status, "not_reached")
        return StepProgress(name, label, later)
    if index < current:
        return StepProgress(name, label, "done")
    if row.status == "pending":
        return StepProgress(name, label, "current", waiting)
    return StepProgress(name, label, {"approved": "done"}.get(row.status, row.status))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
