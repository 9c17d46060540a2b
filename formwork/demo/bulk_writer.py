"""Writing demo records in bulk: many rows per INSERT, then the bulk jobs derive what is derived.

For large scales the record service's per-record work (a transaction, reads back, audit rows)
dominates. The bulk writer inserts each batch with one executemany INSERT … RETURNING, after
the same input cleaning the service does (`InputCleaner`), the entity's default formulas,
validations and visibility rules (`writing.Rules`), and auto-numbers counted as the service
counts them (kept in fw_sequence batch by batch). The first records of every entity also go
through the real service as dry runs. Afterwards `recompute_all` (stored computed fields) or
`regrade` (grades, in SQL) fill in what the service would have derived.

What it does not write: an audit "create" entry per record, and the records' edits as separate
history (a record is inserted as it stands after its edits).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import Entity, Field
from ..store.database import use_bulk_cache
from ..store.errors import ValidationFailed
from ..store.input_schema import CleanInput
from ..store.numbering import sequence_key
from ..store.records import RecordService
from ..store.system import SEQUENCE_TABLE
from ..store.tables import Tables
from .errors import DemoError, RecordRefused
from .plan import REDRAWS, DemoPlan, Planned
from .service_writer import JoinedDatabase, PlanClock
from .writing import Progress, Rules, batches, derive, resolve

DEFAULT_BATCH = 5_000
#: Records of each entity that also go through the record service as dry runs.
SAMPLE = 20


class Numbers:
    """Auto-numbers for bulk inserts: the fw_sequence counters, advanced in memory and saved
    with each batch."""

    def __init__(self, tables: Tables) -> None:
        self.table = tables.system(SEQUENCE_TABLE)
        self.values: dict[str, int] = {}
        self.changed: set[str] = set()

    def take(self, conn: Connection, ent: Entity, day: dt.date) -> dict[str, str]:
        numbers = {}
        for f in _autonumbers(ent):
            pattern = f.kind.pattern(f)  # type: ignore[attr-defined]
            key = sequence_key(ent.name, f.name, pattern.period(day))
            if key not in self.values:
                stored = conn.execute(
                    sa.select(self.table.c.value).where(self.table.c.key == key)
                ).scalar()
                self.values[key] = int(stored or 0)
            self.values[key] += 1
            self.changed.add(key)
            numbers[f.name] = pattern.render(day, self.values[key])
        return numbers

    def save(self, conn: Connection) -> None:
        for key in sorted(self.changed):
            value = self.values[key]
            updated = conn.execute(
                self.table.update().where(self.table.c.key == key).values(value=value)
            )
            if updated.rowcount == 0:
                conn.execute(self.table.insert().values(key=key, value=value))
        self.changed.clear()


class BulkWriter:
    def __init__(
        self, service: RecordService, files_dir: Path, batch_size: int = DEFAULT_BATCH
    ) -> None:
        self.service = service
        self.db, self.app, self.tables = service.db, service.app, service.tables
        self.joined = JoinedDatabase(self.db)
        self.clock = PlanClock()
        self.checker = RecordService(
            self.joined, self.app, self.tables, files_dir, clock=self.clock, rules=service.rules
        )
        self.rules = Rules(self.app, self.tables, service.rules)
        self.numbers = Numbers(self.tables)
        self.batch_size = batch_size
        self.ids: dict[str, list[int]] = {}

    def write(self, plan: DemoPlan, progress: Progress | None = None) -> dict[str, int]:
        """Insert every planned record, then derive computed values and grades."""
        written: dict[str, int] = {}
        for entity in plan.order:
            ids = self.ids.setdefault(entity, [])
            written[entity] = 0
            for batch in batches(plan.records(entity), self.batch_size):
                with self.db.write() as conn:
                    use_bulk_cache(conn)
                    prepared = [self._prepare(conn, plan, p, written) for p in batch]
                    if written[entity] == 0:
                        self._dry_run(conn, [p for p, _clean in prepared[:SAMPLE]], written)
                    ids.extend(self._insert(conn, prepared))
                    self.numbers.save(conn)
                written[entity] += len(batch)
                if progress is not None:
                    progress(entity, written[entity], plan.counts[entity])
        derive(self.service, plan.order, progress)
        return written

    def _dry_run(self, conn: Connection, sample: list[Planned], written: dict[str, int]) -> None:
        """The first records through the record service itself, rolled back: a cross-check
        of what the bulk path does with them."""
        self.joined.conn = conn
        try:
            for planned in sample:
                data = self._data(conn, planned)
                self.clock.now = planned.created_at
                try:
                    self.checker.create(planned.entity, data, user=planned.created_by, dry_run=True)
                except ValidationFailed as exc:
                    raise RecordRefused(
                        planned.entity, planned.index, exc.errors, written, data
                    ) from exc
        finally:
            self.joined.conn = None

    def _data(self, conn: Connection, planned: Planned) -> dict[str, Any]:
        ent = self.app.entity(planned.entity)
        ctx = self.rules.context(conn, planned.created_at)
        values = self.rules.visible(ctx, ent, resolve(planned.final_values(), self.ids))
        return {**values, **planned.rows}

    def _prepare(
        self, conn: Connection, plan: DemoPlan, planned: Planned, written: dict[str, int]
    ) -> tuple[Planned, CleanInput]:
        """The record cleaned as the service would, drawn again when the app's rules refuse it."""
        ent = self.app.entity(planned.entity)
        for attempt in range(1, REDRAWS + 2):
            data = self._data(conn, planned)
            try:
                clean = self.service.cleaner.clean(ent, data, creating=True)
            except ValidationFailed as exc:
                errors = exc.errors
            else:
                ctx = self.rules.context(conn, planned.created_at)
                clean.values, errors = self.rules.complete(ctx, ent, clean.values)
                if not errors:
                    return planned, clean
            if attempt > REDRAWS:
                raise RecordRefused(planned.entity, planned.index, errors, written, data)
            planned = plan.redraw(planned, attempt, errors)
        raise AssertionError("unreachable")

    def _insert(self, conn: Connection, prepared: list[tuple[Planned, CleanInput]]) -> list[int]:
        ent = self.app.entity(prepared[0][0].entity)
        table = self.tables[ent.name]
        blank = dict.fromkeys(f.name for f in ent.stored_fields())
        rows = []
        for planned, clean in prepared:
            updated = planned.edits[-1].at if planned.edits else planned.created_at
            rows.append(
                blank
                | clean.values
                | self.numbers.take(conn, ent, planned.created_at.date())
                | _system(planned.created_at, updated, planned.created_by)
            )
        insert = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        try:
            new_ids = list(conn.execute(insert, rows).scalars())
            self._insert_rows(conn, ent, prepared, new_ids)
        except sa.exc.IntegrityError as exc:
            raise DemoError(
                f"the database refused a batch of {ent.name} records ({exc.orig}); "
                "nothing of the batch was written"
            ) from exc
        return new_ids

    def _insert_rows(
        self,
        conn: Connection,
        ent: Entity,
        prepared: list[tuple[Planned, CleanInput]],
        parent_ids: list[int],
    ) -> None:
        for f in ent.fields.values():
            if f.type != "table":
                continue
            child = self.app.entity(f.setting("to"))
            blank = dict.fromkeys(c.name for c in child.stored_fields())
            rows = [
                blank
                | row.values
                | self.numbers.take(conn, child, planned.created_at.date())
                | _system(planned.created_at, planned.created_at, planned.created_by)
                | {"parent_id": parent_id, "position": position}
                for (planned, clean), parent_id in zip(prepared, parent_ids, strict=True)
                for position, row in enumerate(clean.tables.get(f.name, ()))
            ]
            if rows:
                conn.execute(self.tables[child.name].insert(), rows)


def _autonumbers(ent: Entity) -> list[Field]:
    return [f for f in ent.stored_fields() if f.type == "autonumber"]


def _system(created: dt.datetime, updated: dt.datetime, user: int | None) -> dict[str, Any]:
    return {
        "created_at": created,
        "updated_at": updated,
        "created_by": user,
        "updated_by": user,
        "version": 1,
    }
