"""Walking a table in batches of ids, one write transaction per batch.

Bulk jobs (re-grade, recompute) commit batch by batch, so a killed job keeps what it finished
and a rerun does the rest; the consumer's work on a batch happens inside its transaction, and
an error in it rolls that batch back.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .database import Database


def id_batches(db: Database, table: sa.Table, size: int) -> Iterator[tuple[Connection, list[int]]]:
    """(connection, ids) for each batch, in id order; the batch commits when the loop moves on."""
    last_id = 0
    while True:
        with db.write() as conn:
            ids = list(
                conn.execute(
                    sa.select(table.c.id)
                    .where(table.c.id > last_id)
                    .order_by(table.c.id)
                    .limit(size)
                ).scalars()
            )
            if not ids:
                return
            yield conn, ids
        last_id = ids[-1]


def count_rows(db: Database, table: sa.Table) -> int:
    with db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
