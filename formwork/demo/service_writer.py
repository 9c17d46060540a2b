"""Writing demo records through the record service: every number, rule, grade and audit row real.

Each record is created as of its planned creation time (the service's clock is the plan's), by
its planned creator, and its edits are applied as updates at their later times, so histories,
grade changes and numbers by year read as if the data had grown over the years. Records are
written in batches, one transaction each: the service's own transactions become savepoints
inside the batch (`JoinedDatabase`), so a refused record rolls its whole batch back. At the
end, values computed from today's date (written as of each record's own date) are brought up
to today by the bulk jobs, as the nightly `formwork recompute` would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Connection

from ..store.database import Database
from ..store.errors import ValidationFailed
from ..store.records import RecordService
from .errors import RecordRefused
from .plan import REDRAWS, DemoPlan, Planned
from .writing import Progress, Rules, batches, derive, resolve

DEFAULT_BATCH = 500


class JoinedDatabase(Database):
    """A Database whose transactions are savepoints in the batch transaction that is open."""

    def __init__(self, db: Database) -> None:  # shares the engine; opens nothing itself
        self.url, self.engine = db.url, db.engine
        self.conn: Connection | None = None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.write() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        assert self.conn is not None, "used outside a batch"
        with self.conn.begin_nested():
            yield self.conn


class PlanClock:
    """The service's clock: the planned time of the write under way."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class ServiceWriter:
    def __init__(
        self, service: RecordService, files_dir: Path, batch_size: int = DEFAULT_BATCH
    ) -> None:
        #: The app's own service: derived values are brought up to today through it.
        self.real = service
        self.db, self.app = service.db, service.app
        self.joined = JoinedDatabase(self.db)
        self.clock = PlanClock()
        self.service = RecordService(
            self.joined, self.app, service.tables, files_dir, clock=self.clock, rules=service.rules
        )
        self.rules = Rules(self.app, service.tables, service.rules)
        self.batch_size = batch_size
        self.ids: dict[str, list[int]] = {}

    def write(self, plan: DemoPlan, progress: Progress | None = None) -> dict[str, int]:
        """Write every planned record; the number written per entity."""
        written: dict[str, int] = {}
        for entity in plan.order:
            ids = self.ids.setdefault(entity, [])
            written[entity] = 0
            for batch in batches(plan.records(entity), self.batch_size):
                with self.db.write() as conn:
                    self.joined.conn = conn
                    for planned in batch:  # a record may link to one made earlier in its batch
                        ids.append(self._record(conn, plan, planned, written))
                self.joined.conn = None
                written[entity] += len(batch)
                if progress is not None:
                    progress(entity, written[entity], plan.counts[entity])
        derive(self.real, plan.order, progress, dated_only=True)
        return written

    def _record(
        self, conn: Connection, plan: DemoPlan, planned: Planned, written: dict[str, int]
    ) -> int:
        """Write one record and its edits; drawn again when the app's rules refuse it."""
        for attempt in range(1, REDRAWS + 2):
            try:
                with conn.begin_nested():
                    return self._write(conn, planned)
            except ValidationFailed as exc:
                if attempt > REDRAWS:
                    data = resolve(planned.values, self.ids)
                    raise RecordRefused(
                        planned.entity, planned.index, exc.errors, written, data
                    ) from exc
                planned = plan.redraw(planned, attempt, exc.errors)
        raise AssertionError("unreachable")

    def _write(self, conn: Connection, planned: Planned) -> int:
        ent = self.app.entity(planned.entity)
        ctx = self.rules.context(conn, planned.created_at)
        values = self.rules.visible(ctx, ent, resolve(planned.values, self.ids))
        self.clock.now = planned.created_at
        record = self.service.create(
            planned.entity, {**values, **planned.rows}, user=planned.created_by
        )
        for edit in planned.edits:
            self.clock.now = edit.at
            changes = resolve(edit.values, self.ids)
            merged = self.rules.visible(ctx, ent, {**record.values, **changes})
            changes = {k: v for k, v in changes.items() if k in merged}
            record = self.service.update(
                planned.entity, record.id, changes, record.version, user=planned.created_by
            )
        return record.id
