"""Giving the records already stored the default of a field the schema sync adds.

A field with a `default` or a `default_formula` starts every new record with that value. When
the field is added to an entity that already holds records (a package upgrade through
`formwork migrate`, an admin's publish), the records there get it too, as if they had been
created with it: each record without a value gets the constant, or the formula run on the
record, with an audit row ("fill") saying what was filled in. A restored field's records
that were created while it was archived are filled the same way; the values that come back
from the archive are kept.

It runs inside the schema sync's transaction, after the columns exist, so the new columns
and their values arrive together or not at all. Stored computed fields and grades that read
the new field are not recomputed here: a formula can only read a field that the same change
added by changing too, and a changed formula is recomputed by its own step (publish does it;
`formwork recompute` after a migrate).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import App, Entity, Field
from ..rules.rulebook import RuleBook, formula_view
from .audit import diff
from .formula_context import StoreContext
from .input_schema import is_empty
from .record_rules import to_column
from .sync_ops import AddColumn, Operation, RestoreColumn
from .system import AUDIT_TABLE
from .tables import Tables

#: Records read, filled and written per round trip.
FILL_BATCH = 1_000
#: The audit action of a filled-in default.
FILL_ACTION = "fill"


def fields_to_fill(
    app: App, tables: Tables, operations: Iterable[Operation]
) -> dict[str, list[Field]]:
    """{entity: its added or restored fields that have a default}, in the entity's field order."""
    added: dict[str, set[str]] = {}
    entity_of = {table.name: name for name, table in tables.entities.items()}
    for op in operations:
        if isinstance(op, AddColumn | RestoreColumn) and op.table in entity_of:
            added.setdefault(entity_of[op.table], set()).add(op.column)
    found = {}
    for name, columns in added.items():
        fields = [
            f for f in app.entity(name).fields.values() if f.name in columns and _has_default(f)
        ]
        if fields:
            found[name] = fields
    return found


def fill_defaults(
    conn: Connection,
    app: App,
    tables: Tables,
    operations: Iterable[Operation],
    now: dt.datetime,
) -> dict[str, int]:
    """Fill the defaults of the fields `operations` added; {entity: records filled}."""
    todo = fields_to_fill(app, tables, operations)
    if not todo:
        return {}
    book = RuleBook(app) if any(f.default_formula for fs in todo.values() for f in fs) else None
    ctx = StoreContext(conn, app, tables, now.date())
    return {name: _fill(ctx, app.entity(name), fields, book, now) for name, fields in todo.items()}


def _fill(
    ctx: StoreContext, ent: Entity, fields: list[Field], book: RuleBook | None, now: dt.datetime
) -> int:
    table = ctx.tables[ent.name]
    formulas = book[ent.name].defaults if book is not None else {}
    updates = {
        f.name: table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values({f.name: sa.bindparam("value")})
        for f in fields
    }
    audit = ctx.tables.system(AUDIT_TABLE).insert()
    filled = 0
    for rows in _empty_rows(ctx.conn, table, fields):
        per_field: dict[str, list[dict[str, Any]]] = {f.name: [] for f in fields}
        entries = []
        for row in rows:
            stored = {f.name: row[f.name] for f in ent.stored_fields()}
            values = _defaults(ctx, ent, fields, formulas, stored, row["id"])
            if not values:
                continue
            for name, value in values.items():
                per_field[name].append({"row_id": row["id"], "value": value})
            entries.append(
                {
                    "at": now,
                    "user_id": None,
                    "entity": ent.name,
                    "record_id": row["id"],
                    "action": FILL_ACTION,
                    "changes": diff(stored, values),
                }
            )
        for name, params in per_field.items():
            if params:
                ctx.conn.execute(updates[name], params)
        if entries:
            ctx.conn.execute(audit, entries)
            filled += len(entries)
    return filled


def _defaults(
    ctx: StoreContext,
    ent: Entity,
    fields: list[Field],
    formulas: dict[str, Any],
    stored: dict[str, Any],
    record_id: int,
) -> dict[str, Any]:
    """The record's value of each empty field in `fields`: its constant or formula default.

    Fields are filled in order, so a default formula sees the defaults filled before it."""
    view = formula_view(ent, stored, record_id)
    values: dict[str, Any] = {}
    for f in fields:
        if not is_empty(stored[f.name]):
            continue
        if f.name in formulas:
            value = to_column(f, formulas[f.name].run(view, ctx))
        else:
            value = copy.deepcopy(f.default)
        if value is None:
            continue
        values[f.name] = value
        view[f.name] = float(value) if isinstance(value, Decimal) else value
    return values


def _empty_rows(conn: Connection, table: sa.Table, fields: list[Field]) -> Iterator[list[Any]]:
    """The records with no value in one of `fields` (and every column formulas may read), in
    batches by id."""
    empty = sa.or_(*(table.c[f.name].is_(None) for f in fields))
    last = 0
    while True:
        rows = (
            conn.execute(
                sa.select(table)
                .where(empty, table.c.id > last)
                .order_by(table.c.id)
                .limit(FILL_BATCH)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        yield rows
        last = rows[-1]["id"]


def _has_default(f: Field) -> bool:
    return f.stored and f.writable and (bool(f.default_formula) or not is_empty(f.default))
