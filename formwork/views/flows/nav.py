"""The top bar's approval links: the inbox with its open tasks, notifications with the unread.

Templates call `flow_nav()` (a context processor puts it there); it counts only when the
layout actually shows the links — a signed-in user in an app that has flows — with one query
per count, once per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import g

from ...flows.tables import REQUEST_TABLE, TASK_TABLE
from ...store.actor import Actor
from ..context import actor, model, runtime


@dataclass(frozen=True, slots=True)
class FlowNav:
    open_tasks: int
    unread: int


def open_task_count(user: Actor) -> int:
    """How many open tasks of pending requests the user holds (their inbox's length)."""
    tables = runtime().tables
    tasks, requests = tables.system(TASK_TABLE), tables.system(REQUEST_TABLE)
    query = (
        sa.select(sa.func.count())
        .select_from(tasks.join(requests, requests.c.id == tasks.c.request_id))
        .where(
            tasks.c.assignee == user.id,
            tasks.c.status == "open",
            requests.c.status == "pending",
        )
    )
    with runtime().db.read() as conn:
        return int(conn.execute(query).scalar_one())


def flow_nav() -> FlowNav | None:
    """The counts for the top bar; None when there is nothing to show (signed out, or an app
    without approval flows)."""
    user = actor()
    if user is None or not model().flows:
        return None
    if "flow_nav" not in g:
        g.flow_nav = FlowNav(open_task_count(user), runtime().flows.unread_count(user))
    return g.flow_nav


def forget_counts() -> None:
    """After an action changed them: the next `flow_nav()` counts again."""
    g.pop("flow_nav", None)


def nav_context() -> dict[str, Any]:
    return {"flow_nav": flow_nav}
