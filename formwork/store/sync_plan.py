"""Planning a schema sync: compare the model's tables with the live database, list the steps.

Nothing here changes the database. For every existing entity table a working copy of its
columns (from reflection and the `fw_column` ledger) is updated step by step as operations
are planned: renames first, then the columns no field claims any more (archived), then each
field (retype, alter, restore or add), then indexes. Every change that touches data is
checked against the data first (`sync_checks`); what the data does not allow becomes a
`Refusal`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import App, Entity, Field
from .sync_checks import Findings, conversions, cut_values, dangling, duplicates
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
    Refusal,
    RenameColumn,
    RestoreColumn,
    RetypeColumn,
    SyncPlan,
)
from .sync_state import (
    ACTIVE,
    ARCHIVE_PREFIX,
    ARCHIVED,
    LedgerRow,
    LiveTable,
    archive_name,
    iter_values,
    ledger_table,
    read_ids,
    read_ledger,
    reflect_table,
    sql_family,
    sql_type,
)
from .system import COLUMN_LEDGER_TABLE
from .tables import Tables, index_using, made_on

UNKNOWN_TYPE = "unknown"
ARCHIVED_NAME = re.compile(rf"{ARCHIVE_PREFIX}(?P<field>.+)_\d{{8}}T\d{{6}}(?:_\d+)?\Z")
#: Tables in the database that are not ours to report on.
FOREIGN_TABLES = ("alembic_version",)


def utc_stamp(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S")


def plan_on(conn: Connection, app: App, tables: Tables, stamp: str) -> SyncPlan:
    """The plan for the database behind `conn` (used inside apply's transaction too)."""
    existing = set(sa.inspect(conn).get_table_names())
    ledger = read_ledger(conn, ledger_table(tables.metadata), COLUMN_LEDGER_TABLE in existing)
    entity_of = {t.name: app.entity(name) for name, t in tables.entities.items()}
    operations: list[Operation] = []
    refusals: list[Refusal] = []
    for table in tables.metadata.sorted_tables:
        if table.name not in existing:
            operations.append(CreateTable(table.name, entity=table.name in entity_of))
            operations.extend(_new_indexes(table, conn.dialect.name))
            continue
        live = reflect_table(conn, table.name)
        entity = entity_of.get(table.name)
        rows = ledger.get(table.name, [])
        planner = _TablePlanner(conn, table, live, entity, rows, stamp, existing)
        planner.plan()
        operations.extend(planner.operations)
        refusals.extend(planner.refusals)
    warnings = [
        f"kept table {name}: no entity of that name in the config; table and data left as is"
        for name in sorted(existing - set(tables.metadata.tables))
        if name not in FOREIGN_TABLES and not name.startswith(("_alembic_tmp", "sqlite_"))
    ]
    return SyncPlan(tuple(operations), tuple(refusals), tuple(warnings), stamp)


def _new_indexes(table: sa.Table, dialect: str) -> list[Operation]:
    """Indexes of a new table (unique constraints are created with the table itself)."""
    return [
        CreateIndex(table.name, name, columns, unique, using)
        for name, (columns, unique, using) in sorted(_wanted_indexes(table, dialect).items())
    ]


def _wanted_indexes(
    table: sa.Table, dialect: str
) -> dict[str, tuple[tuple[str, ...], bool, str | None]]:
    """The indexes `table` has on `dialect`: name -> (columns, unique, method)."""
    return {
        str(ix.name): (tuple(c.name for c in ix.columns), bool(ix.unique), index_using(ix))
        for ix in table.indexes
        if made_on(ix, dialect)
    }


@dataclass(frozen=True)
class _Column:
    """What a column holds, as planning goes: its field and type, and where its data is now."""

    field: str
    field_type: str
    status: str
    sql: str
    #: The column's name in the live database (differs once a rename is planned).
    source: str


class _TablePlanner:
    def __init__(
        self,
        conn: Connection,
        table: sa.Table,
        live: LiveTable,
        entity: Entity | None,
        ledger: list[LedgerRow],
        stamp: str,
        existing: set[str],
    ) -> None:
        self.conn, self.table, self.live, self.entity, self.stamp = conn, table, live, entity, stamp
        self.fields = {f.name: f for f in entity.stored_fields()} if entity else {}
        self.system = [c.name for c in table.columns if c.name not in self.fields]
        self.ledger = {row.column: row for row in ledger}
        self.columns: dict[str, _Column] = {}
        self.operations: list[Operation] = []
        self.refusals: list[Refusal] = []
        #: Live columns whose data moves away (archived or renamed): their indexes go.
        self.moved: set[str] = set()
        #: New values of retyped unique fields, for the duplicate check.
        self.converted: dict[str, dict[int, Any]] = {}
        self.added: set[str] = set()
        self.taken = set(live.columns)
        #: The tables the database has (a link's target may not exist yet).
        self.existing = existing

    # -- the steps -------------------------------------------------------------------------

    def plan(self) -> None:
        self._load_columns()
        if self.entity is not None:
            for field in self.fields.values():
                self._rename(field)
            for column in [n for n, c in self.columns.items() if c.status == ACTIVE]:
                if column not in self.fields:
                    self._archive(column)
            for field in self.fields.values():
                self._field(field)
        self._system_columns()
        self._indexes()

    def _load_columns(self) -> None:
        inferred = []
        for name, sql in self.live.columns.items():
            if name in self.system or self.entity is None:
                continue
            row = self.ledger.get(name)
            if row is None:
                row = self._infer(name)
                inferred.append((row.column, row.field, row.field_type, row.status))
            self.columns[name] = _Column(row.field, row.field_type, row.status, sql, name)
        if inferred:
            self.operations.append(RecordLedger(self.table.name, tuple(inferred)))

    def _infer(self, name: str) -> LedgerRow:
        """A ledger row for a column made before the ledger knew it (e.g. by create_all)."""
        entity = self.table.name
        if name.startswith(ARCHIVE_PREFIX):
            stamped = ARCHIVED_NAME.match(name)
            field = stamped["field"] if stamped else name[len(ARCHIVE_PREFIX) :]
            return LedgerRow(entity, name, field, UNKNOWN_TYPE, ARCHIVED)
        if name in self.fields:
            return LedgerRow(entity, name, name, self.fields[name].type, ACTIVE)
        return LedgerRow(entity, name, name, UNKNOWN_TYPE, ACTIVE)

    def _rename(self, field: Field) -> None:
        old = field.renamed_from
        current = self.columns.get(old or "")
        if not old or field.name in self.columns or current is None or current.status != ACTIVE:
            return
        self.operations.append(RenameColumn(self.table.name, old, field.name))
        self.columns[field.name] = replace(self.columns.pop(old), field=field.name)
        self.moved.add(old)

    def _archive(self, column: str) -> None:
        state = self.columns[column]
        archive = self._archive_name(state.field)
        fks = self.live.foreign_keys.get(state.source, ())
        self.operations.append(ArchiveColumn(self.table.name, column, archive, fks))
        self.columns[archive] = replace(self.columns.pop(column), status=ARCHIVED)
        self.moved.add(state.source)

    def _field(self, field: Field) -> None:
        want = sql_type(self.table.c[field.name].type, self.conn)
        state = self.columns.get(field.name)
        if state is None:
            self._restore_or_add(field, want)
        elif state.field_type not in (field.type, UNKNOWN_TYPE):
            self._retype(field, state, want)
        elif state.sql != want:
            if sql_family(state.sql) == sql_family(want):
                self._alter(field, state, want)
            else:
                self._retype(field, state, want)

    def _restore_or_add(self, field: Field, want: str) -> None:
        archived = [
            (name, c)
            for name, c in self.columns.items()
            if c.status == ARCHIVED and c.field == field.name and c.field_type == field.type
        ]
        latest = max(archived, key=lambda item: item[0], default=None)  # names end in a stamp
        if latest and sql_family(latest[1].sql) == sql_family(want):
            name, state = latest
            self.operations.append(RestoreColumn(self.table.name, name, field.name, field.type))
            state = replace(self.columns.pop(name), status=ACTIVE)
            self.columns[field.name] = state
            if state.sql != want:
                self._alter(field, state, want)
            for fk in self.table.c[field.name].foreign_keys:
                if not self.live.foreign_keys.get(state.source):
                    self._foreign_key(field, state.source, fk)
            return
        self.operations.append(AddColumn(self.table.name, field.name, want, field.type))
        self.columns[field.name] = _Column(field.name, field.type, ACTIVE, want, field.name)
        self.added.add(field.name)

    def _foreign_key(self, field: Field, source: str, fk: sa.ForeignKey) -> None:
        """Restore a link column's foreign key, unless some values point at deleted records."""
        target = fk.column.table.name
        known = read_ids(self.conn, target) if target in self.existing else set()
        findings = dangling(self._values(source), known, target)
        if findings:
            reason = "values point at records that no longer exist"
            self._refuse(findings, field.name, "foreign key", reason, f"-> {target}")
            return
        self.operations.append(AddForeignKey(self.table.name, field.name))

    def _retype(self, field: Field, state: _Column, want: str) -> None:
        findings, converted = conversions(field, self._values(state.source), keep=field.unique)
        if findings:
            reason = f"{findings.total} of {findings.checked} values do not convert"
            detail = f"{state.field_type} -> {field.type}"
            self._refuse(findings, field.name, "retype", reason, detail)
            return
        archive = self._archive_name(field.name)
        fks = self.live.foreign_keys.get(state.source, ())
        self.operations.append(
            RetypeColumn(
                self.table.name,
                field.name,
                state.field_type,
                field.type,
                archive,
                want,
                findings.checked,
                fks,
            )
        )
        self.columns[archive] = replace(state, status=ARCHIVED)
        self.columns[field.name] = _Column(field.name, field.type, ACTIVE, want, field.name)
        self.moved.add(state.source)
        if field.unique:
            self.converted[field.name] = converted

    def _alter(self, field: Field, state: _Column, want: str) -> None:
        findings = cut_values(self._values(state.source), want)
        if findings:
            detail = f"{state.sql} -> {want}"
            self._refuse(findings, field.name, "alter", "values would be cut", detail)
            return
        self.operations.append(AlterColumn(self.table.name, field.name, state.sql, want))
        self.columns[field.name] = replace(state, sql=want)

    def _system_columns(self) -> None:
        for name in self.system:
            if name in self.live.columns:
                continue
            column = self.table.c[name]
            if column.nullable or column.server_default is not None:
                sql = sql_type(column.type, self.conn)
                self.operations.append(AddColumn(self.table.name, name, sql))
                self.added.add(name)
            else:
                reason = "a NOT NULL column without a default cannot be added"
                self._refuse(Findings(), name, "add", reason)

    def _indexes(self) -> None:
        wanted = _wanted_indexes(self.table, self.conn.dialect.name)
        for uq in self.table.constraints:
            if isinstance(uq, sa.UniqueConstraint):
                wanted[str(uq.name)] = (tuple(c.name for c in uq.columns), True, None)
        kept = set()
        for name, ix in sorted(self.live.indexes.items()):
            target = wanted.get(name)
            live_columns = tuple(self._current_name(c) for c in ix.columns)
            same = target == (live_columns, ix.unique, ix.using)
            same = same and not set(ix.columns) & self.moved
            if same:
                kept.add(name)
            elif target is not None or name.startswith(("ix_", "uq_")):
                self.operations.insert(
                    self._drop_position(),
                    DropIndex(self.table.name, name, ix.columns, ix.unique, ix.constraint),
                )
        for name, (columns, unique, using) in sorted(wanted.items()):
            if name in kept:
                continue
            if unique and not self._unique_ok(name, columns):
                continue
            self.operations.append(CreateIndex(self.table.name, name, columns, unique, using))

    # -- helpers ---------------------------------------------------------------------------

    def _current_name(self, source: str) -> str:
        for name, state in self.columns.items():
            if state.source == source:
                return name
        return source

    def _drop_position(self) -> int:
        """Index drops go before column changes, after a ledger bootstrap."""
        first = self.operations[:1]
        return 1 if first and isinstance(first[0], RecordLedger) else 0

    def _unique_ok(self, name: str, columns: tuple[str, ...]) -> bool:
        if len(columns) != 1 or columns[0] in self.added:
            return True
        column = columns[0]
        if column in self.converted:
            values = self.converted[column].items()
        elif column in self.columns:
            values = self._values(self.columns[column].source)
        else:
            return True
        found = duplicates(values)
        if found:
            reason = f"{found.total} records share a value with another record"
            self._refuse(found, column, "unique", reason)
        return not found

    def _values(self, source: str) -> Iterator[tuple[int, Any]]:
        return iter_values(self.conn, self.table.name, source, self.live.types[source])

    def _refuse(
        self, findings: Findings, column: str, change: str, reason: str, detail: str = ""
    ) -> None:
        self.refusals.append(findings.refusal(self.table.name, column, change, reason, detail))

    def _archive_name(self, field: str) -> str:
        name = archive_name(field, self.stamp, self.taken)
        self.taken.add(name)
        return name
