"""Making and closing to-dos: a few set-based statements per reminder, never a loop over records.

For each reminder, in one transaction:

1. close the open to-dos whose record no longer calls for them — deleted, its `when` no longer
   holds, its date moved, the user is no longer a recipient, or (overdue) a newer repeat took
   over — with one UPDATE … WHERE NOT EXISTS over the entity's table;
2. find, per recipient, the records that call for a to-do today and have none yet (one SELECT
   with the date window, `when` compiled to SQL by the rules compiler, and NOT EXISTS against
   `fw_todo`), and insert those to-dos. A to-do closed earlier whose record calls for it again
   is reopened; a done one stays done.

The unique key of `fw_todo` makes a second run on the same day a no-op, even when two run at
once. To-dos of reminders the config no longer has are closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from ..flows.people import People
from ..metamodel.model import App, Reminder
from ..rules.checker import check
from ..rules.functions import FunctionRegistry, SqlContext
from ..rules.scope import Scope
from ..rules.sqlcompile import to_sql
from ..store.records import RecordService
from ..store.system import USER_TABLE
from .schedule import Schedule
from .tables import TODO_TABLE
from .titles import Shown, render_all, shown_fields

#: Rows inserted per statement.
CHUNK = 1000


@dataclass(frozen=True, slots=True)
class GenerationReport:
    """What one run did: to-dos made (or reopened) and closed, per reminder and in all."""

    opened: dict[str, int]
    closed: dict[str, int]

    @property
    def total_opened(self) -> int:
        return sum(self.opened.values())

    @property
    def total_closed(self) -> int:
        return sum(self.closed.values())


@dataclass(frozen=True)
class _Recipients:
    """A reminder's recipients as SQL: user-id expressions of the record, and role members."""

    fields: tuple[ColumnElement[Any], ...]
    role_users: tuple[int, ...]


class Generator:
    def __init__(self, records: RecordService) -> None:
        self.records = records
        self.app: App = records.app
        self.tables = records.tables
        self.functions: FunctionRegistry = records.rules.functions
        self.todo = self.tables.system(TODO_TABLE)
        self.users = self.tables.system(USER_TABLE)
        self.people = People(self.tables)

    def run(self, today: dt.date) -> GenerationReport:
        opened: dict[str, int] = {}
        closed: dict[str, int] = {}
        now = self.records.clock()
        with self.records.db.write() as conn:
            closed["*"] = self._close_orphans(conn, now)
        for reminder in self.app.reminders.values():
            with self.records.db.write() as conn:
                run = _Run(self, reminder, today, conn)
                closed[reminder.name] = run.close(now)
                opened[reminder.name] = run.open(now)
        if not closed["*"]:
            del closed["*"]
        return GenerationReport(opened, closed)

    def _close_orphans(self, conn: Connection, now: dt.datetime) -> int:
        todo = self.todo
        result = conn.execute(
            todo.update()
            .where(
                todo.c.done_at.is_(None),
                todo.c.closed_at.is_(None),
                todo.c.rule.not_in(list(self.app.reminders)),
            )
            .values(closed_at=now)
        )
        return result.rowcount or 0


class _Run:
    """One reminder's work on one day, inside one transaction."""

    def __init__(self, gen: Generator, reminder: Reminder, today: dt.date, conn: Connection):
        self.gen = gen
        self.reminder = reminder
        self.conn = conn
        self.table = gen.tables[reminder.entity]
        ctx = SqlContext(gen.records.db.dialect, today)
        self.ctx = ctx
        self.schedule = Schedule(reminder, today, gen.functions, ctx)
        self.date = self.table.c[reminder.date_field]
        self.when = self._formula(reminder.when) if reminder.when else sa.true()
        self.recipients = _Recipients(
            tuple(self._formula(r.value) for r in reminder.recipients if r.kind == "field"),
            tuple(
                sorted(
                    {
                        person.id
                        for r in reminder.recipients
                        if r.kind == "role"
                        for person in gen.people.with_role(conn, r.value)
                    }
                )
            ),
        )

    def _formula(self, source: str) -> ColumnElement[Any]:
        scope = Scope(self.gen.app, self.reminder.entity, self.gen.functions)
        checked = check(source, scope)
        return to_sql(
            checked,
            self.gen.app,
            self.reminder.entity,
            self.gen.tables,
            self.gen.functions,
            self.ctx,
        )

    def _active(self) -> sa.Select:
        users = self.gen.users
        return sa.select(users.c.id).where(users.c.active.is_(True))

    # -- closing ---------------------------------------------------------------------------
    def close(self, now: dt.datetime) -> int:
        todo, table = self.gen.todo, self.table
        still_for: list[ColumnElement[Any]] = [
            sa.and_(user == todo.c.user_id, todo.c.user_id.in_(self._active()))
            for user in self.recipients.fields
        ]
        if self.recipients.role_users:
            still_for.append(todo.c.user_id.in_(self.recipients.role_users))
        wanted = (
            sa.select(sa.literal(1))
            .select_from(table)
            .where(
                table.c.id == todo.c.record_id,
                self.schedule.stays(self.date, todo.c.due_on),
                self.when,
                sa.or_(*still_for) if still_for else sa.false(),
            )
        )
        result = self.conn.execute(
            todo.update()
            .where(
                todo.c.rule == self.reminder.name,
                todo.c.done_at.is_(None),
                todo.c.closed_at.is_(None),
                ~sa.exists(wanted),
            )
            .values(closed_at=now)
        )
        return result.rowcount or 0

    # -- opening ---------------------------------------------------------------------------
    def open(self, now: dt.datetime) -> int:
        shown = {s.placeholder: s for s in shown_fields(self.gen.app, self.reminder)}
        columns = {
            name: self._formula(".".join(s.path)).label(f"v{index}")
            for index, (name, s) in enumerate(shown.items())
        }
        rows: dict[tuple[int, dt.date, int], dict[str, Any]] = {}
        for user in self.recipients.fields:
            self._collect(rows, user, self.table, columns, shown, now)
        if self.recipients.role_users:
            users = self.gen.users
            joined = self.table.join(users, users.c.id.in_(self.recipients.role_users))
            self._collect(rows, users.c.id, joined, columns, shown, now)
        for start in range(0, len(rows), CHUNK):
            self.conn.execute(self._upsert(), list(rows.values())[start : start + CHUNK])
        return len(rows)

    def _collect(
        self,
        rows: dict[tuple[int, dt.date, int], dict[str, Any]],
        user: ColumnElement[Any],
        source: Any,
        columns: dict[str, ColumnElement[Any]],
        shown: dict[str, Shown],
        now: dt.datetime,
    ) -> None:
        todo, table = self.gen.todo, self.table
        # The records that call for a to-do, with its day and user; then those without one.
        wanted = (
            sa.select(
                table.c.id,
                self.schedule.due(self.date).label("due_on"),
                user.label("user_id"),
                *columns.values(),
            )
            .select_from(source)
            .where(self.schedule.opens(self.date), self.when)
            .subquery("wanted")
        )
        existing = sa.select(sa.literal(1)).where(
            todo.c.rule == self.reminder.name,
            todo.c.record_id == wanted.c.id,
            todo.c.due_on == wanted.c.due_on,
            todo.c.user_id == wanted.c.user_id,
            todo.c.closed_at.is_(None),
        )
        query = sa.select(wanted).where(
            wanted.c.user_id.is_not(None),
            wanted.c.user_id.in_(self._active()),
            ~sa.exists(existing),
        )
        for row in self.conn.execute(query):
            key = (row.id, row.due_on, int(row.user_id))
            if key in rows:
                continue
            values = {name: row[index + 3] for index, name in enumerate(columns)}
            rows[key] = {
                "rule": self.reminder.name,
                "entity": self.reminder.entity,
                "record_id": row.id,
                "user_id": int(row.user_id),
                "due_on": row.due_on,
                "title": render_all(self.reminder, values, shown),
                "created_at": now,
            }

    def _upsert(self) -> Any:
        """Insert; where the to-do exists closed, reopen it; where open or done, leave it."""
        todo = self.gen.todo
        insert = (postgresql.insert if self.ctx.dialect == "postgresql" else sqlite.insert)(todo)
        return insert.on_conflict_do_update(
            index_elements=[todo.c.rule, todo.c.record_id, todo.c.due_on, todo.c.user_id],
            set_={"closed_at": None, "title": insert.excluded.title},
            where=todo.c.closed_at.is_not(None),
        )
