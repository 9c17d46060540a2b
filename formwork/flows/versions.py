"""Pinned flow versions: each version a request starts on is stored once, under its hash.

A request keeps the key of the version it started on and is always run with that version,
read back from `fw_flow_version` (and cached: a stored version never changes). So editing a
flow never breaks a request in flight; it finishes on the steps and effects it started with.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..metamodel.model import Flow
from ..store.tables import Tables
from .tables import VERSION_TABLE


class FlowVersions:
    def __init__(self, tables: Tables) -> None:
        self.table = tables.system(VERSION_TABLE)
        self._flows: dict[str, Flow] = {}

    def pin(self, conn: Connection, flow: Flow, now: dt.datetime) -> str:
        """Store `flow` as a version (unless it is stored already); returns its key."""
        key = flow.version_key()
        if key not in self._flows:
            values = {"key": key, "flow": flow.name, "document": flow.to_document(), "at": now}
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            # Two first submissions of a new version may race: the second one keeps the first's.
            conn.execute(dialect.insert(self.table).values(values).on_conflict_do_nothing())
            self._flows[key] = flow
        return key

    def get(self, conn: Connection, key: str) -> Flow:
        """The stored version `key` of a flow."""
        if key not in self._flows:
            document = conn.execute(
                sa.select(self.table.c.document).where(self.table.c.key == key)
            ).scalar_one()
            self._flows[key] = Flow.from_document(document)
        return self._flows[key]
