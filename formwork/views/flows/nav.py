"""The top bar's approval links: the inbox with its open tasks, notifications with the unread.

Templates call `flow_nav()` (a context processor puts it there); it counts only when the
layout actually shows the links — a signed-in user in an app that has flows — with one query
for both counts, once per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import g

from ...flows.tables import NOTIFICATION_TABLE, REQUEST_TABLE, TASK_TABLE
from ..context import actor, model, runtime


@dataclass(frozen=True, slots=True)
class FlowNav:
    open_tasks: int
    unread: int


@lru_cache(maxsize=8)
def _counts(tasks: sa.Table, requests: sa.Table, notices: sa.Table) -> sa.Select[Any]:
    """Both counts of the user bound as `user_id`, in one statement (built once per tables):
    the open tasks of pending requests they hold (their inbox's length), and their unread
    notifications (as `FlowService.unread_count`)."""
    user = sa.bindparam("user_id")
    open_tasks = (
        sa.select(sa.func.count())
        .select_from(tasks.join(requests, requests.c.id == tasks.c.request_id))
        .where(tasks.c.assignee == user, tasks.c.status == "open", requests.c.status == "pending")
        .scalar_subquery()
    )
    unread = (
        sa.select(sa.func.count())
        .select_from(notices)
        .where(notices.c.user_id == user, notices.c.read_at.is_(None))
        .scalar_subquery()
    )
    return sa.select(open_tasks, unread)


def flow_nav() -> FlowNav | None:
    """The counts for the top bar; None when there is nothing to show (signed out, or an app
    without approval flows)."""
    user = actor()
    if user is None or not model().flows:
        return None
    if "flow_nav" not in g:
        tables = runtime().tables
        names = (TASK_TABLE, REQUEST_TABLE, NOTIFICATION_TABLE)
        statement = _counts(*(tables.system(n) for n in names))
        with runtime().db.read() as conn:
            counts = conn.execute(statement, {"user_id": user.id}).one()
        g.flow_nav = FlowNav(int(counts[0]), int(counts[1]))
    return g.flow_nav


def forget_counts() -> None:
    """After an action changed them: the next `flow_nav()` counts again."""
    g.pop("flow_nav", None)


def nav_context() -> dict[str, Any]:
    return {"flow_nav": flow_nav}
