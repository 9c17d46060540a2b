"""Fields locked while a request is pending, refused by the record service itself.

`LockGuard` is a `WriteGuard` of the record service: every update and delete of a record,
whoever makes it (forms, API, imports, scripts), passes it inside its own transaction. While
the record has a pending request, changes to the fields its flow version locks — and to the
state field, which only the flow moves — are refused, and so is deleting the record. The
flow engine's own writes (the state, effects) come as system values, which guards do not see.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import App, Entity
from ..store.errors import RECORD_KEY, ValidationFailed
from ..store.record import Record
from ..store.tables import Tables
from .errors import message
from .tables import REQUEST_TABLE
from .versions import FlowVersions


def open_key(entity: str, record_id: int) -> str:
    """The key a record's pending request holds (unique: one pending request per record)."""
    return f"{entity}:{record_id}"


class LockGuard:
    def __init__(self, app: App, tables: Tables, versions: FlowVersions) -> None:
        self.app = app
        self.requests = tables.system(REQUEST_TABLE)
        self.versions = versions

    def __call__(
        self, conn: Connection, entity: Entity, current: Record, changed: frozenset[str] | None
    ) -> None:
        if self.app.flow_of(entity.name) is None or changed == frozenset():
            return
        pending = conn.execute(
            sa.select(self.requests.c.version).where(
                self.requests.c.open_key == open_key(entity.name, current.id)
            )
        ).first()
        if pending is None:
            return
        if changed is None:
            raise ValidationFailed.one(RECORD_KEY, message("pending_delete"))
        flow = self.versions.get(conn, pending.version)
        locked = sorted(changed & {*flow.locked, flow.state_field})
        if locked:
            raise ValidationFailed({name: [message("locked")] for name in locked})
