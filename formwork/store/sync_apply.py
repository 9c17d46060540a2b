"""Applying a schema-sync plan: all of it in one transaction, through Alembic's operations.

The plan is made again inside the write transaction and must match the one shown (nothing
changed in between) and hold no refusals. Each table's steps run in Alembic batch mode:
on SQLite that rebuilds the table when ALTER TABLE cannot do the change, elsewhere it emits
plain ALTERs. Both databases run DDL inside a transaction, so a failure leaves the database
as it was; on SQLite a backup copy of the file is taken first as well.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops
from sqlalchemy.engine import Connection

from ..metamodel.model import App
from .database import Database
from .sync_defaults import fill_defaults
from .sync_ops import (
    AddColumn,
    AddForeignKey,
    AlterColumn,
    ArchiveColumn,
    CreateIndex,
    CreateTable,
    DropIndex,
    Operation,
    RecordLedger,
    RenameColumn,
    RestoreColumn,
    RetypeColumn,
    SyncPlan,
)
from .sync_plan import plan_on, utc_stamp
from .sync_state import ACTIVE, ARCHIVED, iter_values, ledger_table, reflect_table
from .system import NAMING_CONVENTION
from .tables import Tables

WRITE_BATCH = 1000


class SchemaSyncError(Exception):
    """Schema sync could not be applied; the database is unchanged."""


class SchemaSyncRefused(SchemaSyncError):
    """The plan holds changes the data does not allow (see `plan.refusals`)."""

    def __init__(self, plan: SyncPlan) -> None:
        self.plan = plan
        lines = [line for r in plan.refusals for line in (r.describe(), *r.details())]
        super().__init__("schema sync refused:\n" + "\n".join(lines))


class SchemaSyncStale(SchemaSyncError):
    """The database changed between planning and applying; plan again."""


@dataclass(frozen=True)
class SyncResult:
    """What was applied, and where the SQLite backup copy went (None when nothing was done)."""

    plan: SyncPlan
    backup: Path | None = None
    #: {entity: how many stored records got the default of a field the sync added}.
    filled: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.plan.operations)


def plan_sync(
    db: Database, app: App, tables: Tables, *, now: dt.datetime | None = None
) -> SyncPlan:
    """What `migrate` would change to make the database match the model; changes nothing."""
    with db.read() as conn:
        return plan_on(conn, app, tables, utc_stamp(now))


def apply_sync(
    db: Database,
    app: App,
    tables: Tables,
    plan: SyncPlan | None = None,
    backup_dir: str | Path | None = None,
    *,
    now: dt.datetime | None = None,
) -> SyncResult:
    """Make the database match the model, all or nothing.

    With `plan`, apply exactly that plan (SchemaSyncStale if the database has changed since).
    Raises SchemaSyncRefused when the data does not allow a change.
    """
    if plan is None:
        plan = plan_sync(db, app, tables, now=now)
    if plan.refusals:
        raise SchemaSyncRefused(plan)
    if plan.is_empty:
        return SyncResult(plan)
    backup = backup_sqlite(db, backup_dir, plan.stamp) if db.is_sqlite else None
    try:
        with ddl_transaction(db) as conn:
            current = plan_on(conn, app, tables, plan.stamp)
            if current.refusals:
                raise SchemaSyncRefused(current)
            if current.fingerprint() != plan.fingerprint():
                raise SchemaSyncStale("the database changed since the plan was made; plan again")
            _Applier(conn, app, tables).run(current.operations)
            filled = fill_defaults(
                conn, app, tables, current.operations, now or dt.datetime.now(dt.UTC)
            )
            if db.is_sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise SchemaSyncError(f"foreign keys would break: {broken[:5]}")
    except Exception as exc:
        exc.add_note("schema sync rolled back; the database is unchanged")
        if backup is not None:
            exc.add_note(f"backup copy taken before the attempt: {backup}")
        raise
    return SyncResult(current, backup, filled)


def backup_sqlite(db: Database, folder: str | Path | None, stamp: str) -> Path | None:
    """Copy the SQLite file with SQLite's backup API (consistent even with WAL and readers)."""
    database = db.url.database
    if not database or database == ":memory:":
        return None
    source = Path(database)
    target_dir = Path(folder) if folder is not None else source.parent
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{source.stem}.backup-{stamp}.db"
    n = 1
    while target.exists():
        n += 1
        target = target_dir / f"{source.stem}.backup-{stamp}-{n}.db"
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


@contextmanager
def ddl_transaction(db: Database) -> Iterator[Connection]:
    """A write transaction fit for DDL.

    On SQLite, batch mode rebuilds a table by copying it and dropping the original; with
    foreign keys on, that DROP would delete (or cascade to) the rows of tables that link to
    it. `PRAGMA foreign_keys` cannot change inside a transaction, and `Database` begins one
    itself, so the pragma is switched on the driver connection before BEGIN and back after;
    apply checks the keys (`PRAGMA foreign_key_check`) before committing.
    """
    if not db.is_sqlite:
        with db.write() as conn:
            yield conn
        return
    db.writing()
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            conn = conn.execution_options(formwork_write=True)
            with conn.begin():
                yield conn
        finally:
            try:
                raw.execute("PRAGMA foreign_keys=ON")
            except sqlite3.Error:
                conn.invalidate()  # never hand a connection without foreign keys back to the pool
                raise


class _Applier:
    """Carries out a plan's operations on one connection, table by table."""

    def __init__(self, conn: Connection, app: App, tables: Tables) -> None:
        self.conn, self.app, self.tables = conn, app, tables
        context = MigrationContext.configure(
            connection=conn, opts={"target_metadata": tables.metadata}
        )
        self.op = Operations(context)
        self.ledger = ledger_table(tables.metadata)
        self.now = dt.datetime.now(dt.UTC)

    def run(self, operations: Sequence[Operation]) -> None:
        for table, group in groupby(operations, key=lambda o: o.table):
            self._table(table, list(group))

    def _table(self, name: str, steps: list[Operation]) -> None:
        table = self.tables.metadata.tables[name]
        for step in steps:
            if isinstance(step, CreateTable):
                self.op.invoke(ops.CreateTableOp.from_table(table))
                if step.entity:
                    self._ledger_new_table(table)
            elif isinstance(step, RecordLedger):
                for column, field, field_type, status in step.rows:
                    self._ledger_insert(name, column, field, field_type, status)
        self._column_changes(name, table, steps)
        for step in steps:
            if isinstance(step, RetypeColumn):
                self._copy_converted(table, step)
        finishing = [s for s in steps if isinstance(s, CreateIndex | AddForeignKey)]
        if finishing:
            with self._batch(name) as batch:
                for step in finishing:
                    self._finish_step(batch, table, step)
        for step in steps:
            self._record(name, step)

    @contextmanager
    def _batch(self, name: str) -> Iterator[Any]:
        with self.op.batch_alter_table(
            name, recreate="auto", naming_convention=NAMING_CONVENTION
        ) as batch:
            yield batch

    def _column_changes(self, name: str, table: sa.Table, steps: list[Operation]) -> None:
        """Run the column changes in as few batches as Alembic allows.

        A batch knows columns by the name they had when it began, so a column cannot be
        touched twice in one batch (renamed away and added again, renamed then archived):
        a new batch starts when a step touches a name the current one already has.
        """
        pending: list[Callable[[Any], None]] = []
        touched: set[str] = set()
        for names, action in self._column_actions(table, steps):
            if names & touched:
                self._run_batch(name, pending)
                pending, touched = [], set()
            pending.append(action)
            touched |= names
        self._run_batch(name, pending)

    def _run_batch(self, name: str, actions: list[Callable[[Any], None]]) -> None:
        if actions:
            with self._batch(name) as batch:
                for action in actions:
                    action(batch)

    def _column_actions(
        self, table: sa.Table, steps: list[Operation]
    ) -> Iterator[tuple[set[str], Callable[[Any], None]]]:
        """(names touched, what to do in a batch) for each column change, in plan order."""
        for step in steps:
            if isinstance(step, DropIndex):
                yield set(), partial(_drop_index, step)
            elif isinstance(step, RenameColumn):
                yield {step.old, step.new}, partial(_rename, step.old, step.new, ())
            elif isinstance(step, ArchiveColumn | RetypeColumn):
                rename = partial(_rename, step.column, step.archive, step.foreign_keys)
                yield {step.column, step.archive}, rename
                if isinstance(step, RetypeColumn):
                    yield {step.column}, partial(_add, fresh_column(table.c[step.column]))
            elif isinstance(step, RestoreColumn):
                yield {step.archive, step.column}, partial(_rename, step.archive, step.column, ())
            elif isinstance(step, AddColumn):
                yield {step.column}, partial(_add, fresh_column(table.c[step.column]))
            elif isinstance(step, AlterColumn):
                yield {step.column}, partial(_alter, step.column, table.c[step.column].type)

    def _finish_step(self, batch: Any, table: sa.Table, step: Operation) -> None:
        if isinstance(step, CreateIndex):
            if step.unique:
                batch.create_unique_constraint(step.name, list(step.columns))
            elif step.using:
                batch.create_index(step.name, list(step.columns), postgresql_using=step.using)
            else:
                batch.create_index(step.name, list(step.columns))
        elif isinstance(step, AddForeignKey):
            (fk,) = table.c[step.column].foreign_keys
            batch.create_foreign_key(
                str(fk.constraint.name),
                fk.column.table.name,
                [step.column],
                [fk.column.name],
                ondelete=fk.ondelete,
            )

    def _copy_converted(self, table: sa.Table, step: RetypeColumn) -> None:
        """Fill the retyped column with the old column's values, converted."""
        field = self.app.entity(table.name).field(step.column)
        new_type = table.c[step.column].type
        source_type = reflect_table(self.conn, table.name).types[step.archive]
        target = sa.table(table.name, sa.column("id"), sa.column(step.column, new_type))
        update = (
            sa.update(target)
            .where(target.c.id == sa.bindparam("_id"))
            .values({step.column: sa.bindparam("_value", type_=new_type)})
        )
        rows: list[dict[str, Any]] = []
        for row_id, value in iter_values(self.conn, table.name, step.archive, source_type):
            rows.append({"_id": row_id, "_value": field.kind.convert_existing(value, field)})
            if len(rows) >= WRITE_BATCH:
                self.conn.execute(update, rows)
                rows = []
        if rows:
            self.conn.execute(update, rows)

    # -- the ledger ------------------------------------------------------------------------

    def _record(self, table: str, step: Operation) -> None:
        if isinstance(step, AddColumn) and step.field_type:
            self._ledger_insert(table, step.column, step.column, step.field_type, ACTIVE)
        elif isinstance(step, ArchiveColumn):
            self._ledger_move(table, step.column, step.archive, status=ARCHIVED)
        elif isinstance(step, RenameColumn):
            self._ledger_move(table, step.old, step.new, field=step.new)
        elif isinstance(step, RestoreColumn):
            self._ledger_move(table, step.archive, step.column, status=ACTIVE)
        elif isinstance(step, RetypeColumn):
            self._ledger_move(table, step.column, step.archive, status=ARCHIVED)
            self._ledger_insert(table, step.column, step.column, step.new_type, ACTIVE)

    def _ledger_new_table(self, table: sa.Table) -> None:
        for field in self.app.entity(table.name).stored_fields():
            self._ledger_insert(table.name, field.name, field.name, field.type, ACTIVE)

    def _ledger_insert(
        self, entity: str, column: str, field: str, field_type: str, status: str
    ) -> None:
        self.conn.execute(
            sa.insert(self.ledger).values(
                entity=entity,
                column=column,
                field=field,
                field_type=field_type,
                status=status,
                changed_at=self.now,
            )
        )

    def _ledger_move(self, entity: str, old: str, new: str, **changes: str) -> None:
        ledger = self.ledger
        self.conn.execute(
            sa.update(ledger)
            .where(ledger.c.entity == entity, ledger.c.column == old)
            .values(column=new, changed_at=self.now, **changes)
        )


def _drop_index(step: DropIndex, batch: Any) -> None:
    if step.constraint:
        batch.drop_constraint(step.name, type_="unique")
    else:
        batch.drop_index(step.name)


def _rename(old: str, new: str, foreign_keys: tuple[str, ...], batch: Any) -> None:
    for fk in foreign_keys:  # an archived column must not hold up deletes elsewhere
        batch.drop_constraint(fk, type_="foreignkey")
    batch.alter_column(old, new_column_name=new)


def _add(column: sa.Column, batch: Any) -> None:
    batch.add_column(column)


def _alter(column: str, type_: sa.types.TypeEngine[Any], batch: Any) -> None:
    batch.alter_column(column, type_=type_)


def fresh_column(column: sa.Column) -> sa.Column:
    """A copy of a model column, not bound to its table, for Alembic's add_column.

    Index and unique flags are left out: sync creates those as named steps of their own.
    """
    foreign_keys = [
        sa.ForeignKey(fk.target_fullname, ondelete=fk.ondelete, name=str(fk.constraint.name))
        for fk in column.foreign_keys
    ]
    default = column.server_default
    return sa.Column(
        column.name,
        column.type,
        *foreign_keys,
        nullable=column.nullable,
        server_default=default.arg if isinstance(default, sa.DefaultClause) else None,
    )
