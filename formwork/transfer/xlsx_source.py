"""Excel workbooks (.xlsx): the first sheet, read with openpyxl in read-only mode.

Read-only mode streams the sheet's XML, so a large workbook is not loaded whole. Cells keep
their types (numbers, dates, booleans), which the converters accept as they are.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from .sources import FileProblem, Row, blank, header


class XlsxSource:
    kind = "xlsx"

    def __init__(self, path: Path) -> None:
        self.path = path
        first = next(self._cells(), None)
        if first is None:
            raise FileProblem(_("The file is empty."))
        self.columns = header(first)

    def rows(self) -> Iterator[Row]:
        for number, cells in enumerate(self._cells(), start=1):
            if number > 1 and not blank(cells):
                yield Row(number, cells)

    def _cells(self) -> Iterator[tuple[Any, ...]]:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        # A file object, not a path: openpyxl would judge a path by its extension, and an
        # upload is judged by its content.
        with self.path.open("rb") as handle:
            try:
                book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
                raise FileProblem(
                    _(
                        "This is not an Excel (.xlsx) workbook that can be read: %(reason)s",
                        reason=exc,
                    )
                ) from None
            try:
                if book.worksheets:
                    yield from book.worksheets[0].iter_rows(values_only=True)
            finally:
                book.close()
