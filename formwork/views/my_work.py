"""The home page, "my work": the user's to-dos, their approval tasks, and where to start.

- to-dos from the reminders (docs/reminders.md): overdue first, then today's, then the next
  seven days', each linking to its record, with "done" and "snooze a week" (POST forms with
  the CSRF token; htmx swaps the one to-do, and without JavaScript the page reloads);
- the approval tasks of the user's inbox (read through the flows service), linking to it;
- shortcuts: each entity of the menu with how many records the user sees, and a "new" link
  where they may create one.

Only the user's own to-dos are shown or changed: acting on anyone else's is a 404. The top
bar shows how many to-dos are due (`todo_nav`, like the inbox count).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..metamodel.model import Entity
from ..reminders import LOOKAHEAD_DAYS, Reminders, Todo
from ..store.actor import Actor
from ..store.query import Query
from . import top_bar
from .context import actor, can, model, runtime, service, text
from .flows.pages import TaskCard, task_card

my_work = Blueprint("my_work", __name__)

#: Approval tasks listed on the page; the inbox has them all.
TASKS_SHOWN = 5


@dataclass(frozen=True)
class TodoGroup:
    """To-dos of one part of the week: `key` overdue, today or soon."""

    key: str
    heading: str
    todos: list[TodoRow]


@dataclass(frozen=True)
class TodoRow:
    todo: Todo
    title: str
    url: str
    #: The reminder's name as people see it.
    kind: str


@dataclass(frozen=True)
class Shortcut:
    entity: Entity
    total: int
    capped: bool
    #: The new-record form, where the user may create records.
    new_url: str | None


@dataclass(frozen=True)
class MyWork:
    """What the home page shows."""

    today: dt.date
    groups: list[TodoGroup]
    #: The first of the user's open approval tasks (None: the app has no flows).
    tasks: list[TaskCard] | None
    task_count: int
    shortcuts: list[Shortcut] = field(default_factory=list)

    @property
    def todo_count(self) -> int:
        return sum(len(group.todos) for group in self.groups)


def reminders() -> Reminders:
    """The reminders over the app's record service (cheap: built per request)."""
    if "fw_reminders" not in g:
        g.fw_reminders = Reminders(service())
    return g.fw_reminders


def page() -> str:
    """The home page of the signed-in user."""
    user = actor()
    assert user is not None
    today = reminders().today()
    tasks = _tasks(user)
    return render_template(
        "home.html",
        work=MyWork(
            today=today,
            groups=todo_groups(user, today),
            tasks=None if tasks is None else tasks[:TASKS_SHOWN],
            task_count=len(tasks or ()),
            shortcuts=_shortcuts(),
        ),
    )


def todo_groups(user: Actor, today: dt.date) -> list[TodoGroup]:
    """The user's to-dos of the week in three groups, empty ones left out."""
    headings = {
        "overdue": _("Overdue"),
        "today": _("Today"),
        "soon": _("Next %(days)s days", days=LOOKAHEAD_DAYS),
    }
    rows: dict[str, list[TodoRow]] = {key: [] for key in headings}
    for todo in reminders().todos.due(user.id, today):
        key = "overdue" if todo.shows_on < today else "today" if todo.shows_on == today else "soon"
        rows[key].append(todo_row(todo))
    return [TodoGroup(key, headings[key], rows[key]) for key in headings if rows[key]]


def todo_row(todo: Todo) -> TodoRow:
    reminder = model().reminders.get(todo.rule)
    return TodoRow(
        todo=todo,
        title=text(todo.title, f"#{todo.record_id}"),
        url=url_for("records.detail", entity=todo.entity, id=todo.record_id),
        kind=text(reminder.label) if reminder else todo.rule,
    )


def _tasks(user: Actor) -> list[TaskCard] | None:
    """The user's open approval tasks as the inbox shows them (None: the app has no flows)."""
    if not model().flows:
        return None
    return [task_card(task, user) for task in runtime().flows.tasks_for(user)]


def _shortcuts() -> list[Shortcut]:
    app = model()
    shortcuts = []
    for name in app.navigation:
        entity = app.entity(name)
        if not can("read", entity):
            continue
        found = service().query(name, Query(page_size=1), actor())
        new_url = url_for("records.new", entity=name) if can("create", entity) else None
        shortcuts.append(Shortcut(entity, found.total, found.total_capped, new_url))
    return shortcuts


# -- actions -------------------------------------------------------------------------------
@my_work.post("/todos/<int:todo_id>/done")
def done(todo_id: int) -> Response | str:
    return _act(todo_id, "done")


@my_work.post("/todos/<int:todo_id>/snooze")
def snooze(todo_id: int) -> Response | str:
    return _act(todo_id, "snooze")


def _act(todo_id: int, action: str) -> Response | str:
    user = actor()
    assert user is not None
    todos = reminders().todos
    todo = todos.get(user.id, todo_id)
    if todo is None:  # someone else's, already done or closed, or none at all
        abort(404)
    today = reminders().today()
    if action == "done":
        todos.mark_done(user.id, todo_id)
        message = _("Done: %(title)s", title=todo_row(todo).title)
    else:
        todos.snooze(user.id, todo_id, today)
        message = _("Snoozed for a week: %(title)s", title=todo_row(todo).title)
    top_bar.forget()
    if request.headers.get("HX-Request"):
        return render_template("my_work/_todo_result.html", row=todo_row(todo), message=message)
    flash(message, "notice")
    return redirect(url_for("home.index"))


# -- the top bar ---------------------------------------------------------------------------
def todo_nav() -> int | None:
    """How many of the user's to-dos are due (None when signed out or the app has no
    reminders): the top bar shows it, counted with its other counts (`top_bar`)."""
    if not model().reminders:
        return None
    counts = top_bar.counts()
    return None if counts is None else counts.todos_due


def nav_context() -> dict[str, Any]:
    return {"todo_nav": todo_nav}


my_work.app_context_processor(nav_context)
