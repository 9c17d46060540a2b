"""Formulas evaluated against the database: linked records and related records on demand.

`StoreContext` is what compiled formulas call to follow a link (`account.tier`) or to list
related records (`sum(orders.amount)`) during a write. It reads on the write's own
connection, so it sees the write's uncommitted changes, and it caches each record it loads
for the rest of the write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import USER_ENTITY, App
from ..rules.rulebook import ENTITY_KEY, ID_KEY, formula_view
from ..rules.scope import Relation, relations_of
from .system import USER_TABLE
from .tables import Tables

USER_FIELDS = ("username", "display_name", "email")


class StoreContext:
    def __init__(self, conn: Connection, app: App, tables: Tables, today: dt.date) -> None:
        self.conn = conn
        self.app = app
        self.tables = tables
        self.today = today
        self._records: dict[tuple[str, int], dict[str, Any] | None] = {}
        self._relations: dict[str, dict[str, Relation]] = {}

    def forget(self, entity: str, record_id: int) -> None:
        """Drop a cached record (after it was written)."""
        self._records.pop((entity, record_id), None)

    def load(self, entity: str, record_id: int) -> dict[str, Any] | None:
        key = (entity, record_id)
        if key not in self._records:
            if entity == USER_ENTITY:
                table = self.tables.system(USER_TABLE)
                row = (
                    self.conn.execute(
                        sa.select(*(table.c[c] for c in USER_FIELDS)).where(table.c.id == record_id)
                    )
                    .mappings()
                    .first()
                )
                self._records[key] = None if row is None else {ENTITY_KEY: USER_ENTITY, **row}
            else:
                table = self.tables[entity]
                row = (
                    self.conn.execute(sa.select(table).where(table.c.id == record_id))
                    .mappings()
                    .first()
                )
                self._records[key] = (
                    None if row is None else formula_view(self.app.entity(entity), row, row["id"])
                )
        return self._records[key]

    def follow(self, record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
        current: Mapping[str, Any] | None = record
        for step in path[:-1]:
            assert current is not None
            entity = current[ENTITY_KEY]
            if entity == USER_ENTITY:
                return None
            target = self.app.entity(entity).fields[step].setting("to")
            linked = current.get(step)
            current = None if linked is None else self.load(target, int(linked))
            if current is None:
                return None
        return current.get(path[-1]) if current is not None else None

    def related(self, record: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
        entity, record_id = record[ENTITY_KEY], record.get(ID_KEY)
        if record_id is None:
            return []
        relations = self._relations.setdefault(entity, relations_of(self.app, entity))
        relation = relations[name]
        table = self.tables[relation.entity]
        other = self.app.entity(relation.entity)
        rows = self.conn.execute(
            sa.select(table).where(table.c[relation.via] == record_id).order_by(table.c.id)
        ).mappings()
        return [formula_view(other, row, row["id"]) for row in rows]
