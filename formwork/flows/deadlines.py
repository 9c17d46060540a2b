"""Deadlines: overdue tasks escalated, approvers reminded — the flows' part of `formwork tick`.

`run_deadlines` is idempotent and safe to run at any rate (from cron, or a background thread
in development): a task is escalated once, its overdue notice is sent once, a reminder goes
out at most once per `remind_every_hours`. Each escalation is an action of its own (one
transaction, locking its request like an approver's decision would), so a tick and an
approver deciding the same task at the same moment give exactly one outcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..store.database import Database
from .engine import FlowEngine
from .notifications import Notifications
from .tables import REQUEST_TABLE, TASK_TABLE
from .versions import FlowVersions


@dataclass(frozen=True, slots=True)
class DeadlineReport:
    escalated: int
    overdue: int
    reminded: int


class Deadlines:
    def __init__(
        self,
        db: Database,
        engine: FlowEngine,
        versions: FlowVersions,
        notifications: Notifications,
    ) -> None:
        self.db = db
        self.engine = engine
        self.versions = versions
        self.notifications = notifications
        self.tasks = engine.tables.system(TASK_TABLE)
        self.requests = engine.tables.system(REQUEST_TABLE)

    def _open_tasks(self, conn: Connection) -> list[sa.Row]:
        t, r = self.tasks, self.requests
        return conn.execute(
            sa.select(t, r.c.version, r.c.entity, r.c.record_id, r.c.flow)
            .join(r, r.c.id == t.c.request_id)
            .where(t.c.status == "open", r.c.status == "pending")
            .order_by(t.c.id)
        ).all()

    def run(self, now: dt.datetime) -> DeadlineReport:
        with self.db.read() as conn:
            tasks = self._open_tasks(conn)
            steps = {
                task.id: self.versions.get(conn, task.version).steps[task.step_index]
                for task in tasks
            }
        escalated = overdue = 0
        for task in tasks:
            step = steps[task.id]
            if task.due_at is None or task.due_at > now:
                continue
            if step.escalate_to and task.origin != "escalation" and self.engine.escalate(task.id):
                escalated += 1
            elif task.overdue_at is None and self._mark(task, "overdue", now):
                overdue += 1
        reminded = 0
        for task in tasks:
            every = steps[task.id].remind_every_hours
            last = task.reminded_at or task.created_at
            if (
                every
                and last + dt.timedelta(hours=every) <= now
                and self._mark(task, "reminder", now)
            ):
                reminded += 1
        return DeadlineReport(escalated, overdue, reminded)

    def _mark(self, task: sa.Row, kind: str, now: dt.datetime) -> bool:
        """Note the overdue notice or reminder on the task and notify its holder — unless the
        task was decided, or noted by a concurrent tick, meanwhile."""
        column = "overdue_at" if kind == "overdue" else "reminded_at"
        with self.db.write() as conn:
            t = self.tasks
            marked = conn.execute(
                t.update()
                .where(
                    t.c.id == task.id, t.c.status == "open", t.c[column] == task._mapping[column]
                )
                .values({column: now})
            ).rowcount
            if marked:
                self.notifications.send(
                    conn,
                    [task.assignee],
                    kind,
                    at=now,
                    entity=task.entity,
                    record_id=task.record_id,
                    request_id=task.request_id,
                    task_id=task.id,
                    detail={
                        "flow": task.flow,
                        "due_at": task.due_at.isoformat() if task.due_at else None,
                    },
                )
            return bool(marked)
