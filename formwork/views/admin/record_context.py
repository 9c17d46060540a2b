"""Evaluating a formula on a record as the signed-in user may read it.

The formula editor's "evaluate against a record" runs the formula in Python on the record as
the record service hands it to the admin: through `service().get` and `query`, so row scopes
and hidden fields apply to the record, to the records its links lead to, and to the related
records an aggregate reads (a record the admin may not read counts as absent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ...metamodel.model import USER_ENTITY, App
from ...rules.rulebook import ENTITY_KEY, ID_KEY, formula_view
from ...rules.scope import relations_of
from ...store.actor import Actor
from ...store.errors import RecordError
from ...store.formula_context import USER_FIELDS
from ...store.query import Filter, Query
from ...store.records import RecordService
from ...store.system import USER_TABLE

#: Most related records an aggregate reads here (a preview, not a bulk job).
RELATED_LIMIT = 5000
PAGE = 500


class ServiceContext:
    """An evaluation context (`rules.pycompile.EvalContext`) over the record service."""

    def __init__(
        self, app: App, service: RecordService, user: Actor | None, today: dt.date
    ) -> None:
        self.app = app
        self.service = service
        self.user = user
        self.today = today
        self._records: dict[tuple[str, int], dict[str, Any] | None] = {}

    def record(self, entity: str, record_id: int) -> dict[str, Any] | None:
        """A record as formulas see it, or None when it is not there for this user."""
        key = (entity, record_id)
        if key not in self._records:
            self._records[key] = self._load(entity, record_id)
        return self._records[key]

    def _load(self, entity: str, record_id: int) -> dict[str, Any] | None:
        if entity == USER_ENTITY:
            return self._user(record_id)
        if entity not in self.service.app.entities or entity not in self.app.entities:
            return None
        try:
            found = self.service.get(entity, record_id, self.user)
        except RecordError:
            return None
        return formula_view(self.app.entity(entity), found.values, found.id)

    def _user(self, user_id: int) -> dict[str, Any] | None:
        table = self.service.tables.system(USER_TABLE)
        with self.service.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(*(table.c[c] for c in USER_FIELDS)).where(table.c.id == user_id)
                )
                .mappings()
                .first()
            )
        return None if row is None else {ENTITY_KEY: USER_ENTITY, **row}

    def follow(self, record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
        current: Mapping[str, Any] | None = record
        for step in path[:-1]:
            assert current is not None
            entity = current[ENTITY_KEY]
            if entity == USER_ENTITY or entity not in self.app.entities:
                return None
            field = self.app.entity(entity).fields.get(step)
            linked = current.get(step)
            if field is None or linked is None:
                return None
            current = self.record(field.setting("to"), int(linked))
            if current is None:
                return None
        return current.get(path[-1]) if current is not None else None

    def related(self, record: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
        entity, record_id = record[ENTITY_KEY], record.get(ID_KEY)
        relation = relations_of(self.app, entity).get(name)
        if (
            record_id is None
            or relation is None
            or relation.entity not in self.service.app.entities
        ):
            return []
        other = self.app.entity(relation.entity)
        found: list[Mapping[str, Any]] = []
        after = None
        while len(found) < RELATED_LIMIT:
            query = Query(
                filters=(Filter(relation.via, "eq", record_id),),
                page_size=PAGE,
                after=after,
                count=False,
            )
            try:
                page = self.service.query(relation.entity, query, self.user)
            except RecordError:
                return found
            found.extend(formula_view(other, r.values, r.id) for r in page.records)
            after = page.next_cursor
            if after is None:
                break
        return found
