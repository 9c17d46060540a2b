"""A user's to-dos: what is due, how many, and the two things a user does with one.

Everything here is about the user's own to-dos: reading, marking done and snoozing take the
user's id and touch nothing of anyone else's (acting on another user's to-do finds nothing).
A to-do shows from its day — or the day it was snoozed to — on; the home page looks a week
ahead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ..metamodel.model import Label, frozen_map
from ..store.database import Database
from ..store.tables import Tables
from .schedule import LOOKAHEAD_DAYS
from .tables import TODO_TABLE

#: How long "snooze" puts a to-do off.
SNOOZE_DAYS = 7


@dataclass(frozen=True, slots=True)
class Todo:
    id: int
    rule: str
    entity: str
    record_id: int
    due_on: dt.date
    #: The day it shows again, if snoozed.
    snoozed_until: dt.date | None
    title: Label

    @property
    def shows_on(self) -> dt.date:
        """The day the to-do counts from: its own, or the one it was snoozed to."""
        return self.snoozed_until or self.due_on


class TodoList:
    def __init__(self, db: Database, tables: Tables, clock: Callable[[], dt.datetime]) -> None:
        self.db = db
        self.table = tables.system(TODO_TABLE)
        self.clock = clock

    def _shows_on(self) -> ColumnElement[dt.date]:
        return _shows_on(self.table)

    def _open(self, user_id: int) -> list[ColumnElement[bool]]:
        return _open(self.table, user_id)

    def due(self, user_id: int, today: dt.date, ahead: int = LOOKAHEAD_DAYS) -> list[Todo]:
        """The user's open to-dos showing by `ahead` days from today, earliest first."""
        t = self.table
        last = today + dt.timedelta(days=ahead)
        query = (
            sa.select(t)
            .where(*self._open(user_id), self._shows_on() <= sa.literal(last, sa.Date))
            .order_by(self._shows_on(), t.c.due_on, t.c.id)
        )
        with self.db.read() as conn:
            return [_todo(row) for row in conn.execute(query).mappings()]

    def count_due(self, user_id: int, today: dt.date) -> int:
        """How many of the user's open to-dos show today or were due before."""
        query = count_due_statement(self.table, user_id, sa.literal(today, sa.Date))
        with self.db.read() as conn:
            return int(conn.execute(query).scalar_one())

    def get(self, user_id: int, todo_id: int) -> Todo | None:
        """The user's open to-do `todo_id`, or None (another user's, done, closed, none)."""
        query = sa.select(self.table).where(self.table.c.id == todo_id, *self._open(user_id))
        with self.db.read() as conn:
            row = conn.execute(query).mappings().first()
        return _todo(row) if row is not None else None

    def mark_done(self, user_id: int, todo_id: int) -> bool:
        """Mark the user's open to-do done; False when there is no such to-do of theirs."""
        return self._change(user_id, todo_id, done_at=self.clock())

    def snooze(self, user_id: int, todo_id: int, today: dt.date, days: int = SNOOZE_DAYS) -> bool:
        """Put the user's open to-do off until `days` from today; False when there is none."""
        return self._change(user_id, todo_id, snoozed_until=today + dt.timedelta(days=days))

    def _change(self, user_id: int, todo_id: int, **values: object) -> bool:
        t = self.table
        with self.db.write() as conn:
            result = conn.execute(
                t.update().where(t.c.id == todo_id, *self._open(user_id)).values(**values)
            )
        return bool(result.rowcount)


def count_due_statement(table: sa.Table, user_id: Any, today: Any) -> sa.Select[Any]:
    """`TodoList.count_due`'s statement over the to-do table; `user_id` and `today` may be
    bind parameters (the top bar counts with it, beside other counts)."""
    return (
        sa.select(sa.func.count())
        .select_from(table)
        .where(*_open(table, user_id), _shows_on(table) <= today)
    )


def _shows_on(table: sa.Table) -> ColumnElement[dt.date]:
    return sa.func.coalesce(table.c.snoozed_until, table.c.due_on)


def _open(table: sa.Table, user_id: Any) -> list[ColumnElement[bool]]:
    t = table
    return [t.c.user_id == user_id, t.c.done_at.is_(None), t.c.closed_at.is_(None)]


def _todo(row: Mapping[str, Any]) -> Todo:
    return Todo(
        id=row["id"],
        rule=row["rule"],
        entity=row["entity"],
        record_id=row["record_id"],
        due_on=row["due_on"],
        snoozed_until=row["snoozed_until"],
        title=Label(frozen_map(row["title"] or {})),
    )
