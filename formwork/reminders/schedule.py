"""On which day a record's to-do falls, for each kind of reminder, as SQL over the date column.

For a run on day `today`, a `Schedule` gives two SQL expressions over a record's date `D`:

- `due`: the day of the record's current to-do — `D - days` (before), the latest of
  `D + days + 1`, then every `repeat_days`, that is not after today (overdue), this year's
  or next year's anniversary minus `days` (yearly);
- `opens`: whether a to-do should be made now. Dated to-dos are made up to `LOOKAHEAD_DAYS`
  ahead, so the home page can show the coming week; overdue ones only once they are overdue.

A to-do stays open while its record still gives the same `due` (see `stays`); before ones stay
after the date has passed, until done, yearly ones close once the anniversary is past.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ..metamodel.model import Reminder
from ..rules.functions import FunctionRegistry, SqlContext

#: How far ahead dated to-dos are made (and the home page looks): a week.
LOOKAHEAD_DAYS = 7


@dataclass(frozen=True)
class Schedule:
    reminder: Reminder
    today: dt.date
    functions: FunctionRegistry
    ctx: SqlContext

    def due(self, date: ColumnElement[Any]) -> ColumnElement[Any]:
        """The day of the record's current to-do (NULL for a yearly date outside the window)."""
        days = self.reminder.days
        if self.reminder.kind == "before":
            return self._add_days(date, sa.literal(-days))
        if self.reminder.kind == "overdue":
            first = days + 1
            repeat = self.reminder.repeat_days
            if repeat is None:
                return self._add_days(date, sa.literal(first))
            # Whole repeats since the first day (// is integer division on both databases).
            since = sa.cast(self._days_between(date, self._today()), sa.Integer) - first
            step = since // sa.literal(repeat, sa.Integer) * repeat
            return self._add_days(date, sa.literal(first) + step)
        return sa.type_coerce(
            sa.case(self._anniversaries(), value=self._month_day(date), else_=sa.null()),
            sa.Date,
        )

    def opens(self, date: ColumnElement[Any]) -> ColumnElement[Any]:
        """Whether a record with this date calls for a to-do today."""
        days = self.reminder.days
        if self.reminder.kind == "before":
            last = self.today + dt.timedelta(days=days + LOOKAHEAD_DAYS)
            return sa.and_(date >= self._today(), date <= sa.literal(last, sa.Date))
        if self.reminder.kind == "overdue":
            return date <= sa.literal(self.today - dt.timedelta(days=days + 1), sa.Date)
        return self._month_day(date).in_(list(self._anniversaries()))

    def stays(self, date: ColumnElement[Any], due_on: ColumnElement[Any]) -> ColumnElement[Any]:
        """Whether an open to-do for `due_on` still fits a record with this date."""
        same_day = self.due(date) == due_on
        if self.reminder.kind == "overdue":
            return sa.and_(self.opens(date), same_day)
        return same_day

    # -- pieces ----------------------------------------------------------------------------
    def _today(self) -> ColumnElement[Any]:
        return sa.literal(self.today, sa.Date)

    def _add_days(self, date: ColumnElement[Any], count: ColumnElement[Any]) -> ColumnElement[Any]:
        add = self.functions.get("add_days")
        assert add is not None and add.sql is not None
        return sa.type_coerce(add.sql([date, count], self.ctx), sa.Date)

    def _days_between(
        self, start: ColumnElement[Any], end: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        between = self.functions.get("days_between")
        assert between is not None and between.sql is not None
        return between.sql([start, end], self.ctx)

    def _month_day(self, date: ColumnElement[Any]) -> ColumnElement[Any]:
        if self.ctx.dialect == "postgresql":
            return sa.func.to_char(date, "MM-DD")
        return sa.func.strftime("%m-%d", date)

    def _anniversaries(self) -> dict[str, dt.date]:
        """Month-day ("03-10") → the to-do's day, for anniversaries from today to the end of
        the lookahead. In a year without 29 February, those born on it are reminded on the
        28th."""
        found: dict[str, dt.date] = {}
        for offset in range(self.reminder.days + LOOKAHEAD_DAYS + 1):
            day = self.today + dt.timedelta(days=offset)
            due = day - dt.timedelta(days=self.reminder.days)
            found[day.strftime("%m-%d")] = due
            if day.month == 2 and day.day == 28 and not _leap(day.year):
                found["02-29"] = due
        return found


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
