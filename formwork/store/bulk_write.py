"""Creating many records of one entity at once: every check and rule of `create`, per batch.

`RecordService.create_many` gives each row what `create` gives one record — the same input
schema, field permissions, link and unique checks, auto-numbers, defaults, conditional fields,
validations, computed fields, grades with their history, audit rows, and the records that
depend on the new ones brought up to date — and the same errors, per row and field. The work is
done per batch instead of per row:

1. permissions checked once; each row's input cleaned (`InputCleaner`) in Python;
2. links and unique values checked with one query per field for the whole batch (a value
   claimed by an earlier row of the batch counts as used, as it would be after that row's
   insert);
3. ids and numbers reserved for the batch in one statement each (`bulk_reserve`);
4. each row's defaults, rules, computed fields and grades evaluated in Python with the compiled
   formulas, related and linked records read for the whole batch (`BatchContext`,
   `BatchDeriver`), on the values as the database will hand them back;
5. the records, their audit rows and their grade history rows written with one `executemany`
   each, every value of a record in its one INSERT;
6. the records of other entities that read the new ones (rollups into a parent, fields read
   through a link) recomputed once for the batch, set-based (`bulk_recompute`).

A row's checks run in the order `create` runs them, so a row refused for several reasons gets
the errors `create` would give. By default a batch is all or nothing: the first refused row
(in input order) raises `RowRefused` and nothing is written. With `skip_refused` the others
are written and the errors returned by row; `dry_run` checks every row and writes nothing.

Rows that carry child-table rows or attachments go through `create` itself, in their place in
the batch, as do rows that link to a record of the same entity not in the database yet (one
created earlier in the batch): the rows before them are written first.

Where the batch differs from creating the rows one by one, it is in what is written between
rows, never in the stored result: a parent's rollups are recomputed once for the batch, so it
gets one "recompute" audit row and at most one grade history row with the batch's net change,
instead of one per new row; and a row's formulas see linked records of other entities as they
were before the batch (one by one, a later row would see a parent already updated by earlier
rows — this matters only to defaults and validations that read a rollup of the same batch).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from operator import is_not, itemgetter
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from ..metamodel.fieldtypes.columns import ExactDecimal
from ..metamodel.model import Entity, frozen_map
from ..rules.rulebook import ID_KEY, formula_view
from .actor import Actor, actor_id
from .attachments import FileChanges
from .audit import created
from .bulk_context import BatchContext, chunks
from .bulk_derive import BatchDeriver
from .bulk_insert import insert_columns, remembered
from .bulk_recompute import Propagation
from .bulk_reserve import reserve_ids, reserve_numbers
from .database import use_bulk_cache
from .errors import RecordError, ValidationFailed, message
from .gc_pause import gc_paused
from .input_schema import CleanInput, is_empty, table_fields
from .permissions import guard_fields, shown
from .record import Record, record_from_row
from .record_rules import to_column
from .references import integrity_error, target_table
from .system import AUDIT_TABLE

if TYPE_CHECKING:
    from .records import RecordService

User = Actor | int | None


class RowRefused(RecordError):
    """A row of an all-or-nothing batch was refused, so nothing of the batch was written.

    `index` is the row's position in the batch (from 0), `error` what `create` would raise."""

    def __init__(self, index: int, error: RecordError) -> None:
        self.index = index
        self.error = error
        super().__init__(f"row {index + 1}: {error}")


@dataclasses.dataclass(frozen=True)
class CreatedMany:
    """What `create_many` did: the records by row (None where refused; none at all when the
    caller asked for none), the refusals by row, and how many records were created."""

    records: list[Record | None]
    errors: dict[int, RecordError]
    created: int


def create_many(
    service: RecordService,
    entity: str,
    rows: Sequence[Mapping[str, Any]],
    user: User = None,
    *,
    dry_run: bool = False,
    skip_refused: bool = False,
    records: bool = True,
) -> CreatedMany:
    """Create a record from each row (see the module's docstring); without `records`, the
    records made are not handed back (an import only counts them)."""
    ent = service._writable(entity)
    service.policy.check(user, "create", ent)
    creation = _Creation(service, ent, user, keep_going=dry_run or skip_refused, keep=records)
    with gc_paused(), service._transaction(ent, dry_run) as (conn, files):
        use_bulk_cache(conn)
        creation.run(conn, files, rows)
    if not records:
        return CreatedMany([], creation.errors, creation.created)
    made = [creation.records.get(i) for i in range(len(rows))]
    visible = iter(shown(service.policy, ent, user, [r for r in made if r is not None]))
    return CreatedMany(
        [None if r is None else next(visible) for r in made], creation.errors, creation.created
    )


@dataclasses.dataclass
class _Row:
    index: int
    clean: CleanInput
    id: int = 0
    values: dict[str, Any] = dataclasses.field(default_factory=dict)


class _Creation:
    """One call of `create_many`: the rows, what was made of them, what was refused."""

    def __init__(
        self, service: RecordService, ent: Entity, user: User, keep_going: bool, keep: bool = True
    ) -> None:
        self.service = service
        self.ent = ent
        self.user = user
        self.user_id = actor_id(user)
        self.keep_going = keep_going
        self.table = service.tables[ent.name]
        self.rules = service.rules[ent.name]
        self.stored = ent.stored_fields()
        self.tables = table_fields(ent)
        self.links = [f for f in self.stored if f.type == "link"]
        self.self_links = [f.name for f in self.links if f.setting("to") == ent.name]
        self.unique = [f.name for f in self.stored if f.unique]
        self.rich = {f.name for f in self.stored if f.type == "attachment"}
        self.names = [f.name for f in self.stored]
        self.forms = stored_forms(self.table, service.db.engine.dialect)
        #: A new record before its values are set: as stored, and as formulas see it.
        self.blank = dict.fromkeys(self.names)
        self.blank_view = formula_view(ent, {}, None)
        #: Whether the records made are kept to be handed back (`records`).
        self.keep = keep
        self.records: dict[int, Record] = {}
        #: How many records were written (refused rows and rolled-back runs left out).
        self.created = 0
        self.errors: dict[int, RecordError] = {}

    def run(self, conn: Connection, files: FileChanges, rows: Sequence[Mapping[str, Any]]) -> None:
        cleaned = self._clean(rows)
        existing_self = self._existing_self_links(conn, cleaned)
        run: list[_Row] = []
        for row in cleaned:
            values = row.clean.values
            if row.clean.tables or self.rich & values.keys():
                self._write_run(conn, run)
                run = []
                self._create_one(conn, files, row)
                continue
            ahead = any(
                values.get(n) is not None and values[n] not in existing_self
                for n in self.self_links
            )
            if ahead and run:  # it may link to a record of the run: write those first
                self._write_run(conn, run)
                run = []
            run.append(row)
        self._write_run(conn, run)
        self._stop_at_first_error()

    def _stored(self, name: str, value: Any) -> Any:
        """`value` as the column `name` hands it back once written."""
        form = self.forms.get(name)
        return value if form is None or value is None else form(value)

    # -- 1. input ---------------------------------------------------------------------------
    def _clean(self, rows: Sequence[Mapping[str, Any]]) -> list[_Row]:
        """Clean every row's input; in an all-or-nothing batch, only the rows before the first
        refused one matter (one of them may be refused by a later check)."""
        policy = _Known(self.service.policy, self.ent, self.user)
        cleaner = self.service.cleaner
        cleaned = []
        for index, data in enumerate(rows):
            try:
                guard_fields(policy, self.ent, self.user, data)
                cleaned.append(_Row(index, cleaner.clean(self.ent, data, creating=True)))
            except ValidationFailed as exc:
                self.errors[index] = exc
                if not self.keep_going:
                    break
        return cleaned

    def _existing_self_links(self, conn: Connection, rows: list[_Row]) -> set[Any]:
        if not self.self_links:
            return set()
        values = {r.clean.values.get(n) for r in rows for n in self.self_links} - {None}
        return _existing(conn, self.table, sorted(values))

    # -- 2. checks against the database ------------------------------------------------------
    def _checked(self, conn: Connection, run: list[_Row]) -> list[_Row]:
        """The rows that pass the link and unique checks (`RecordService._check`)."""
        existing = {}
        for f in self.links:
            values = {r.clean.values.get(f.name) for r in run} - {None}
            if values:
                existing[f.name] = _existing(conn, target_table(self.service.tables, f), values)
        used = {name: self._used(conn, name, run) for name in self.unique}
        passed = []
        for row in run:
            values = row.clean.values
            claims = self._claims(values, existing, used)
            if claims is not None:  # no problem: taken for the rows after it, as once inserted
                for name, stored in claims:
                    used[name].add(stored)
                passed.append(row)
                continue
            errors: dict[str, list[str]] = {}
            for name, value in values.items():
                if name in existing and value is not None and value not in existing[name]:
                    errors.setdefault(name, []).append(message("no_such_record"))
            claims = []
            for name, value in values.items():
                if name in used and value is not None:
                    stored = _hashable(self._stored(name, value))
                    if stored in used[name]:
                        errors.setdefault(name, []).append(message("unique"))
                    claims.append((name, stored))
            if errors:
                self._refuse(row, ValidationFailed(errors))
                continue
            for name, stored in claims:  # taken for the rows after it, as once it is inserted
                used[name].add(stored)
            passed.append(row)
        return passed

    def _claims(
        self, values: dict[str, Any], existing: dict[str, set[Any]], used: dict[str, set[Any]]
    ) -> list[tuple[str, Any]] | None:
        """The unique values a row claims if it passes the checks; None if it does not (its
        errors are then found in `_checked`'s order). Only the checked fields are looked at."""
        for name, found in existing.items():
            value = values.get(name)
            if value is not None and value not in found:
                return None
        claims = []
        for name in self.unique:
            value = values.get(name)
            if value is not None:
                stored = _hashable(self._stored(name, value))
                if stored in used[name]:
                    return None
                claims.append((name, stored))
        return claims

    def _used(self, conn: Connection, name: str, run: list[_Row]) -> set[Any]:
        values = {self._stored(name, r.clean.values.get(name)) for r in run} - {None}
        column = self.table.c[name]
        used: set[Any] = set()
        for part in chunks(list(values)):
            found = conn.execute(sa.select(column).where(column.in_(part))).scalars()
            used.update(_hashable(v) for v in found)
        return used

    # -- 3.-6. a run of rows written together -----------------------------------------------
    def _write_run(self, conn: Connection, run: list[_Row]) -> None:
        if not run:
            return
        if not self.keep_going:
            passed = self._checked(conn, run)
            if len(passed) < len(run):  # only rules of a row before the refused one matter now
                first = min(self.errors)
                self._write_rows(conn, [r for r in passed if r.index < first], write=False)
            else:
                self._write_rows(conn, passed)
            if any(r.index in self.errors for r in run):
                self._stop_at_first_error()
            return
        # Refused rows are left out as if each row had its own savepoint: a run with rows the
        # rules refuse is done again without them, so the rows after them get the ids, numbers
        # and unique values they would have got.
        refused: dict[int, RecordError] = {}
        while True:
            for row in run:
                self.errors.pop(row.index, None)
            with conn.begin_nested() as savepoint:
                rejected = self._write_rows(conn, self._checked(conn, run))
                if not rejected:
                    break
                savepoint.rollback()
            refused |= {i: self.errors[i] for i in rejected}
            run = [r for r in run if r.index not in rejected]
        self.errors |= refused

    def _write_rows(self, conn: Connection, rows: list[_Row], write: bool = True) -> set[int]:
        """Reserve, evaluate and (with `write`) write `rows`; the rows the rules refused, if
        any (then nothing is written)."""
        if not rows:
            return set()
        service, ent = self.service, self.ent
        now = service.clock()
        ids = reserve_ids(conn, self.table, len(rows))
        numbers = reserve_numbers(conn, service.tables, ent, now.date(), len(rows))
        ctx = BatchContext(conn, service.app, service.tables, now.date())
        ctx.add_batch(ent.name, ids)
        for f in self.links:
            ctx.want(f.setting("to"), (r.clean.values.get(f.name) for r in rows))
        deriver = BatchDeriver(conn, service.tables, ent, self.rules, ids, now)
        rejected = set()
        forms, blank, empty = self.forms, self.blank, self.blank_view
        numbered = list(numbers.items())
        for position, row in enumerate(rows):
            row.id = ids[position]
            given = row.clean.values
            if numbered:
                given = given | {name: values[position] for name, values in numbered}
            # The record's values as stored, and as formulas see them (`formula_view`).
            after, view = dict(blank), dict(empty)
            view[ID_KEY] = row.id
            for name, value in given.items():
                if value is not None and (form := forms.get(name)) is not None:
                    value = form(value)
                after[name] = value
                view[name] = float(value) if isinstance(value, Decimal) else value
            for f in self.tables:
                after[f.name] = view[f.name] = []
            try:
                derived = self._rules(ctx, deriver, row, after, view)
            except ValidationFailed as exc:
                self._refuse(row, exc)
                rejected.add(row.index)
                continue
            for name, value in derived.items():
                if value is not None and (form := forms.get(name)) is not None:
                    value = form(value)
                after[name] = value
            row.values = after
        if rejected or not write:
            return rejected
        self._insert(conn, rows, now)
        deriver.flush(conn)
        propagation = Propagation(
            conn, service.app, service.tables, service.rules, self.user_id, now
        )
        propagation.propagate_many(ent, [(r.id, None, r.values) for r in rows])
        self.created += len(rows)
        if self.keep:
            moved = {i for e, i in propagation.changed if e == ent.name}
            self._keep(conn, rows, now, moved)
        return set()

    def _rules(
        self,
        ctx: BatchContext,
        deriver: BatchDeriver,
        row: _Row,
        after: dict[str, Any],
        view: dict[str, Any],
    ) -> dict[str, Any]:
        """`RuleRunner.on_write` for a new record whose values are `after` (`view` as formulas
        see them): the derived values, or ValidationFailed."""
        rules = self.rules
        if rules.empty:
            return {}
        runner = self.service.runner
        clean = row.clean
        given = clean.values.keys() | clean.tables.keys() if clean.tables else clean.values.keys()
        updates: dict[str, Any] = {}
        for name, rule in rules.defaults.items():
            if name not in given and is_empty(view[name]):
                value = to_column(self.ent.fields[name], rule.run(view, ctx))
                if value is not None:
                    updates[name] = value
                    view[name] = _formula_value(value)
        errors = runner._check(ctx, self.ent, rules, view, None, after, given, row.id)
        if errors:
            raise ValidationFailed(errors)
        updates |= deriver.derive(ctx, view, after, row.id, self.user_id, "record_edit")
        return updates

    def _insert(self, conn: Connection, rows: list[_Row], now: dt.datetime) -> None:
        if not rows:
            return
        system = {
            "created_at": now,
            "updated_at": now,
            "created_by": self.user_id,
            "updated_by": self.user_id,
            "version": 1,
        }
        # Columns no row has a value for are left out: NULL either way, and fewer parameters.
        values = [r.values for r in rows]
        names = [
            n for n in self.names if any(map(is_not, map(itemgetter(n), values), repeat(None)))
        ]
        ids = [r.id for r in rows]
        columns: list[Sequence[Any]] = [ids]
        if names:
            pick = itemgetter(*names) if len(names) > 1 else (lambda v: (v[names[0]],))
            columns.extend(zip(*map(pick, values), strict=True))
        insert_columns(conn, self.table, ["id", *names], columns, system)
        audit = {"at": now, "user_id": self.user_id, "entity": self.ent.name, "action": "create"}
        table = self.service.tables.system(AUDIT_TABLE)
        changes = list(map(created, values))
        insert_columns(conn, table, ("record_id", "changes"), [ids, changes], audit)

    def _keep(self, conn: Connection, rows: list[_Row], now: dt.datetime, moved: set[int]) -> None:
        """The records as created (read again where the propagation changed them)."""
        at = self._stored("created_at", now)
        title = self.ent.title_field
        for row in rows:
            if row.id in moved:
                continue
            value = row.values.get(title) if title else None
            self.records[row.index] = Record(
                self.ent.name,
                row.id,
                1,
                frozen_map(row.values),
                at,
                self.user_id,
                at,
                self.user_id,
                None if value is None else str(value),
            )
        again = [r for r in rows if r.id in moved]
        by_id = {r.id: r.index for r in again}
        empty = {f.name: [] for f in self.tables}
        for part in chunks(sorted(by_id)):
            query = sa.select(self.table).where(self.table.c.id.in_(part))
            for found in conn.execute(query).mappings():
                self.records[by_id[found["id"]]] = record_from_row(self.ent, found, empty)

    # -- rows `create` itself writes ----------------------------------------------------------
    def _create_one(self, conn: Connection, files: FileChanges, row: _Row) -> None:
        try:
            with conn.begin_nested():
                record = self.service._create(conn, files, self.ent, row.clean, self.user_id)
        except sa.exc.IntegrityError as exc:
            self._refuse(row, integrity_error(exc, self.ent))
        except RecordError as exc:
            self._refuse(row, exc)
        else:
            self.created += 1
            if self.keep:
                self.records[row.index] = record
            return
        if not self.keep_going:
            self._stop_at_first_error()

    # -- refusals ---------------------------------------------------------------------------
    def _refuse(self, row: _Row, error: RecordError) -> None:
        self.errors[row.index] = error

    def _stop_at_first_error(self) -> None:
        if self.errors and not self.keep_going:
            first = min(self.errors)
            raise RowRefused(first, self.errors[first])


class _Known:
    """The user's hidden and read-only fields of the entity, asked of the policy once."""

    def __init__(self, policy: Any, ent: Entity, user: User) -> None:
        self._hidden = policy.hidden(user, ent)
        self._readonly = policy.readonly(user, ent)

    def hidden(self, user: User, entity: Entity) -> frozenset[str]:
        return self._hidden

    def readonly(self, user: User, entity: Entity) -> frozenset[str]:
        return self._readonly


def _existing(conn: Connection, table: sa.Table, ids: Any) -> set[Any]:
    found: set[Any] = set()
    for part in chunks(sorted(ids)):
        found.update(conn.execute(sa.select(table.c.id).where(table.c.id.in_(part))).scalars())
    return found


@functools.cache
def stored_forms(table: sa.Table, dialect: Dialect) -> dict[str, Callable[[Any], Any]]:
    """The columns whose values the database hands back changed (money quantized to its
    places, timestamps in UTC), each with that change, done in Python by the column type's own
    conversions; other columns hand back what they were given."""
    forms: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, ExactDecimal):
            # An exact decimal comes back as its number alone decides (equal numbers, the
            # same quantized value), and the same amounts recur (zeros, computed sums).
            forms[column.name] = remembered(functools.partial(kind.round_trip, dialect=dialect))
        elif isinstance(kind, sa.types.TypeDecorator):
            forms[column.name] = functools.partial(_round_trip, kind, dialect)
    return forms


def _round_trip(kind: sa.types.TypeDecorator[Any], dialect: Dialect, value: Any) -> Any:
    return kind.process_result_value(kind.process_bind_param(value, dialect), dialect)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _formula_value(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


__all__ = ["CreatedMany", "RowRefused", "create_many", "stored_forms"]
