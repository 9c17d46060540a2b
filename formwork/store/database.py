"""The database connection: one `Database` per app, SQLite by default, PostgreSQL by URL.

SQLite runs in WAL mode with foreign keys on and a page cache of 32 MiB. pysqlite's own
transaction handling is switched off (SQLAlchemy's documented recipe) so that transactions
begin when we say: reads with a plain BEGIN, writes with BEGIN IMMEDIATE, which takes the write
lock up front and so cannot deadlock against another writer halfway through.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: SQLite's page cache per connection, in KiB (its default is 2 MiB). Every index of a table
#: takes a new record somewhere in the middle: once the indexes outgrow the cache, each insert
#: reads its pages back from the file. Pages are cached as they are used, so a small
#: database costs no more.
SQLITE_CACHE_KIB = 32 * 1024


def sqlite_url(folder: str | Path, name: str = "formwork.db") -> str:
    path = Path(folder).resolve() / name
    return f"sqlite:///{path}"


class Database:
    """An engine plus the two kinds of transaction the rest of Formwork uses."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = sa.make_url(url)
        if self.url.get_backend_name() == "sqlite":
            database = self.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = sa.create_engine(self.url, **engine_options)
        if self.is_sqlite:
            _configure_sqlite(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(formwork_write=True)
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see below
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("formwork_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
