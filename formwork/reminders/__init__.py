"""Reminders: dated to-dos for people, made from the reminders of the config (docs/reminders.md).

`Reminders(records)` is the one way in, for the CLI (`formwork tick`), the development
server's ticker and the home page:

    reminders = Reminders(runtime.records)
    report = reminders.generate(today)          # make and close to-dos; twice is a no-op
    reminders.todos.due(user.id, today)         # the user's to-dos, a week ahead
    reminders.todos.mark_done(user.id, todo_id)

The parts: `schedule` (on which day a record's to-do falls, per kind), `generator` (the SQL
that makes and closes to-dos), `titles` (the to-do's text), `todos` (a user's to-dos),
`tables` (`fw_todo`).
"""

from __future__ import annotations

import datetime as dt

from ..store.records import RecordService
from .generator import GenerationReport, Generator
from .schedule import LOOKAHEAD_DAYS
from .todos import SNOOZE_DAYS, Todo, TodoList

__all__ = [
    "LOOKAHEAD_DAYS",
    "SNOOZE_DAYS",
    "GenerationReport",
    "Reminders",
    "Todo",
    "TodoList",
]


class Reminders:
    def __init__(self, records: RecordService) -> None:
        self.records = records
        self.todos = TodoList(records.db, records.tables, records.clock)

    def today(self) -> dt.date:
        """The day by the record service's clock (the day `today()` means in formulas)."""
        return self.records.clock().date()

    def generate(self, today: dt.date | None = None) -> GenerationReport:
        """Make the to-dos due by `today` (default: today) and close those no longer called for."""
        return Generator(self.records).run(today or self.today())
