"""What the live database holds, as schema sync sees it: tables, columns, indexes, the ledger.

A `LiveTable` is a reflected snapshot of one table (column types compiled to SQL text for
the dialect, so they compare with the model's types directly); `LedgerRow`s from `fw_column`
say which field and field type each entity column holds and whether it is archived. This
module only reads; `sync_plan` decides and `sync_apply` changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .system import COLUMN_LEDGER_TABLE

ACTIVE = "active"
ARCHIVED = "archived"
#: Archived columns are renamed to `_archived_<field>_<UTC timestamp>`.
ARCHIVE_PREFIX = "_archived_"
#: The longest identifier PostgreSQL keeps (SQLite has no limit).
MAX_IDENTIFIER = 63
READ_BATCH = 1000


@dataclass(frozen=True)
class LiveIndex:
    """An index or unique constraint; `constraint` when it is a UNIQUE constraint."""

    name: str
    columns: tuple[str, ...]
    unique: bool
    constraint: bool = False
    #: The index method when not the default B-tree ("gin", PostgreSQL).
    using: str | None = None


@dataclass(frozen=True)
class LiveTable:
    name: str
    #: column name -> its type as SQL text for this dialect ("VARCHAR(200)").
    columns: dict[str, str]
    types: dict[str, sa.types.TypeEngine[Any]]
    indexes: dict[str, LiveIndex]
    #: foreign key constraint names by their (single) column.
    foreign_keys: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class LedgerRow:
    entity: str
    column: str
    field: str
    field_type: str
    status: str


def sql_type(type_: sa.types.TypeEngine[Any], conn: Connection) -> str:
    return type_.compile(dialect=conn.dialect)


def reflect_table(conn: Connection, name: str) -> LiveTable:
    inspector = sa.inspect(conn)
    reflected = inspector.get_columns(name)
    indexes: dict[str, LiveIndex] = {}
    for uq in inspector.get_unique_constraints(name):
        if uq["name"]:
            indexes[uq["name"]] = LiveIndex(uq["name"], tuple(uq["column_names"]), True, True)
    for ix in inspector.get_indexes(name):
        if ix["name"] and ix["name"] not in indexes and not ix.get("duplicates_constraint"):
            columns = tuple(c for c in ix["column_names"] if c)
            using = ix.get("dialect_options", {}).get("postgresql_using")
            indexes[ix["name"]] = LiveIndex(
                ix["name"], columns, bool(ix["unique"]), using=None if using == "btree" else using
            )
    foreign_keys: dict[str, tuple[str, ...]] = {}
    for fk in inspector.get_foreign_keys(name):
        if fk["name"] and len(fk["constrained_columns"]) == 1:
            column = fk["constrained_columns"][0]
            foreign_keys[column] = (*foreign_keys.get(column, ()), fk["name"])
    return LiveTable(
        name=name,
        columns={c["name"]: sql_type(c["type"], conn) for c in reflected},
        types={c["name"]: c["type"] for c in reflected},
        indexes=indexes,
        foreign_keys=foreign_keys,
    )


def read_ledger(conn: Connection, ledger: sa.Table, present: bool) -> dict[str, list[LedgerRow]]:
    """The ledger rows by entity ({} when the ledger table does not exist yet)."""
    if not present:
        return {}
    rows: dict[str, list[LedgerRow]] = {}
    query = sa.select(
        ledger.c.entity, ledger.c.column, ledger.c.field, ledger.c.field_type, ledger.c.status
    ).order_by(ledger.c.entity, ledger.c.changed_at, ledger.c.column)
    for row in conn.execute(query):
        rows.setdefault(row.entity, []).append(LedgerRow(*row))
    return rows


def archive_name(field: str, stamp: str, taken: set[str]) -> str:
    """A free archive column name for `field`, e.g. `_archived_fax_20261123T120000`."""
    room = MAX_IDENTIFIER - len(ARCHIVE_PREFIX) - len(stamp) - 4
    base = f"{ARCHIVE_PREFIX}{field[:room]}_{stamp}"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


def sql_family(sql: str) -> str:
    """Which column types can be altered in place into each other."""
    head = sql.split("(")[0].strip().upper()
    if head in ("VARCHAR", "TEXT", "CHAR", "NVARCHAR", "CHARACTER VARYING"):
        return "text"
    if head in ("NUMERIC", "DECIMAL"):
        return "numeric"
    if head in ("SMALLINT", "INTEGER", "BIGINT"):
        return "integer"
    return head


def fits(value: Any, sql: str) -> bool:
    """Whether a value fits a column of type `sql` (same family) without being cut."""
    family = sql_family(sql)
    sizes = [int(n) for n in re.findall(r"\d+", sql)]
    if family == "text":
        return not sizes or len(str(value)) <= sizes[0]
    if family == "numeric" and sizes:
        number = Decimal(str(value))
        scale = sizes[1] if len(sizes) > 1 else 0
        quantum = Decimal(1).scaleb(-scale)
        return number.quantize(quantum) == number and number.adjusted() < sizes[0] - scale
    if family == "integer":
        bits = {"SMALLINT": 16, "INTEGER": 32}.get(sql.upper(), 64)
        return -(2 ** (bits - 1)) <= int(value) < 2 ** (bits - 1)
    return True


def read_type(type_: sa.types.TypeEngine[Any], conn: Connection) -> sa.types.TypeEngine[Any]:
    """The type to read a reflected column with: native Python values on both databases."""
    if isinstance(type_, sa.Numeric) and conn.dialect.name == "sqlite":
        # SQLite keeps REAL; read floats and turn them into Decimal ourselves (no lossy warning).
        return sa.Numeric(asdecimal=False)
    return type_


def iter_values(
    conn: Connection, table: str, column: str, type_: sa.types.TypeEngine[Any]
) -> Iterator[tuple[int, Any]]:
    """(id, value) of every row whose `column` is not null, in id order, batch by batch."""
    id_col, value_col = sa.column("id"), sa.column(column, read_type(type_, conn))
    source = sa.table(table, id_col, value_col)
    last = None
    while True:
        query = sa.select(id_col, value_col).select_from(source).where(value_col.is_not(None))
        if last is not None:
            query = query.where(id_col > last)
        batch = conn.execute(query.order_by(id_col).limit(READ_BATCH)).all()
        for row_id, value in batch:
            yield row_id, Decimal(repr(value)) if isinstance(value, float) else value
        if len(batch) < READ_BATCH:
            return
        last = batch[-1][0]


def read_ids(conn: Connection, table: str) -> set[Any]:
    id_col = sa.column("id")
    return set(conn.execute(sa.select(id_col).select_from(sa.table(table, id_col))).scalars())


def ledger_table(metadata: sa.MetaData) -> sa.Table:
    return metadata.tables[COLUMN_LEDGER_TABLE]
