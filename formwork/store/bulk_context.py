"""Formulas of a batch of records evaluated with a few queries, not a few per record.

`BatchContext` is the `StoreContext` of a batch write or recompute. It is told which records
the batch is about (`add_batch`) and which linked records its formulas may follow (`want`);
the first time a formula lists related records of one batch record, those of every record of
the batch are read in one query per relation, and the first time it follows a link to a wanted
record, every wanted record of that entity is read in one query. What formulas get is what
`StoreContext` would read for each record alone, in the same order.

It caches for its whole life, so a batch uses it for one round of evaluation and writes
afterwards; the writes of a round are read by the next round's context.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ..metamodel.model import USER_ENTITY
from ..rules.rulebook import ENTITY_KEY, ID_KEY, formula_view
from ..rules.scope import relations_of
from .formula_context import USER_FIELDS, StoreContext
from .system import USER_TABLE

#: Ids per `IN (…)` list: well below every database's limit on bound parameters.
CHUNK = 500


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def id_ranges(column: Any, ids: Iterable[int]) -> Iterator[Any]:
    """Conditions on `column` that together match every id of `ids`, and maybe others (the
    caller keeps only the rows of its ids): one range when the ids are dense, as the ids of a
    batch of new records are, else `IN` lists. A range costs the database one index range
    scan, and SQLAlchemy two parameters instead of hundreds."""
    ordered = sorted(set(ids))
    if not ordered:
        return
    if ordered[-1] - ordered[0] < 2 * len(ordered):
        yield column.between(ordered[0], ordered[-1])
        return
    for part in chunks(ordered):
        yield column.in_(part)


class BatchContext(StoreContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The records of the batch, by entity: their related records are read together.
        self._batch: dict[str, frozenset[int]] = {}
        #: Related rows by (entity, relation), then by the batch record's id (every one of
        #: them; formulas only read the lists, so each record's is shared by its formulas).
        self._related_rows: dict[tuple[str, str], dict[int, list[Mapping[str, Any]]]] = {}
        #: Records that formulas may follow links to, not read yet.
        self._wanted: dict[str, set[int]] = {}

    def add_batch(self, entity: str, ids: Iterable[int]) -> None:
        self._batch[entity] = self._batch.get(entity, frozenset()) | frozenset(ids)

    def want(self, entity: str, ids: Iterable[Any]) -> None:
        """Records of `entity` to read together the first time a formula follows a link."""
        self._wanted.setdefault(entity, set()).update(int(i) for i in ids if i is not None)

    def load(self, entity: str, record_id: int) -> dict[str, Any] | None:
        if (entity, record_id) not in self._records and record_id in self._wanted.get(entity, ()):
            self._load_wanted(entity)
        return super().load(entity, record_id)

    def related(self, record: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
        entity, record_id = record[ENTITY_KEY], record.get(ID_KEY)
        rows = self._related_rows.get((entity, name))
        if rows is None:
            if record_id is None or record_id not in self._batch.get(entity, ()):
                return super().related(record, name)
            rows = self._related_rows[(entity, name)] = self._read_related(
                entity, name, self._batch[entity]
            )
        found = rows.get(record_id)
        return super().related(record, name) if found is None else found

    def without_related(self, entity: str, names: Iterable[str]) -> set[int]:
        """The batch records of `entity` that have no related records in any of the relations
        `names` (each relation read for the whole batch, as `related` reads it)."""
        batch = self._batch.get(entity, frozenset())
        alone = set(batch)
        for name in names if batch else ():
            rows = self._related_rows.get((entity, name))
            if rows is None:
                rows = self._related_rows[(entity, name)] = self._read_related(entity, name, batch)
            alone.difference_update(i for i, records in rows.items() if records)
        return alone

    def _read_related(
        self, entity: str, name: str, ids: frozenset[int]
    ) -> dict[int, list[Mapping[str, Any]]]:
        relations = self._relations.setdefault(entity, relations_of(self.app, entity))
        relation = relations[name]
        table = self.tables[relation.entity]
        other = self.app.entity(relation.entity)
        via = table.c[relation.via]
        found: dict[int, list[Mapping[str, Any]]] = {i: [] for i in ids}
        for condition in id_ranges(via, ids):
            rows = self.conn.execute(sa.select(table).where(condition).order_by(table.c.id))
            for row in rows.mappings():
                records = found.get(row[relation.via])
                if records is not None:
                    records.append(formula_view(other, row, row["id"]))
        return found

    def _load_wanted(self, entity: str) -> None:
        ids = sorted(i for i in self._wanted.pop(entity) if (entity, i) not in self._records)
        if entity == USER_ENTITY:
            table = self.tables.system(USER_TABLE)
            columns = [table.c.id, *(table.c[c] for c in USER_FIELDS)]
        else:
            table = self.tables[entity]
            columns = [table]
        for part in chunks(ids):
            for key in part:
                self._records[(entity, key)] = None
            rows = self.conn.execute(sa.select(*columns).where(table.c.id.in_(part))).mappings()
            for row in rows:
                if entity == USER_ENTITY:
                    view = {ENTITY_KEY: USER_ENTITY, **{c: row[c] for c in USER_FIELDS}}
                else:
                    view = formula_view(self.app.entity(entity), row, row["id"])
                self._records[(entity, row["id"])] = view
