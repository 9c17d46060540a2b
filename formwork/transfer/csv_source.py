"""CSV files as Excel and other tools write them, in the encodings they use.

The encoding is found by an ordered trial over the whole file, streamed: a byte-order mark
decides (UTF-8 or UTF-16, as Excel's "Unicode text" writes); otherwise strict UTF-8, then
GB18030 (the superset of GBK and GB2312 that Chinese Excel exports in). The first that
decodes every byte wins, so a mis-detected file fails here, not as garbled records. The
delimiter (comma, semicolon or tab) is sniffed from the first lines.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

from flask_babel import gettext as _

from .sources import FileProblem, Row, header

BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"))
BOMS += ((codecs.BOM_UTF16_BE, "utf-16"),)
TRIED = ("utf-8", "gb18030")
CHUNK = 1 << 20
DELIMITERS = ",;\t"
#: Long cells (notes) are fine; a field beyond this is a broken file, not data.
csv.field_size_limit(16 * 1024 * 1024)


def detect_encoding(path: Path) -> str:
    """The encoding the whole file decodes in; FileProblem if none of the tried ones does."""
    with path.open("rb") as handle:
        start = handle.read(4)
    for bom, encoding in BOMS:
        if start.startswith(bom):
            return encoding
    for encoding in TRIED:
        if _decodes(path, encoding):
            return encoding
    raise FileProblem(
        _("The file's text encoding is not recognised; save it as CSV UTF-8 and try again.")
    )


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(CHUNK):
                if b"\x00" in chunk:  # a binary file, or UTF-16 without a mark
                    return False
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


class CsvSource:
    kind = "csv"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.encoding = detect_encoding(path)
        self.dialect = self._sniff()
        with self._open() as text:
            first = next(csv.reader(text, self.dialect), None)
        if first is None:
            raise FileProblem(_("The file is empty."))
        self.columns = header(first)

    def rows(self) -> Iterator[Row]:
        with self._open() as text:
            reader = csv.reader(text, self.dialect)
            try:
                next(reader, None)
                # Numbered by record, as a spreadsheet numbers its rows (a cell may hold a
                # line break).
                for number, cells in enumerate(reader, start=2):
                    if "".join(cells).strip():  # `blank`, for cells that are all text
                        yield Row(number, tuple(cells))
            except csv.Error as exc:
                raise FileProblem(
                    _("Line %(line)s cannot be read: %(reason)s", line=reader.line_num, reason=exc)
                ) from None

    def _open(self) -> io.TextIOWrapper:
        return open(self.path, encoding=self.encoding, newline="")

    def _sniff(self) -> type[csv.Dialect] | csv.Dialect:
        with self._open() as text:
            sample = text.read(64 * 1024)
        try:
            return csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
        except csv.Error:
            return csv.excel
