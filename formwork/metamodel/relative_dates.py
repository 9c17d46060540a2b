"""Dates written relative to today in config filters: `today`, `-30d`, `+2w`, `-12m`, `-1y`.

A dashboard's filter says "signed in the last twelve months" as `signed_on.min: -12m`; the
date is worked out when the dashboard is shown, so the links it makes carry plain dates that
the list page understands. A month or year step that lands past a month's end (31 March less
one month) takes the month's last day.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

RELATIVE = re.compile(r"^(?:today|[+-]\d{1,4}[dwmy])$")
_STEP = re.compile(r"^([+-]\d{1,4})([dwmy])$")


def is_relative(text: str) -> bool:
    """Whether `text` is written relative to today."""
    return bool(RELATIVE.match(text))


def resolve(text: str, today: dt.date) -> dt.date:
    """The date `text` means on `today`; ValueError when it is neither relative nor ISO."""
    if text == "today":
        return today
    step = _STEP.match(text)
    if step is None:
        return dt.date.fromisoformat(text)
    amount, unit = int(step.group(1)), step.group(2)
    if unit == "d":
        return today + dt.timedelta(days=amount)
    if unit == "w":
        return today + dt.timedelta(weeks=amount)
    return add_months(today, amount * (12 if unit == "y" else 1))


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, on the month's last day where it has no such day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))
