"""Record ids and auto-numbers for a whole batch of new records, taken in one statement each.

A batch write needs its records' ids before it inserts them (the rules of a record read its
related records and grading state by id, and its row goes in with every value at once), and
one auto-number per record. Both are taken inside the batch's write transaction:

- ids: on SQLite the write lock is held from BEGIN IMMEDIATE, and SQLite gives a new row
  max(id) + 1, so the batch takes the ids that inserting its rows one by one would get; on
  PostgreSQL the values come from the id column's own sequence (`nextval`), as an insert's would.
- numbers: the counter of each field and period is bumped by the batch's size at once with the
  same atomic upsert `numbering` bumps it by one with, and the batch's records get the block's
  numbers in order; a batch that rolls back gives the block back, so no gaps and no duplicates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..metamodel.model import Entity
from .numbering import sequence_key
from .system import SEQUENCE_TABLE
from .tables import Tables


def reserve_ids(conn: Connection, table: sa.Table, count: int) -> list[int]:
    """`count` ids for new rows of `table`, in ascending order."""
    if count == 0:
        return []
    dialect = conn.dialect.name
    if dialect == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(table.name, "id")
        series = sa.func.generate_series(1, count).table_valued("n")
        rows = conn.execute(sa.select(sa.func.nextval(sequence)).select_from(series))
        return sorted(int(value) for value in rows.scalars())
    if dialect != "sqlite":  # pragma: no cover - only the two supported databases
        raise NotImplementedError(dialect)
    highest = conn.execute(sa.select(sa.func.max(table.c.id))).scalar()
    first = (highest or 0) + 1
    return list(range(first, first + count))


def reserve_numbers(
    conn: Connection, tables: Tables, entity: Entity, today: dt.date, count: int
) -> dict[str, list[str]]:
    """The values of the entity's auto-number fields for `count` records created on `today`."""
    numbers = {}
    for field in entity.stored_fields():
        if field.type != "autonumber" or count == 0:
            continue
        pattern = field.kind.pattern(field)  # type: ignore[attr-defined]
        key = sequence_key(entity.name, field.name, pattern.period(today))
        last = _bump(conn, tables, key, count)
        numbers[field.name] = pattern.render_many(today, range(last - count + 1, last + 1))
    return numbers


def _bump(conn: Connection, tables: Tables, key: str, count: int) -> int:
    """Bump the counter `key` by `count` (creating it at `count`); its new value."""
    table = tables.system(SEQUENCE_TABLE)
    dialect = conn.dialect.name
    if dialect not in ("sqlite", "postgresql"):  # pragma: no cover
        raise NotImplementedError(dialect)
    insert: Any = (sqlite if dialect == "sqlite" else postgresql).insert(table)
    statement = (
        insert.values(key=key, value=count)
        .on_conflict_do_update(index_elements=[table.c.key], set_={"value": table.c.value + count})
        .returning(table.c.value)
    )
    return int(conn.execute(statement).scalar_one())
