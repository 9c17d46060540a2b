"""SQLite's page cache: SQLite's default for every pooled connection, the bulk cache only
while a connection writes in bulk (`use_bulk_cache`), given back when it returns to the
pool."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from formwork.store.database import (
    SQLITE_BULK_CACHE_KIB,
    SQLITE_CACHE_KIB,
    Database,
    use_bulk_cache,
)
from formwork.store.records import RecordService


def cache_kib(conn: sa.Connection) -> int:
    return -int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())


def test_a_connection_has_sqlite_s_default_cache(sqlite_db: Database) -> None:
    with sqlite_db.read() as conn:
        assert cache_kib(conn) == SQLITE_CACHE_KIB


def test_a_bulk_write_has_the_bulk_cache_until_its_connection_goes_back(
    sqlite_db: Database,
) -> None:
    with sqlite_db.write() as conn:
        first = conn.connection.dbapi_connection
        use_bulk_cache(conn)
        use_bulk_cache(conn)  # asking twice changes nothing
        assert cache_kib(conn) == SQLITE_BULK_CACHE_KIB
    with sqlite_db.read() as conn:
        assert conn.connection.dbapi_connection is first  # the same pooled connection
        assert cache_kib(conn) == SQLITE_CACHE_KIB


@pytest.mark.parametrize("any_db", ["sqlite"], indirect=True)
def test_an_import_batch_writes_with_the_bulk_cache(records: RecordService) -> None:
    seen: list[int] = []

    def before(conn, cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO customer"):
            seen.append(-cursor.connection.execute("PRAGMA cache_size").fetchone()[0])

    sa.event.listen(records.db.engine, "before_cursor_execute", before)
    records.create_many("customer", [{"name": "甲", "customer_type": "开发商"}])
    sa.event.remove(records.db.engine, "before_cursor_execute", before)
    assert seen == [SQLITE_BULK_CACHE_KIB]
    with records.db.read() as conn:
        assert cache_kib(conn) == SQLITE_CACHE_KIB
