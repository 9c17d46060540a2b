"""The problems of an import, row by row, and the file to fix them in.

`RowError` is one problem: the row as the spreadsheet numbers it, the column, the value found
and what is wrong. The error report is the bad rows of the original file, with their original
columns (so it can be fixed and uploaded again as it is) and two more at the end: the row's
number in the original file and its problems.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from .sources import Source
from .writers import write_file


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    #: The column's header ("" when the problem is the whole row's).
    column: str
    value: str
    message: str

    def describe(self) -> str:
        return f"{self.column}: {self.message}" if self.column else self.message


def by_row(errors: Iterable[RowError]) -> dict[int, list[RowError]]:
    grouped: dict[int, list[RowError]] = defaultdict(list)
    for error in errors:
        grouped[error.row].append(error)
    return grouped


def report_rows(source: Source, errors: Iterable[RowError]) -> Iterator[list[Any]]:
    """The bad rows of `source`, cells as read, then the row number and the problems."""
    grouped = by_row(errors)
    width = len(source.columns)
    for row in source.rows():
        problems = grouped.get(row.number)
        if problems:
            cells = list(row.cells[:width]) + [None] * (width - len(row.cells))
            yield [*cells, row.number, "; ".join(p.describe() for p in problems)]


def report_header(source: Source) -> list[str]:
    return [*source.columns, _("Row"), _("Problems")]


def write_report(source: Source, errors: Iterable[RowError], target: Path, kind: str) -> None:
    """Write the error report of `source` to `target` as "csv" or "xlsx"."""
    write_file(target, kind, report_header(source), report_rows(source, errors))
