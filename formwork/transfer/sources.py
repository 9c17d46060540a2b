"""Opening an uploaded spreadsheet as a header and rows, whatever the file is called.

The format is told by the content: a zip (`PK`) is an .xlsx workbook, anything else is read
as CSV text. A `Source` can be read several times (a count, a dry run, the import, the error
report), each time from the start, without holding the file in memory. Every problem with the
file itself (empty, unreadable, not a spreadsheet, a broken header) is a `FileProblem` with a
message for the person who sent it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flask_babel import gettext as _

ZIP_MAGIC = b"PK\x03\x04"


class FileProblem(ValueError):
    """The file cannot be imported at all; the message says why, for its sender."""


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its number as a spreadsheet shows it (the header is row 1) and cells."""

    number: int
    cells: tuple[Any, ...]


class Source(Protocol):
    """A spreadsheet's first sheet: column names from the header row, then the rows."""

    path: Path
    kind: str

    @property
    def columns(self) -> tuple[str, ...]: ...

    def rows(self) -> Iterator[Row]:
        """The non-blank rows after the header, from the start of the file each time."""
        ...


def open_source(path: str | Path) -> Source:
    """The spreadsheet at `path`; FileProblem if it is empty or not a CSV or .xlsx file."""
    path = Path(path)
    with path.open("rb") as handle:
        start = handle.read(4)
    if not start:
        raise FileProblem(_("The file is empty."))
    if start == ZIP_MAGIC:
        from .xlsx_source import XlsxSource

        return XlsxSource(path)
    from .csv_source import CsvSource

    return CsvSource(path)


def header(cells: Sequence[Any]) -> tuple[str, ...]:
    """The column names of a header row; FileProblem for a blank or repeated name."""
    names = [normal_text(c) for c in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise FileProblem(_("The first row must name the columns; it is blank."))
    seen: set[str] = set()
    for index, name in enumerate(names, start=1):
        if not name:
            raise FileProblem(_("Column %(number)s has no name in the first row.", number=index))
        if name.casefold() in seen:
            raise FileProblem(_("Two columns are named %(name)s.", name=name))
        seen.add(name.casefold())
    return tuple(names)


def normal_text(value: Any) -> str:
    """A header cell as text: Unicode-normalised (full-width letters become plain), trimmed."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)
