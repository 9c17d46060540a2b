"""Numbering patterns such as `KH-{YYYY}-{#####}`: parsing, rendering and counter periods.

A pattern is literal text with date parts (`{YYYY}`, `{YY}`, `{MM}`, `{DD}`) and exactly one
counter (`{###…}`, the number of `#` is the zero-padded width). The counter restarts whenever
the date parts in the pattern change: yearly for `{YYYY}`, monthly with `{MM}` as well.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"\{([^{}]*)\}")
_DATE_PARTS = {"YYYY": "%Y", "YY": "%y", "MM": "%m", "DD": "%d"}


@dataclass(frozen=True, slots=True)
class NumberingPattern:
    pattern: str
    width: int
    date_parts: tuple[str, ...]

    def period(self, today: dt.date) -> str:
        """The counter's period for `today` (empty when the pattern has no date part)."""
        return "-".join(today.strftime(_DATE_PARTS[p]) for p in self.date_parts)

    def render(self, today: dt.date, counter: int) -> str:
        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in _DATE_PARTS:
                return today.strftime(_DATE_PARTS[token])
            return str(counter).zfill(self.width)

        return _TOKEN.sub(replace, self.pattern)

    def render_many(self, today: dt.date, counters: Iterable[int]) -> list[str]:
        """`render(today, n)` for each counter n, the text around the counter worked out once."""
        pieces: list[str] = []
        counter_at, last = 0, 0
        for match in _TOKEN.finditer(self.pattern):
            pieces.append(self.pattern[last : match.start()])
            token = match.group(1)
            if token in _DATE_PARTS:
                pieces.append(today.strftime(_DATE_PARTS[token]))
            else:  # the one counter
                counter_at = len(pieces)
                pieces.append("")
            last = match.end()
        pieces.append(self.pattern[last:])
        head, tail = "".join(pieces[:counter_at]), "".join(pieces[counter_at + 1 :])
        return [f"{head}{str(n).zfill(self.width)}{tail}" for n in counters]


def parse_pattern(pattern: str) -> NumberingPattern:
    """Parse a numbering pattern; ValueError says what is wrong with it."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise ValueError("the pattern is empty")
    if len(pattern) > 60:
        raise ValueError("the pattern is longer than 60 characters")
    width = 0
    counters = 0
    date_parts: list[str] = []
    for token in _TOKEN.findall(pattern):
        if token in _DATE_PARTS:
            date_parts.append(token)
        elif token and set(token) == {"#"}:
            counters += 1
            width = len(token)
        else:
            raise ValueError(
                f"unknown part {{{token}}}; use {{YYYY}}, {{YY}}, {{MM}}, {{DD}} or {{###}}"
            )
    leftover = _TOKEN.sub("", pattern)
    if "{" in leftover or "}" in leftover:
        raise ValueError("unbalanced braces")
    if counters != 1:
        raise ValueError(f"needs exactly one counter such as {{#####}}, found {counters}")
    if width > 12:
        raise ValueError("the counter is wider than 12 digits")
    return NumberingPattern(pattern, width, tuple(date_parts))
