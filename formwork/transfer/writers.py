"""Writing rows to CSV or .xlsx with bounded memory, whatever the number of rows.

CSV is produced as a stream of byte chunks (UTF-8 with a byte-order mark, so Excel opens
Chinese text correctly); .xlsx through openpyxl's write-only mode, which keeps rows in a
temporary file until the workbook is saved. Text cells are neutralised against formula
injection (`cells.neutralise`); numbers, dates and booleans are written as themselves.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from .cells import neutralise

FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Characters XML 1.0 (so .xlsx) cannot hold.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FLUSH_ROWS = 1000


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV file as byte chunks of about `FLUSH_ROWS` rows each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([neutralise(h) for h in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(c) for c in row])
        if count % FLUSH_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return neutralise(value)


def write_xlsx(
    target: IO[bytes] | Path, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Write a one-sheet workbook to `target` (a path or a binary file)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([_xlsx_cell(h) for h in header])
    for row in rows:
        sheet.append([_xlsx_cell(c) for c in row])
    book.save(target)


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Excel keeps 15 significant digits either way; a float is what it stores.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str):
        return neutralise(ILLEGAL_XML.sub("", value))
    return value


def write_csv(target: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with target.open("wb") as handle:
        for chunk in csv_chunks(header, rows):
            handle.write(chunk)


def write_file(
    target: Path, kind: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Write rows to `target` as `kind` ("csv" or "xlsx")."""
    if kind == "xlsx":
        write_xlsx(target, header, rows)
    else:
        write_csv(target, header, rows)


def xlsx_file(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> IO[bytes]:
    """The workbook in an anonymous temporary file, positioned at its start (to stream)."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the caller streams and closes it)
    write_xlsx(handle, header, rows)
    handle.seek(0)
    return handle
