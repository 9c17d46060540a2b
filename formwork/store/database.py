"""The database connection: one `Database` per app, SQLite by default, PostgreSQL by URL.

JSON columns store compact UTF-8 JSON text (`json_text`). SQLite runs in WAL mode with foreign
keys on, and a page cache of 32 MiB for bulk writes (`use_bulk_cache`). pysqlite's own
transaction handling is switched off (SQLAlchemy's documented recipe) so that transactions
begin when we say: reads with a plain BEGIN, writes with BEGIN IMMEDIATE, which takes the
write lock up front and so cannot deadlock against another writer halfway through.

Shared reads (`Database.shared_reads`): within the scope (the web app opens one per GET or HEAD
request), every `read()` of this database uses one connection and one read transaction, opened
at the first read and closed when the scope ends — one pool checkout and one BEGIN/COMMIT
instead of one per read, and one consistent snapshot for the whole page. A `write()` in the
scope (or a write on a connection of its own that calls `writing()` first, as schema sync
does) ends the shared transaction first (at once, or when the read blocks that use it end), so
every read after a write opens a new one and sees what was written; a read block that raises
ends it too (a failed statement may have spoilt the transaction).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: SQLite's page cache per connection, in KiB: SQLite's own default, which holds what a page
#: of the web app reads.
SQLITE_CACHE_KIB = 2 * 1024
#: The page cache of a connection while it writes in bulk (`use_bulk_cache`). Every index of
#: a table takes a new record somewhere in its middle: once the indexes outgrow the cache,
#: each insert reads its pages back from the file. Pages are cached as they are used, so a
#: small database costs no more.
SQLITE_BULK_CACHE_KIB = 32 * 1024
#: Set in a connection's `info` while it has the bulk page cache.
_BULK_CACHE = "formwork_bulk_cache"


def use_bulk_cache(conn: Connection) -> None:
    """Give `conn` the bulk page cache until it goes back to the pool (SQLite; elsewhere
    nothing): for writes of thousands of rows, such as an import's batches. Pooled
    connections keep SQLite's default otherwise, so that a pool of connections that have read
    much does not hold 32 MiB each."""
    if conn.dialect.name == "sqlite" and not conn.info.get(_BULK_CACHE):
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KIB}")
        conn.info[_BULK_CACHE] = True


def json_text(value: Any) -> str:
    """The text JSON columns store: compact JSON in UTF-8, by orjson (~6× faster than
    `json.dumps`; an import writes two JSON texts a record, its audit row's and its grade
    explanation's). It reads back as `json.dumps`'s text of the value does, keys that are not
    strings included, except NaN and the infinities: JSON cannot hold them, and orjson writes
    null where `json.dumps` writes a NaN that SQLite's JSON functions and PostgreSQL refuse. A
    value orjson refuses but `json.dumps` writes (an integer beyond 64 bits, a lone surrogate,
    nesting deeper than 254) is written by `json.dumps`, which also refuses what JSON cannot
    hold at all (TypeError) and a circular value (RecursionError)."""
    try:
        return orjson.dumps(value, option=_ORJSON_AS_JSON_DUMPS).decode()
    except TypeError:  # orjson.JSONEncodeError
        return _json_dumps(value)


#: orjson, made to refuse what `json.dumps` refuses (dates, dataclasses) and to accept keys
#: that are not strings as it does.
_ORJSON_AS_JSON_DUMPS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)

#: `json.dumps`'s text, by one encoder made once and without its check for circular
#: references (the values stored, made from records and parsed input, cannot have one; one
#: would still be refused, with RecursionError).
_json_dumps = json.JSONEncoder(check_circular=False).encode


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
        engine_options.setdefault("json_serializer", json_text)
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
        """A read transaction (the scope's shared one inside `shared_reads`)."""
        shared = _SHARED.get()
        if shared is not None and shared.db is self and not shared.retiring:
            with shared.use() as conn:
                yield conn
            return
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        self.writing()
        with self.engine.connect() as conn:
            conn = conn.execution_options(formwork_write=True)
            with conn.begin():
                yield conn

    def writing(self) -> None:
        """Say that a write begins: a shared read transaction of this thread ends (at once, or
        when the read blocks that use it end), so that reads after the write see it. `write`
        says it itself; code that opens a write connection of its own must say it first."""
        shared = _SHARED.get()
        if shared is not None and shared.db is self:
            shared.retire()

    @contextmanager
    def shared_reads(self) -> Iterator[None]:
        """A scope in which this thread's reads share one connection and transaction (see the
        module docstring); for code that only reads, or reads only before it writes."""
        scope = self.open_shared_reads()
        try:
            yield
        finally:
            scope.close()

    def open_shared_reads(self) -> SharedReads:
        """Open a shared-reads scope (`shared_reads` as a pair of calls, for hooks that begin
        and end it apart); the caller must `close()` it, also when something failed."""
        return SharedReads(self)

    def dispose(self) -> None:
        self.engine.dispose()


class SharedReads:
    """One scope of shared reads of a database in this thread (or task); see the module
    docstring. The connection is opened lazily by the first read."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn: Connection | None = None
        #: How many read blocks use the connection now.
        self.depth = 0
        #: The transaction may no longer be shared: closed as soon as no block uses it.
        self.retiring = False
        self._previous = _SHARED.get()
        _SHARED.set(self)

    @contextmanager
    def use(self) -> Iterator[Connection]:
        if self.conn is None:
            conn = self.db.engine.connect()
            try:
                conn.begin()
            except BaseException:
                conn.close()
                raise
            self.conn = conn
        self.depth += 1
        try:
            yield self.conn
        except BaseException:
            self.retiring = True
            raise
        finally:
            self.depth -= 1
            if self.retiring and self.depth == 0:
                self._end()

    def retire(self) -> None:
        """No more reads in this transaction: end it now, or when its last block ends."""
        if self.conn is None:
            return
        self.retiring = True
        if self.depth == 0:
            self._end()

    def close(self) -> None:
        """End the scope (its transaction, if a read opened one); idempotent."""
        self._end()
        if _SHARED.get() is self:
            _SHARED.set(self._previous)

    def _end(self) -> None:
        conn, self.conn = self.conn, None
        self.retiring = False
        if conn is not None:
            conn.close()  # a read transaction: rolling it back is ending it


#: The shared-reads scope open in this thread (or task), if any.
_SHARED: ContextVar[SharedReads | None] = ContextVar("formwork_shared_reads", default=None)


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

    @event.listens_for(engine, "checkin")
    def on_checkin(dbapi_connection: Any, record: Any) -> None:
        if record.info.pop(_BULK_CACHE, False) and dbapi_connection is not None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # memory given back
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("formwork_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
