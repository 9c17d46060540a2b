"""Recomputing every record of an entity: after a formula changed in the config.

Record writes keep derived values current; a changed formula does not touch the records it
applies to. `recompute_all` walks an entity's records in batches of ids (each batch one
transaction) and recomputes each record's stored computed fields and grades exactly as a write
would — audit rows, grade history with the given cause, dependent records carried along.
Grades alone are faster with `regrade`, which runs in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from .records import RecordService

DEFAULT_BATCH = 2_000


@dataclass(frozen=True)
class RecomputeResult:
    entity: str
    total: int
    changed: int


def recompute_all(
    service: RecordService,
    entity: str,
    *,
    cause: str = "config_change",
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int, int], None] | None = None,
    now: dt.datetime | None = None,
) -> RecomputeResult:
    ent = service.app.entity(entity)
    table = service.tables[entity]
    now = now or service.clock()
    with service.db.read() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    done, changed, last_id = 0, 0, 0
    while True:
        with service.db.write() as conn:
            ids = (
                conn.execute(
                    sa.select(table.c.id)
                    .where(table.c.id > last_id)
                    .order_by(table.c.id)
                    .limit(batch_size)
                )
                .scalars()
                .all()
            )
            if not ids:
                break
            ctx = service.runner.context(conn, now)
            for record_id in ids:
                if service.runner.recompute(ctx, ent, record_id, None, now, cause):
                    changed += 1
        last_id, done = ids[-1], done + len(ids)
        if progress is not None:
            progress(done, total)
    return RecomputeResult(entity, total, changed)
