"""The top bar's counts — to-dos due, open approval tasks, unread notifications — in one
statement, once per request.

The layout shows the to-do count when the app has reminders and the two approval counts when
it has flows (`my_work.todo_nav`, `flows.nav.flow_nav`); whichever asks first counts all
that the app shows, in one read, and the rest of the request reuses the figures. After an
action changed them, `forget` makes the next asker count again. The statement is built once
per set of tables, with the user and the day as bind parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import g

from ..flows.tables import NOTIFICATION_TABLE, REQUEST_TABLE, TASK_TABLE
from ..reminders.tables import TODO_TABLE
from ..reminders.todos import count_due_statement
from .context import actor, model, runtime

_KEY = "fw_top_bar"
FLOW_TABLES = (TASK_TABLE, REQUEST_TABLE, NOTIFICATION_TABLE)


@dataclass(frozen=True, slots=True)
class Counts:
    """The user's counts; None where the app does not show one (no reminders, no flows)."""

    todos_due: int | None
    open_tasks: int | None
    unread: int | None


def counts() -> Counts | None:
    """The signed-in user's counts (None when signed out), counted once per request."""
    user = actor()
    if user is None:
        return None
    found = g.get(_KEY)
    if found is None:
        app = model()
        todos, flows = bool(app.reminders), bool(app.flows)
        found = Counts(None, None, None)
        if todos or flows:
            current = runtime()
            tables = current.tables
            statement = _statement(
                tables.system(TODO_TABLE) if todos else None,
                *((tables.system(n) for n in FLOW_TABLES) if flows else (None, None, None)),
            )
            today = current.records.clock().date()
            with current.db.read() as conn:
                row = conn.execute(statement, {"user_id": user.id, "today": today}).one()
            figures = iter(int(n) for n in row)
            due = next(figures) if todos else None
            tasks, unread = (next(figures), next(figures)) if flows else (None, None)
            found = Counts(due, tasks, unread)
        g.setdefault(_KEY, found)
    return found


def forget() -> None:
    """After an action changed the counts: the next `counts()` counts again."""
    g.pop(_KEY, None)


@lru_cache(maxsize=16)
def _statement(
    todos: sa.Table | None,
    tasks: sa.Table | None,
    requests: sa.Table | None,
    notices: sa.Table | None,
) -> sa.Select[Any]:
    """The counts of the tables given, for the user bound as `user_id` on the day bound as
    `today`: the to-dos due (as `TodoList.count_due`); the open tasks of pending requests the
    user holds (their inbox's length); their unread notifications (as
    `FlowService.unread_count`)."""
    user = sa.bindparam("user_id")
    columns = []
    if todos is not None:
        today = sa.bindparam("today", type_=sa.Date)
        columns.append(count_due_statement(todos, user, today))
    if tasks is not None and requests is not None and notices is not None:
        columns.append(
            sa.select(sa.func.count())
            .select_from(tasks.join(requests, requests.c.id == tasks.c.request_id))
            .where(
                tasks.c.assignee == user, tasks.c.status == "open", requests.c.status == "pending"
            )
        )
        columns.append(
            sa.select(sa.func.count())
            .select_from(notices)
            .where(notices.c.user_id == user, notices.c.read_at.is_(None))
        )
    return sa.select(*(c.scalar_subquery() for c in columns))
