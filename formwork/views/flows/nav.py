"""The top bar's approval links: the inbox with its open tasks, notifications with the unread.

Templates call `flow_nav()` (a context processor puts it there); it counts only when the
layout actually shows the links — a signed-in user in an app that has flows — in the one
statement of the top bar's counts (`top_bar`), once per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import top_bar
from ..context import model


@dataclass(frozen=True, slots=True)
class FlowNav:
    open_tasks: int
    unread: int


def flow_nav() -> FlowNav | None:
    """The counts for the top bar; None when there is nothing to show (signed out, or an app
    without approval flows)."""
    if not model().flows:
        return None
    counts = top_bar.counts()
    if counts is None or counts.open_tasks is None or counts.unread is None:
        return None
    return FlowNav(counts.open_tasks, counts.unread)


def forget_counts() -> None:
    """After an action changed them: the next `flow_nav()` counts again."""
    top_bar.forget()


def nav_context() -> dict[str, Any]:
    return {"flow_nav": flow_nav}
