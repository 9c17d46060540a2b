"""Auto-numbers: the next counter of a pattern period, taken inside the record's transaction.

One fw_sequence row per field and period ("order.number:2026"), bumped with a single
`INSERT … ON CONFLICT (key) DO UPDATE SET value = value + 1 RETURNING value`. The statement is
atomic and runs in the write transaction that inserts the record, so two writers never get the
same number, and a write that fails rolls its number back: no duplicates and no gaps.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..metamodel.model import Entity
from .system import SEQUENCE_TABLE
from .tables import Tables


def sequence_key(entity: str, field: str, period: str) -> str:
    return f"{entity}.{field}:{period}"


def next_value(conn: Connection, tables: Tables, key: str) -> int:
    """Bump the counter `key` (creating it at 1) and return its new value."""
    table = tables.system(SEQUENCE_TABLE)
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        return int(conn.execute(_upsert(table, dialect), {"key": key}).scalar_one())
    # Other databases: the row lock of the UPDATE serializes writers just as well.
    bumped = conn.execute(table.update().where(table.c.key == key).values(value=table.c.value + 1))
    if bumped.rowcount == 0:
        conn.execute(table.insert().values(key=key, value=1))
        return 1
    return int(conn.execute(sa.select(table.c.value).where(table.c.key == key)).scalar_one())


@functools.cache
def _upsert(table: sa.Table, dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE … RETURNING, built once per table and dialect."""
    insert: Any = (sqlite if dialect == "sqlite" else postgresql).insert(table)
    return (
        insert.values(key=sa.bindparam("key"), value=1)
        .on_conflict_do_update(index_elements=[table.c.key], set_={"value": table.c.value + 1})
        .returning(table.c.value)
    )


def assign_numbers(
    conn: Connection, tables: Tables, entity: Entity, today: dt.date
) -> dict[str, str]:
    """The values of the entity's auto-number fields for a record created on `today`."""
    numbers = {}
    for field in entity.stored_fields():
        if field.type != "autonumber":
            continue
        pattern = field.kind.pattern(field)  # type: ignore[attr-defined]
        key = sequence_key(entity.name, field.name, pattern.period(today))
        numbers[field.name] = pattern.render(today, next_value(conn, tables, key))
    return numbers
