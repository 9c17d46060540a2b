"""The flow engine's actions: submit, approve, reject, return, withdraw, delegate, transfer,
add an approver, escalate.

Each action is one transaction of the record service (`RecordService.batch`): the flow's own
rows (request, tasks, events, notifications) and the record's changes (its state, the
effects' fields — written through `RecordService.update`, so validations, rules and the
audit apply) commit together or not at all.

Concurrency: an action on a request first locks the request's row (SELECT … FOR UPDATE on
PostgreSQL; on SQLite the write transaction's BEGIN IMMEDIATE already serialises writers)
and only then reads its task. Two approvers acting at once, or one clicking twice, are
therefore taken one after the other: the second finds the task decided and gets a
`FlowConflict` saying by whom, having written nothing.

Routing: steps run in order; a step whose `when` does not hold is skipped (and the skip is
in the history); its approvers are found when it starts. A step is approved once enough of
its slots approve (any: one; all: every one; N: N); it is rejected at once by a rejection in
`any` and `all` mode, and in N mode once N approvals can no longer be reached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import Effect, Entity, Flow, FlowStep
from ..rules.rulebook import formula_view
from ..store.actor import Actor
from ..store.errors import NotFound
from ..store.formula_context import StoreContext
from ..store.record import Record, record_from_row
from ..store.records import RecordService, record_id
from .errors import ActionRefused, FlowBroken, FlowConflict, NotAllowed
from .formulas import FlowFormulas, find_approvers
from .guard import open_key
from .notifications import Notifications
from .people import People, Person
from .tables import EVENT_TABLE, REQUEST_TABLE, TASK_TABLE
from .versions import FlowVersions

MAX_COMMENT = 2000
#: How each outcome reads in messages ("already approved by …").
DONE = {
    "approve": "approved",
    "reject": "rejected",
    "return": "returned",
    "withdraw": "withdrawn",
}
DECISIONS = ("approve", "reject", "return")


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a request stands after an action: pending (at `step`), approved, rejected,
    returned or withdrawn."""

    request_id: int
    status: str
    step: str | None = None


@dataclass(frozen=True, slots=True)
class _Request:
    id: int
    flow: str
    version: str
    entity: str
    record_id: int
    status: str
    step_index: int | None
    submitted_by: int | None


class FlowEngine:
    def __init__(
        self,
        records: RecordService,
        versions: FlowVersions,
        people: People,
        formulas: FlowFormulas,
        notifications: Notifications,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.records = records
        self.app = records.app
        self.tables = records.tables
        self.versions = versions
        self.people = people
        self.formulas = formulas
        self.notifications = notifications
        self.clock = clock
        self.requests = self.tables.system(REQUEST_TABLE)
        self.tasks = self.tables.system(TASK_TABLE)
        self.events = self.tables.system(EVENT_TABLE)

    # -- actions ---------------------------------------------------------------------------
    def submit(self, entity: str, id: Any, user: Actor, comment: str | None = None) -> Outcome:
        """Start a request for the record, on the flow's current version."""
        flow = self.app.flow_of(entity)
        if flow is None:
            raise ActionRefused.record("no_flow", entity=entity)
        text = _comment(comment, required=False)
        self.records.get(entity, id, user)  # NotFound / Forbidden unless the user sees it
        id = record_id(entity, id)
        if flow.submit.roles and not set(user.roles) & set(flow.submit.roles):
            raise NotAllowed("not_your_role")
        with self.records.batch() as conn:
            now = self.clock()
            ent = self.app.entity(entity)
            record = self._record(conn, ent, id)
            if self._pending(conn, entity, id) is not None:
                raise FlowConflict("pending_already")
            state = record.values.get(flow.state_field) or flow.initial
            if state not in flow.submit.sources:
                raise ActionRefused.record("not_from_state", state=self._state_text(flow, state))
            ctx, view = self._context(conn, ent, record, now)
            if flow.submit.when and not self.formulas.holds(ctx, entity, view, flow.submit.when):
                raise ActionRefused.record("submit_condition")
            inserted = conn.execute(
                self.requests.insert(),
                {
                    "flow": flow.name,
                    "version": self.versions.pin(conn, flow, now),
                    "entity": entity,
                    "record_id": id,
                    "status": "pending",
                    "submitted_by": user.id,
                    "submitted_at": now,
                    "open_key": open_key(entity, id),
                },
            )
            request = self._request(conn, int(inserted.inserted_primary_key[0]))
            self._event(conn, request, "submit", now, user.id, comment=text)
            self._write(conn, flow, ent, record, {flow.state_field: flow.submit.state}, user.id)
            return self._advance(conn, request, flow, 0, user.id, now)

    def decide(self, task_id: Any, decision: str, user: Actor, comment: str | None) -> Outcome:
        """Approve, reject or return (for changes) a task; a comment is required to reject
        or return."""
        if decision not in DECISIONS:
            raise ActionRefused.record("unknown_action", action=decision)
        text = _comment(comment, required=decision != "approve")
        with self.records.batch() as conn:
            request, task, flow = self._open_task(conn, task_id, user)
            if decision == "approve" and not flow.self_approval and request.submitted_by == user.id:
                raise NotAllowed("no_self_approval")
            now = self.clock()
            self._close_task(conn, task, DONE[decision], now, text)
            detail = {"on_behalf_of": task.on_behalf_of} if task.on_behalf_of else {}
            self._event(
                conn, request, decision, now, user.id, task.step, task.id, text, detail=detail
            )
            if decision == "return":
                return self._finish(conn, request, flow, "returned", user.id, now)
            return self._tally(conn, request, flow, task.step_index, decision, user.id, now)

    def withdraw(self, entity: str, id: Any, user: Actor, comment: str | None = None) -> Outcome:
        """The submitter takes their pending request back."""
        text = _comment(comment, required=False)
        id = record_id(entity, id)
        with self.records.batch() as conn:
            pending = self._pending(conn, entity, id)
            if pending is None:
                raise ActionRefused.record("not_pending")
            request = self._request(conn, pending, lock=True)
            if request.status != "pending":
                raise FlowConflict("request_closed", status=request.status)
            if request.submitted_by != user.id:
                raise NotAllowed("not_your_request")
            flow = self.versions.get(conn, request.version)
            now = self.clock()
            self._event(conn, request, "withdraw", now, user.id, comment=text)
            return self._finish(conn, request, flow, "withdrawn", user.id, now)

    def reassign(
        self, task_id: Any, how: str, user: Actor, to: Any, comment: str | None = None
    ) -> Outcome:
        """Hand a task to someone else: `delegate` (they decide on the holder's behalf) or
        `transfer` (it becomes theirs)."""
        assert how in ("delegate", "transfer")
        text = _comment(comment, required=False)
        with self.records.batch() as conn:
            request, task, flow = self._open_task(conn, task_id, user)
            target = self._new_approver(conn, request, flow, task.step_index, to, user)
            behalf = (task.on_behalf_of or task.assignee) if how == "delegate" else None
            conn.execute(
                self.tasks.update()
                .where(self.tasks.c.id == task.id)
                .values(assignee=target.id, on_behalf_of=behalf)
            )
            now = self.clock()
            detail = {"from": task.assignee, "to": target.id}
            self._event(conn, request, how, now, user.id, task.step, task.id, text, detail)
            self._notify(conn, request, [target.id], "task", now, user.id, task.id, {"via": how})
            return Outcome(request.id, "pending", task.step)

    def add_approver(
        self, task_id: Any, user: Actor, to: Any, comment: str | None = None
    ) -> Outcome:
        """Add someone to the task's step: one more approval slot (in `all` mode, one more
        approval needed)."""
        text = _comment(comment, required=False)
        with self.records.batch() as conn:
            request, task, flow = self._open_task(conn, task_id, user)
            target = self._new_approver(conn, request, flow, task.step_index, to, user)
            now = self.clock()
            slot = conn.execute(
                sa.select(sa.func.max(self.tasks.c.slot)).where(
                    self.tasks.c.request_id == request.id,
                    self.tasks.c.step_index == task.step_index,
                )
            ).scalar_one()
            step = flow.steps[task.step_index]
            new_id = self._add_task(conn, request, step, task.step_index, slot + 1, target, now)
            detail = {"to": target.id}
            self._event(
                conn, request, "add_approver", now, user.id, step.name, new_id, text, detail
            )
            self._notify(conn, request, [target.id], "task", now, user.id, new_id, {"via": "add"})
            return Outcome(request.id, "pending", step.name)

    def escalate(self, task_id: int) -> bool:
        """Move an overdue task to its step's escalation target; False when there is no one
        to move it to (or it was decided meanwhile)."""
        with self.records.batch() as conn:
            task = self._task(conn, task_id)
            request = self._request(conn, task.request_id, lock=True)
            task = self._task(conn, task_id)
            if request.status != "pending" or task.status != "open" or task.origin == "escalation":
                return False
            flow = self.versions.get(conn, request.version)
            step = flow.steps[task.step_index]
            if not step.escalate_to:
                return False
            now = self.clock()
            ent, record = self._entity_record(conn, flow, request)
            ctx, view = self._context(conn, ent, record, now)
            busy = self._holders(conn, request.id, task.step_index)
            targets = [
                p
                for p in find_approvers(
                    conn, self.people, self.formulas, ctx, flow, step.escalate_to, view
                )
                if p.id not in busy and (flow.self_approval or p.id != request.submitted_by)
            ]
            if not targets:
                return False
            self._close_task(conn, task, "escalated", now, None)
            new_ids = [
                self._add_task(
                    conn, request, step, task.step_index, task.slot, p, now, "escalation"
                )
                for p in targets
            ]
            detail = {"from": task.assignee, "to": [p.id for p in targets]}
            self._event(conn, request, "escalate", now, None, step.name, task.id, None, detail)
            for person, new_id in zip(targets, new_ids, strict=True):
                self._notify(
                    conn, request, [person.id], "task", now, None, new_id, {"via": "escalation"}
                )
            self._notify(conn, request, [task.assignee], "escalated", now, None, task.id)
            return True

    # -- routing ---------------------------------------------------------------------------
    def _advance(
        self,
        conn: Connection,
        request: _Request,
        flow: Flow,
        start: int,
        user_id: int | None,
        now: dt.datetime,
    ) -> Outcome:
        """Start the first step from `start` on whose condition holds; approve the request
        when none is left."""
        ent, record = self._entity_record(conn, flow, request)
        ctx, view = self._context(conn, ent, record, now)
        for index in range(start, len(flow.steps)):
            step = flow.steps[index]
            if step.when and not self.formulas.holds(ctx, ent.name, view, step.when):
                self._event(conn, request, "skip", now, user_id, step.name)
                continue
            people = self._step_people(conn, ctx, flow, step, view, request)
            conn.execute(
                self.requests.update()
                .where(self.requests.c.id == request.id)
                .values(step_index=index)
            )
            for slot, person in enumerate(people):
                task_id = self._add_task(conn, request, step, index, slot, person, now)
                self._notify(conn, request, [person.id], "task", now, user_id, task_id)
            return Outcome(request.id, "pending", step.name)
        return self._finish(conn, request, flow, "approved", user_id, now)

    def _step_people(
        self,
        conn: Connection,
        ctx: StoreContext,
        flow: Flow,
        step: FlowStep,
        view: dict[str, Any],
        request: _Request,
    ) -> list[Person]:
        def allowed(rules: Any) -> list[Person]:
            found = find_approvers(conn, self.people, self.formulas, ctx, flow, rules, view)
            if flow.self_approval:
                return found
            return [p for p in found if p.id != request.submitted_by]

        people = allowed(step.approvers) or allowed(step.escalate_to)
        label = step.label.get(self.app.default_locale, step.name)
        if not people:
            raise ActionRefused.record("no_approver", step=label)
        needed = step.needed(len(people))
        if needed > len(people):
            raise ActionRefused.record(
                "too_few_approvers", step=label, needed=needed, count=len(people)
            )
        return people

    def _tally(
        self,
        conn: Connection,
        request: _Request,
        flow: Flow,
        index: int,
        decision: str,
        user_id: int,
        now: dt.datetime,
    ) -> Outcome:
        """Count the step's slots after a decision: move on, reject, or wait."""
        step = flow.steps[index]
        rows = conn.execute(
            sa.select(self.tasks.c.slot, self.tasks.c.status).where(
                self.tasks.c.request_id == request.id, self.tasks.c.step_index == index
            )
        ).all()
        slots: dict[int, str | None] = {}
        for slot, status in rows:
            if status in ("approved", "rejected"):
                slots[slot] = status
            else:
                slots.setdefault(slot, None)
        approvals = sum(1 for s in slots.values() if s == "approved")
        rejections = sum(1 for s in slots.values() if s == "rejected")
        needed = step.needed(len(slots))
        if approvals >= needed:
            self._cancel_open(conn, request.id, now)
            return self._advance(conn, request, flow, index + 1, user_id, now)
        if decision == "reject" and (step.mode == "any" or len(slots) - rejections < needed):
            return self._finish(conn, request, flow, "rejected", user_id, now)
        return Outcome(request.id, "pending", step.name)

    def _finish(
        self,
        conn: Connection,
        request: _Request,
        flow: Flow,
        status: str,
        user_id: int | None,
        now: dt.datetime,
    ) -> Outcome:
        """Close the request and apply the outcome's effects to the record."""
        waiting = self._open_tasks(conn, request.id)
        self._cancel_open(conn, request.id, now)
        conn.execute(
            self.requests.update()
            .where(self.requests.c.id == request.id)
            .values(status=status, finished_at=now, open_key=None)
        )
        effect: Effect = {
            "approved": flow.on_approve,
            "rejected": flow.on_reject,
            "returned": flow.on_return,
            "withdrawn": flow.on_withdraw,
        }[status]
        ent, record = self._entity_record(conn, flow, request)
        ctx, view = self._context(conn, ent, record, now)
        values: dict[str, Any] = {}
        for name, value in effect.set.items():
            if name not in ent.fields:
                raise FlowBroken(f"{ent.name} has no field {name!r}")
            expect = ent.fields[name].kind.value_type
            is_formula = isinstance(value, str)
            values[name] = (
                self.formulas.evaluate(ctx, ent.name, view, value, expect) if is_formula else value
            )
        old_state = record.values.get(flow.state_field)
        if effect.state is not None:
            values[flow.state_field] = effect.state
        self._write(conn, flow, ent, record, values, user_id)
        detail = {"status": status, "state": [old_state, effect.state or old_state]}
        self._event(conn, request, "finish", now, user_id, detail=detail)
        if status == "withdrawn":
            self._notify(conn, request, [t.assignee for t in waiting], "withdrawn", now, user_id)
        elif request.submitted_by is not None:
            self._notify(conn, request, [request.submitted_by], status, now, user_id)
        return Outcome(request.id, status)

    # -- checks ----------------------------------------------------------------------------
    def _open_task(
        self, conn: Connection, task_id: Any, user: Actor
    ) -> tuple[_Request, sa.Row, Flow]:
        """The task, its request (locked) and flow version; refused unless the task is the
        user's and still open."""
        task_id = record_id("task", task_id)
        task = self._task(conn, task_id)
        request = self._request(conn, task.request_id, lock=True)
        task = self._task(conn, task_id)  # as it is now that we hold the lock
        if task.assignee != user.id:
            raise NotAllowed("not_your_task")
        if task.status != "open":
            raise self._settled(conn, request, task)
        if request.status != "pending":
            raise FlowConflict("request_closed", status=request.status)
        return request, task, self.versions.get(conn, request.version)

    def _settled(self, conn: Connection, request: _Request, task: sa.Row) -> FlowConflict:
        """What the second of two people acting on one task is told."""
        if task.status == "escalated":
            return FlowConflict("task_moved", status=task.status)
        if task.status == "cancelled":  # the step or the request was settled by someone else
            event = conn.execute(
                sa.select(self.events.c.action, self.events.c.user_id)
                .where(
                    self.events.c.request_id == request.id,
                    self.events.c.action.in_(tuple(DONE)),
                )
                .order_by(self.events.c.id.desc())
                .limit(1)
            ).first()
            if event is None:
                return FlowConflict("request_closed", status=request.status)
            return FlowConflict(
                "task_decided", status=DONE[event.action], user=self._name(conn, event.user_id)
            )
        return FlowConflict(
            "task_decided", status=task.status, user=self._name(conn, task.assignee)
        )

    def _new_approver(
        self, conn: Connection, request: _Request, flow: Flow, index: int, to: Any, user: Actor
    ) -> Person:
        try:
            target = self.people.active(conn, int(to))
        except (TypeError, ValueError):
            target = None
        if target is None:
            raise ActionRefused.about("to", "no_such_user")
        if target.id == user.id:
            raise ActionRefused.about("to", "same_user")
        if not flow.self_approval and target.id == request.submitted_by:
            raise ActionRefused.about("to", "submitter_cannot_approve")
        if target.id in self._holders(conn, request.id, index):
            raise ActionRefused.about("to", "has_task_already", user=target.display_name)
        return target

    # -- rows ------------------------------------------------------------------------------
    def _request(self, conn: Connection, request_id: int, lock: bool = False) -> _Request:
        query = sa.select(self.requests).where(self.requests.c.id == request_id)
        row = conn.execute(query.with_for_update() if lock else query).mappings().first()
        if row is None:
            raise NotFound("request", request_id)
        return _Request(
            row["id"],
            row["flow"],
            row["version"],
            row["entity"],
            row["record_id"],
            row["status"],
            row["step_index"],
            row["submitted_by"],
        )

    def _pending(self, conn: Connection, entity: str, id: int) -> int | None:
        return conn.execute(
            sa.select(self.requests.c.id).where(self.requests.c.open_key == open_key(entity, id))
        ).scalar()

    def _task(self, conn: Connection, task_id: int) -> sa.Row:
        row = conn.execute(sa.select(self.tasks).where(self.tasks.c.id == task_id)).first()
        if row is None:
            raise NotFound("task", task_id)
        return row

    def _open_tasks(self, conn: Connection, request_id: int) -> list[sa.Row]:
        return conn.execute(
            sa.select(self.tasks).where(
                self.tasks.c.request_id == request_id, self.tasks.c.status == "open"
            )
        ).all()

    def _holders(self, conn: Connection, request_id: int, index: int) -> set[int]:
        """Who holds an open task in the step."""
        return {t.assignee for t in self._open_tasks(conn, request_id) if t.step_index == index}

    def _add_task(
        self,
        conn: Connection,
        request: _Request,
        step: FlowStep,
        index: int,
        slot: int,
        person: Person,
        now: dt.datetime,
        origin: str = "approver",
    ) -> int:
        due = now + dt.timedelta(hours=step.due_hours) if step.due_hours else None
        inserted = conn.execute(
            self.tasks.insert(),
            {
                "request_id": request.id,
                "step": step.name,
                "step_index": index,
                "slot": slot,
                "assignee": person.id,
                "origin": origin,
                "status": "open",
                "created_at": now,
                "due_at": due,
            },
        )
        return int(inserted.inserted_primary_key[0])

    def _close_task(
        self, conn: Connection, task: sa.Row, status: str, now: dt.datetime, comment: str | None
    ) -> None:
        conn.execute(
            self.tasks.update()
            .where(self.tasks.c.id == task.id)
            .values(status=status, decided_at=now, comment=comment)
        )
        # The slot's other tasks (escalation successors) have had their say.
        conn.execute(
            self.tasks.update()
            .where(
                self.tasks.c.request_id == task.request_id,
                self.tasks.c.step_index == task.step_index,
                self.tasks.c.slot == task.slot,
                self.tasks.c.status == "open",
            )
            .values(status="cancelled", decided_at=now)
        )

    def _cancel_open(self, conn: Connection, request_id: int, now: dt.datetime) -> None:
        conn.execute(
            self.tasks.update()
            .where(self.tasks.c.request_id == request_id, self.tasks.c.status == "open")
            .values(status="cancelled", decided_at=now)
        )

    def _event(
        self,
        conn: Connection,
        request: _Request,
        action: str,
        at: dt.datetime,
        user_id: int | None,
        step: str | None = None,
        task_id: int | None = None,
        comment: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        conn.execute(
            self.events.insert(),
            {
                "request_id": request.id,
                "entity": request.entity,
                "record_id": request.record_id,
                "at": at,
                "user_id": user_id,
                "action": action,
                "step": step,
                "task_id": task_id,
                "comment": comment,
                "detail": detail or {},
            },
        )

    def _notify(
        self,
        conn: Connection,
        request: _Request,
        users: list[int],
        kind: str,
        now: dt.datetime,
        actor_id: int | None,
        task_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.notifications.send(
            conn,
            users,
            kind,
            at=now,
            entity=request.entity,
            record_id=request.record_id,
            request_id=request.id,
            task_id=task_id,
            actor_id=actor_id,
            detail={"flow": request.flow, **(detail or {})},
        )

    def _state_text(self, flow: Flow, state: str) -> str:
        label = flow.state_label(state)
        return label.get(self.app.default_locale, state) if label else state

    def _name(self, conn: Connection, user_id: int | None) -> str:
        person = self.people.by_ids(conn, [user_id]).get(user_id) if user_id else None
        return person.display_name if person else "?"

    # -- the record ------------------------------------------------------------------------
    def _entity_record(
        self, conn: Connection, flow: Flow, request: _Request
    ) -> tuple[Entity, Record]:
        ent = self.app.entities.get(flow.entity)
        if ent is None:
            raise FlowBroken(f"no entity {flow.entity!r}")
        return ent, self._record(conn, ent, request.record_id)

    def _record(self, conn: Connection, ent: Entity, id: int) -> Record:
        """The record, locked for the rest of the transaction."""
        table = self.tables[ent.name]
        row = (
            conn.execute(sa.select(table).where(table.c.id == id).with_for_update())
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(ent.name, id)
        return record_from_row(ent, row)

    def _context(
        self, conn: Connection, ent: Entity, record: Record, now: dt.datetime
    ) -> tuple[StoreContext, dict[str, Any]]:
        ctx = StoreContext(conn, self.app, self.tables, now.date())
        return ctx, formula_view(ent, record.values, record.id)

    def _write(
        self,
        conn: Connection,
        flow: Flow,
        ent: Entity,
        record: Record,
        values: dict[str, Any],
        user_id: int | None,
    ) -> None:
        """Write the flow's values through the record service, in this transaction (the
        batch's), as the acting user: their name goes into the audit."""
        if flow.state_field not in ent.fields:
            raise FlowBroken(f"{ent.name} has no field {flow.state_field!r}")
        self.records.update(
            ent.name, record.id, {}, record.version, user=user_id, system_values=values
        )


def _comment(comment: str | None, required: bool) -> str | None:
    text = (comment or "").strip()
    if required and not text:
        raise ActionRefused.about("comment", "comment_required")
    if len(text) > MAX_COMMENT:
        raise ActionRefused.about("comment", "comment_too_long", max=MAX_COMMENT)
    return text or None
