"""Checks that need the database: links point at records that exist, unique values are free.

They run inside the write transaction before anything is written, so the error names the
field ("no such record", "already used"). The database constraints stay as the last line of
defence; `integrity_error` maps what they report back to a field where it can.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import App, Entity, Field
from .errors import RECORD_KEY, ValidationFailed, message
from .tables import Tables, table_name_of

Errors = dict[str, list[str]]


def target_table(tables: Tables, field: Field) -> sa.Table:
    return tables.metadata.tables[table_name_of(field.setting("to"))]


def check_links(
    conn: Connection,
    tables: Tables,
    entity: Entity,
    values: Mapping[str, Any],
    prefix: str,
    errors: Errors,
) -> None:
    """Add "no such record" for every link value whose target does not exist."""
    for name, value in values.items():
        field = entity.fields[name]
        if field.type != "link" or value is None:
            continue
        target = target_table(tables, field)
        found = conn.execute(sa.select(target.c.id).where(target.c.id == value)).first()
        if found is None:
            errors.setdefault(prefix + name, []).append(message("no_such_record"))


def check_unique(
    conn: Connection,
    tables: Tables,
    entity: Entity,
    values: Mapping[str, Any],
    own_id: int | None,
    prefix: str,
    errors: Errors,
) -> None:
    """Add "already used" for every unique field whose value another row holds."""
    table = tables[entity.name]
    for name, value in values.items():
        if not entity.fields[name].unique or value is None:
            continue
        query = sa.select(table.c.id).where(table.c[name] == value)
        if own_id is not None:
            query = query.where(table.c.id != own_id)
        if conn.execute(query.limit(1)).first() is not None:
            errors.setdefault(prefix + name, []).append(message("unique"))


def links_to(app: App, entity: str) -> list[tuple[Entity, Field]]:
    """Every (entity, link field) that points at `entity`."""
    return [
        (other, field)
        for other in app.entities.values()
        for field in other.stored_fields()
        if field.type == "link" and field.setting("to") == entity
    ]


def referencing_ids(
    conn: Connection, tables: Tables, other: Entity, field: Field, record_id: int
) -> list[int]:
    table = tables[other.name]
    rows = conn.execute(sa.select(table.c.id).where(table.c[field.name] == record_id))
    return [row.id for row in rows]


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+)\.(\w+)")


def integrity_error(exc: sa.exc.IntegrityError, entity: Entity) -> ValidationFailed:
    """What the database refused, as a field error when the constraint names a field."""
    detail = str(getattr(exc, "orig", exc)).splitlines()[0]
    match = _SQLITE_UNIQUE.search(detail)
    diag = getattr(getattr(exc, "orig", None), "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    if match and match.group(1) == entity.name:
        constraint = f"uq_{entity.name}_{match.group(2)}"
    for prefix, key in ((f"uq_{entity.name}_", "unique"), (f"fk_{entity.name}_", "no_such_record")):
        column = constraint.removeprefix(prefix)
        if constraint.startswith(prefix) and column in entity.fields:
            return ValidationFailed.one(column, message(key))
    return ValidationFailed.one(RECORD_KEY, message("constraint", detail=detail))
