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

from .batches import count_rows, id_batches
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
    total = count_rows(service.db, table)
    done, changed = 0, 0
    for conn, ids in id_batches(service.db, table, batch_size):
        ctx = service.runner.context(conn, now)
        for record_id in ids:
            if service.runner.recompute(ctx, ent, record_id, None, now, cause):
                changed += 1
        done += len(ids)
        if progress is not None:
            progress(done, total)
    return RecomputeResult(entity, total, changed)
