"""Shared reads (`Database.shared_reads`): one connection and transaction for the reads of a
scope, ended by a write (so reads after it see it), by a read that fails, and by the scope's
end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.store.database import Database, sqlite_url
from formwork.store.sync_apply import ddl_transaction

NOTE = sa.Table(
    "note",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text),
)


@pytest.fixture
def db(any_db: Database) -> Database:
    NOTE.create(any_db.engine)
    with any_db.write() as conn:
        conn.execute(NOTE.insert(), {"id": 1, "text": "before"})
    return any_db


@pytest.fixture
def checkouts(db: Database) -> Iterator[list[Any]]:
    """The pool checkouts made while the test runs."""
    made: list[Any] = []

    def checkout(*_args: Any) -> None:
        made.append(1)

    sa.event.listen(db.engine.pool, "checkout", checkout)
    yield made
    sa.event.remove(db.engine.pool, "checkout", checkout)


def text(db: Database) -> str:
    with db.read() as conn:
        return str(conn.execute(sa.select(NOTE.c.text)).scalar_one())


def write(db: Database, value: str) -> None:
    with db.write() as conn:
        conn.execute(NOTE.update().values(text=value))


def test_reads_in_a_scope_share_one_connection(db: Database, checkouts: list[Any]) -> None:
    with db.shared_reads():
        with db.read() as first, db.read() as nested:
            assert nested is first
        with db.read() as later:
            assert later is first
        assert text(db) == "before"
    assert len(checkouts) == 1
    assert db.engine.pool.checkedout() == 0  # the scope's end gave the connection back


def test_outside_a_scope_each_read_has_its_own(db: Database, checkouts: list[Any]) -> None:
    text(db)
    text(db)
    assert len(checkouts) == 2


def test_a_read_after_a_write_sees_it(db: Database) -> None:
    with db.shared_reads():
        assert text(db) == "before"
        write(db, "after")
        assert text(db) == "after"


def test_a_write_inside_a_read_block_ends_the_shared_transaction_when_the_block_does(
    db: Database,
) -> None:
    with db.shared_reads():
        with db.read() as conn:
            write(db, "after")
            # The block keeps its connection; a read now gets a new one, which sees the write.
            with db.read() as other:
                assert other is not conn
                assert other.execute(sa.select(NOTE.c.text)).scalar_one() == "after"
        assert text(db) == "after"


def test_the_shared_reads_see_one_snapshot(sqlite_db: Database) -> None:
    """On SQLite a read transaction is a snapshot: the scope's reads agree with each other
    even when another connection commits in between."""
    db = sqlite_db
    NOTE.create(db.engine)
    write_conn = db.engine.connect()
    with db.write() as conn:
        conn.execute(NOTE.insert(), {"id": 1, "text": "before"})
    with db.shared_reads():
        assert text(db) == "before"
        with write_conn.begin():  # another connection, not this scope's write()
            write_conn.execute(NOTE.update().values(text="elsewhere"))
        assert text(db) == "before"
    write_conn.close()
    assert text(db) == "elsewhere"


def test_a_failed_read_ends_the_shared_transaction(db: Database, checkouts: list[Any]) -> None:
    with db.shared_reads():
        with pytest.raises(sa.exc.DBAPIError), db.read() as conn:
            conn.execute(sa.text("SELECT * FROM no_such_table"))
        assert text(db) == "before"  # on a new connection (PostgreSQL's old one is spoilt)
    assert len(checkouts) == 2
    assert db.engine.pool.checkedout() == 0


def test_another_database_is_not_shared(db: Database, tmp_path: Path) -> None:
    other = Database(sqlite_url(tmp_path / "other"))
    try:
        with db.shared_reads(), db.read() as ours, other.read() as theirs:
            assert (ours.engine, theirs.engine) == (db.engine, other.engine)
        with other.read():
            assert other.engine.pool.checkedout() == 1  # its own, not a shared one left open
    finally:
        other.dispose()


def test_scopes_nest_and_restore_the_outer_one(db: Database, checkouts: list[Any]) -> None:
    with db.shared_reads():
        with db.read() as outer:
            pass
        with db.shared_reads(), db.read() as inner:
            assert inner is not outer
        with db.read() as again:
            assert again is outer
    assert len(checkouts) == 2
    assert db.engine.pool.checkedout() == 0


def test_a_schema_change_s_own_write_connection_ends_the_shared_transaction_too(
    db: Database,
) -> None:
    # Publishing a config writes through `ddl_transaction`, which opens its connection itself
    # (on SQLite, with foreign keys switched off first).
    with db.shared_reads():
        assert text(db) == "before"
        with ddl_transaction(db) as conn:
            conn.execute(NOTE.update().values(text="published"))
        assert text(db) == "published"
