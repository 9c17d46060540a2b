"""Carrying a batch of writes to the records that depend on them, once per batch.

`RuleRunner.propagate` runs after every single write: a new order line recomputes its order's
rollups there and then. After a batch of writes that would recompute an order once per
line of the batch, each time with a dozen queries. `propagate_many` instead gathers the
distinct records the whole batch affects, per dependent entity, and `recompute_many`
recomputes them together: their rows, their related records and their grading state read in
a few queries for all of them, the changed ones written with one `executemany` per set of
changed columns, one audit row each (action "recompute", the net change of the batch) and their
grade history rows. Changes go on to their own dependents in the same way, wave by wave, up to
the depth `propagate` stops at, so the values stored at the end are the ones the record-by-record
path stores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import App, Entity
from ..rules.rulebook import RuleBook, formula_view
from .audit import diff
from .bulk_context import BatchContext, chunks, id_ranges
from .bulk_derive import BatchDeriver
from .record_rules import MAX_PROPAGATION_DEPTH
from .system import AUDIT_TABLE
from .tables import Tables

#: (record id, values before (None: new), values after (None: deleted)) of one written record.
Change = tuple[int, Mapping[str, Any] | None, Mapping[str, Any] | None]


class Propagation:
    """The dependents of a batch of writes, recomputed set by set, in one transaction."""

    def __init__(
        self,
        conn: Connection,
        app: App,
        tables: Tables,
        book: RuleBook,
        user_id: int | None,
        now: dt.datetime,
    ) -> None:
        self.conn = conn
        self.app = app
        self.tables = tables
        self.book = book
        self.user_id = user_id
        self.now = now
        #: Every (entity, id) whose values the propagation changed.
        self.changed: set[tuple[str, int]] = set()

    def propagate_many(self, ent: Entity, changes: Sequence[Change], depth: int = 0) -> None:
        """Recompute the records of other entities that read the changed records."""
        if depth >= MAX_PROPAGATION_DEPTH or not changes:
            return
        for dependent in self.book.dependents(ent.name):
            if dependent.via == "parent_id":
                continue  # child rows are written with their parent, which recomputes itself
            if dependent.kind == "aggregate":
                ids = {
                    values.get(dependent.via)
                    for _id, before, after in changes
                    for values in (before, after)
                    if values is not None
                }
            else:
                table = self.tables[dependent.entity]
                via = table.c[dependent.via]
                ids = set()
                changed = {record_id for record_id, _b, _a in changes}
                for condition in id_ranges(via, changed):
                    rows = self.conn.execute(sa.select(table.c.id, via).where(condition))
                    ids.update(i for i, target in rows if target in changed)
            other = self.app.entity(dependent.entity)
            found = sorted(int(i) for i in ids if i is not None)
            if found:
                self.recompute_many(other, found, "related_edit", depth + 1)

    def recompute_many(
        self, ent: Entity, ids: Iterable[int], cause: str, depth: int = 0
    ) -> list[Change]:
        """Recompute the records' derived values and store what changed (as
        `RuleRunner.recompute` does for each); the changes, which go on to their dependents."""
        table = self.tables[ent.name]
        rules = self.book[ent.name]
        stored_rows: dict[int, dict[str, Any]] = {}
        for part in chunks(sorted(set(ids))):
            for row in self.conn.execute(sa.select(table).where(table.c.id.in_(part))).mappings():
                stored_rows[row["id"]] = {f.name: row[f.name] for f in ent.stored_fields()}
        if not stored_rows:
            return []
        ctx = BatchContext(self.conn, self.app, self.tables, self.now.date())
        ctx.add_batch(ent.name, stored_rows)
        for f in ent.stored_fields():
            if f.type == "link":
                ctx.want(f.setting("to"), (v[f.name] for v in stored_rows.values()))
        deriver = BatchDeriver(self.conn, self.tables, ent, rules, stored_rows, self.now)
        changes: list[Change] = []
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        audit = []
        for record_id, stored in stored_rows.items():
            view = formula_view(ent, stored, record_id)
            derived = deriver.derive(ctx, view, stored, record_id, self.user_id, cause)
            if not derived:
                continue
            updates.setdefault(tuple(derived), []).append({"_id": record_id, **derived})
            audit.append(
                {
                    "at": self.now,
                    "user_id": self.user_id,
                    "entity": ent.name,
                    "record_id": record_id,
                    "action": "recompute",
                    "changes": diff(stored, derived),
                }
            )
            changes.append((record_id, stored, {**stored, **derived}))
            self.changed.add((ent.name, record_id))
        deriver.flush(self.conn)
        statement = table.update().where(table.c.id == sa.bindparam("_id"))
        for params in updates.values():  # the SET clause: the keys of the parameters
            self.conn.execute(statement, params)
        if audit:
            self.conn.execute(self.tables.system(AUDIT_TABLE).insert(), audit)
        self.propagate_many(ent, changes, depth)
        return changes
