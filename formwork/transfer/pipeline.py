"""The import itself: rows of a file, mapped and converted, written through the record service.

Rows are taken a batch at a time. Each batch's link cells are looked up together, the records
its key values name are found, and then, inside one `RecordService.batch()`, the rows that make
new records are created together by `RecordService.create_many` and each row whose key names
an existing record updates it with `RecordService.update`, in file order. Every check, rule,
audit row and permission applies exactly as for one record typed into a form; `create_many`
only does the work per batch instead of per row (see docs/import-export.md).

A dry run does all of that and rolls every batch back, reporting every bad row: refused rows
are left out as if each row had a savepoint of its own, so one refusal does not hide the next.
A real run writes a batch all or nothing: if any of its rows is refused, the batch is rolled
back and the import stops there (the batches before it stay written). Because rows with a key
update the record the key finds, running the same file again after a stop or a crash writes
no duplicates.

Blank cells mean "no value" for a new record and "leave as it is" for an existing one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from ..metamodel.model import Entity, Field
from ..store.actor import Actor
from ..store.bulk_write import RowRefused
from ..store.errors import (
    RECORD_KEY,
    Conflict,
    Forbidden,
    NotFound,
    RecordError,
    ValidationFailed,
)
from ..store.gc_pause import gc_paused
from ..store.query import MAX_PAGE_SIZE, Filter, Query
from ..store.records import RecordService
from .convert import CellProblem, Converter, text_of
from .links import LinkResolver
from .mapping import RECORD_ID, ColumnMap
from .report import RowError
from .sources import Row, Source

#: Rows per transaction. A commit writes every page the batch changed to the log, and a
#: table's index pages are changed again by the next batch — all of them, once the batch has
#: more rows than an index has pages: at 500 rows committing cost more than the inserts
#: themselves, and batches of 20,000 import ~8 % faster than 5,000's (~16 % into a table of
#: a million records; docs/import-export.md). Other writers wait ~2 s for a batch's lock.
DEFAULT_BATCH = 20_000
#: New records per `create_many` call: what one call holds in memory (~9 KB a row) is freed
#: before the next, so a batch costs one run's memory plus its rows as read and converted.
RUN_ROWS = 5_000
#: Called as rows are done: (rows done, rows in the file).
Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    """What an import (or its dry run) did, and every problem it met, by row."""

    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Bad rows left out because the caller asked to skip them.
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    #: The first row of the batch that was refused and rolled back (nothing after it was
    #: written); None when the import ran to the end.
    stopped_at: int | None = None

    @property
    def bad_rows(self) -> set[int]:
        return {e.row for e in self.errors}

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Prepared:
    row: Row
    data: dict[str, Any]
    key: Any = None
    #: (id, version) of the record the key found, if any.
    existing: tuple[int, int] | None = None
    bad: bool = False


class Importer:
    """Imports files into one entity as one user, with one column mapping."""

    def __init__(
        self,
        service: RecordService,
        entity: Entity,
        user: Actor | int | None,
        columns: tuple[str, ...],
        mapping: ColumnMap,
        *,
        zone: str = "UTC",
        translate: Callable[[str], str] = str,
        label: Callable[[Field], str] | None = None,
    ) -> None:
        if mapping.problems:
            raise ValueError("the mapping has problems: " + "; ".join(mapping.problems))
        service.policy.check(user, "import", entity)
        self.service = service
        self.entity = entity
        self.user = user
        self.mapping = mapping
        self.translate = translate
        self.label = label or (lambda f: f.label.get(service.app.default_locale, f.name))
        self.links = LinkResolver(service, user)
        self.convert = Converter(self.links, zone)
        index = {name: i for i, name in enumerate(columns)}
        #: (cell index, column header, field) of every mapped column, in file order.
        self.cells = [
            (index[column], column, entity.fields.get(name))
            for column, name in mapping.fields.items()
        ]
        #: What `_convert` does with each of those cells: (cell index, column header, field
        #: name, its conversion, whether its values must be unique in the file, whether it is
        #: written).
        self.plan = []
        for i, column, f in self.cells:
            name = mapping.fields[column]
            if name == RECORD_ID:
                self.plan.append((i, column, name, _record_number, True, False))
                continue
            assert f is not None, name  # `mapping.check` maps columns to fields or RECORD_ID
            unique = f.unique or name == mapping.key
            self.plan.append((i, column, name, self.convert.for_field(f), unique, f.writable))
        self.width = len(columns)
        self.column_of = {name: column for column, name in mapping.fields.items()}

    def run(
        self,
        source: Source,
        *,
        dry_run: bool = False,
        skip_invalid: bool = False,
        batch_size: int = DEFAULT_BATCH,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Import (or with `dry_run`, only check) every row of `source`."""
        # Progress is told against the file's rows, counted first; without it, they are
        # counted as they are read (and the rest after a stop).
        total = sum(1 for _row in source.rows()) if progress else None
        result = ImportResult(dry_run=dry_run, rows=total or 0)
        seen: dict[str, dict[Any, int]] = {}
        done = 0
        rows = source.rows()
        for chunk in _chunks(rows, batch_size):
            if total is None:
                result.rows += len(chunk)
            with gc_paused():  # the batch's rows live until it is written: see store.gc_pause
                finished = self._batch(chunk, seen, result, dry_run, skip_invalid, progress, done)
            if not finished:
                result.stopped_at = chunk[0].number
                if total is None:
                    result.rows += sum(1 for _row in rows)
                return result
            done += len(chunk)
            if progress:
                progress(done, total)
        return result

    def _batch(
        self,
        chunk: list[Row],
        seen: dict[str, dict[Any, int]],
        result: ImportResult,
        dry_run: bool,
        skip_invalid: bool,
        progress: Progress | None,
        done: int,
    ) -> bool:
        """Check or write one batch of rows; False if the import stops before it."""
        prepared = self._prepare(chunk, seen, result)
        if dry_run:
            self._check(prepared, result)
            return True
        bad = [p for p in prepared if p.bad]
        if bad and not skip_invalid:
            return False
        result.skipped += len(bad)
        return self._write([p for p in prepared if not p.bad], result, progress, done)

    # -- preparing rows --------------------------------------------------------------------
    def _prepare(
        self, rows: list[Row], seen: dict[str, dict[Any, int]], result: ImportResult
    ) -> list[_Prepared]:
        for index, _column, f in self.cells:
            if f is not None and f.type == "link":
                texts = {text_of(r.cells[index]).strip() for r in rows if index < len(r.cells)}
                self.links.prefetch(f, (t for t in texts if t))
        prepared = [self._convert(row, seen, result) for row in rows]
        self._find_existing([p for p in prepared if p.key is not None and not p.bad])
        return prepared

    def _convert(
        self, row: Row, seen: dict[str, dict[Any, int]], result: ImportResult
    ) -> _Prepared:
        item = _Prepared(row, {})
        cells, width = row.cells, self.width
        if len(cells) != width:  # missing cells are blank; extra ones must be
            if len(cells) > width and any(c not in (None, "") for c in cells[width:]):
                self._fail(
                    item, result, "", "", _("This row has more cells than there are columns.")
                )
            cells = (*cells[:width], *(None,) * (width - len(cells)))
        data = item.data
        for index, column, name, convert, unique, written in self.plan:
            cell = cells[index]
            try:
                value = convert(cell)
            except CellProblem as problem:
                self._fail(item, result, column, cell, str(problem))
                continue
            if value is None or (type(value) is list and not value):
                continue
            if unique:
                first = seen.setdefault(name, {}).setdefault(_hashable(value), row.number)
                if first != row.number:
                    self._fail(
                        item,
                        result,
                        column,
                        cell,
                        _("Row %(row)s has the same value; it must be unique.", row=first),
                    )
                    continue
                if name == self.mapping.key:  # the key is among the unique columns
                    item.key = value
            if written:
                data[name] = value
        return item

    def _find_existing(self, items: list[_Prepared]) -> None:
        key = self.mapping.key
        if not items or key is None:
            return
        by_key = {_hashable(p.key): p for p in items}
        for start in range(0, len(items), MAX_PAGE_SIZE):
            values = [p.key for p in items[start : start + MAX_PAGE_SIZE]]
            query = Query(
                filters=(Filter(key, "in", values),), page_size=MAX_PAGE_SIZE, count=False
            )
            page = self.service.query(self.entity.name, query, self.user)
            for record in page.records:
                found = record.id if key == RECORD_ID else record.values.get(key)
                item = by_key.get(_hashable(found))
                if item is not None:
                    item.existing = (record.id, record.version)

    # -- writing ---------------------------------------------------------------------------
    def _check(self, items: list[_Prepared], result: ImportResult) -> None:
        with self.service.batch(dry_run=True):
            for run in self._runs(items):
                if self._creates(run[0]):
                    self._create(run, result, skip_refused=True)
                    continue
                try:
                    self._change(run[0], result)
                except RecordError as exc:
                    self._refused(run[0], result, exc)

    def _write(
        self, items: list[_Prepared], result: ImportResult, progress: Progress | None, done: int
    ) -> bool:
        counts = (result.created, result.updated, result.unchanged)
        refused: tuple[_Prepared, RecordError] | None = None
        try:
            with self.service.batch():
                for run in self._runs(items):
                    try:
                        if self._creates(run[0]):
                            self._create(run, result)
                        else:
                            self._change(run[0], result)
                    except RowRefused as exc:
                        refused = (run[exc.index], exc.error)
                        raise
                    except RecordError as exc:  # e.g. what the database refused for the run
                        refused = (run[0], exc)
                        raise
                    done += len(run)
                    if progress:  # inside the batch: the rows are written, not yet committed
                        progress(done, result.rows)
        except RecordError:
            assert refused is not None
            result.created, result.updated, result.unchanged = counts
            item, error = refused
            self._refused(item, result, error)
            return False
        return True

    def _runs(self, items: list[_Prepared]) -> Iterator[list[_Prepared]]:
        """The good rows in file order: rows that make new records together (up to
        `RUN_ROWS`), each row that changes a record (or names one by a missing record number)
        alone."""
        run: list[_Prepared] = []
        for item in items:
            if item.bad:
                continue
            if self._creates(item):
                run.append(item)
                if len(run) == RUN_ROWS:
                    yield run
                    run = []
                continue
            if run:
                yield run
                run = []
            yield [item]
        if run:
            yield run

    def _creates(self, item: _Prepared) -> bool:
        return item.existing is None and not (
            self.mapping.key == RECORD_ID and item.key is not None
        )

    def _create(
        self, run: list[_Prepared], result: ImportResult, skip_refused: bool = False
    ) -> None:
        """Create the run's records with one `create_many`: all or nothing, or (in a dry run)
        every row checked and the refused ones reported."""
        name = self.entity.name
        rows = [item.data for item in run]
        created = self.service.create_many(
            name, rows, self.user, skip_refused=skip_refused, records=False
        )
        result.created += created.created
        for index, error in sorted(created.errors.items()):
            self._refused(run[index], result, error)

    def _change(self, item: _Prepared, result: ImportResult) -> None:
        """Update the record the row's key found (NotFound: a record number that names none)."""
        if item.existing is None:
            raise NotFound(self.entity.name, item.key)
        record_id, version = item.existing
        record = self.service.update(self.entity.name, record_id, item.data, version, self.user)
        if record.version == version:
            result.unchanged += 1
        else:
            result.updated += 1

    # -- problems --------------------------------------------------------------------------
    def _fail(
        self, item: _Prepared, result: ImportResult, column: str, cell: Any, text: str
    ) -> None:
        item.bad = True
        value = "" if cell is None else text_of(cell)
        result.errors.append(RowError(item.row.number, column, value, text))

    def _refused(self, item: _Prepared, result: ImportResult, exc: RecordError) -> None:
        if isinstance(exc, ValidationFailed):
            for key, texts in exc.errors.items():
                name = key.split("[")[0].split(".")[0]
                column = self.column_of.get(name, "")
                cell = self._cell(item.row, column)
                for text in texts:
                    message = self.translate(text)
                    if not column and key != RECORD_KEY:
                        f = self.entity.fields.get(name)
                        message = f"{self.label(f) if f else key}: {message}"
                    self._fail(item, result, column, cell, message)
            return
        if isinstance(exc, Conflict):
            text = _("Someone else changed this record meanwhile; import the file again.")
        elif isinstance(exc, NotFound):
            text = _("There is no such record, or you may not change it.")
        elif isinstance(exc, Forbidden):
            text = _("Your roles do not allow this.")
        else:
            text = str(exc)
        self._fail(item, result, self.mapping.key_column or "", None, text)

    def _cell(self, row: Row, column: str) -> Any:
        for index, header, _f in self.cells:
            if header == column:
                return row.cells[index] if index < len(row.cells) else None
        return None


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def _record_number(cell: Any) -> int | None:
    if cell is None or not text_of(cell).strip():
        return None
    text = text_of(cell).strip().lstrip("#").strip()
    if not text.isdigit() or int(text) < 1:
        raise CellProblem(_("Not a record number."))
    return int(text)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
