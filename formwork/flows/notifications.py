"""In-app notifications: a message per user about a new task, a reminder, an overdue or
escalated task, or the outcome of their request; with an unread count and marking as read.

Notifications are written in the transaction of the action that causes them, so an action
that rolls back notifies nobody. `kind` says what happened; the UI words it (in the user's
language) from the kind, the record and `detail`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..store.database import Database
from ..store.tables import Tables
from .tables import NOTIFICATION_TABLE

#: What a notification can be about.
KINDS = (
    "task",  # a task to decide (new, delegated, transferred, added or escalated to you)
    "reminder",  # a task still open
    "overdue",  # a task past its deadline
    "approved",  # your request was approved
    "rejected",  # your request was rejected
    "returned",  # your request was returned for changes
    "withdrawn",  # a request you had a task in was withdrawn
    "escalated",  # your overdue task went to someone else
)


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    at: dt.datetime
    kind: str
    entity: str
    record_id: int
    request_id: int | None
    task_id: int | None
    actor_id: int | None
    detail: Mapping[str, Any]
    read: bool


class Notifications:
    def __init__(self, db: Database, tables: Tables) -> None:
        self.db = db
        self.table = tables.system(NOTIFICATION_TABLE)

    def send(
        self,
        conn: Connection,
        users: Iterable[int],
        kind: str,
        *,
        at: dt.datetime,
        entity: str,
        record_id: int,
        request_id: int | None = None,
        task_id: int | None = None,
        actor_id: int | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Notify each of `users` (once each, never the actor themself)."""
        assert kind in KINDS, kind
        rows = [
            {
                "user_id": user,
                "at": at,
                "kind": kind,
                "entity": entity,
                "record_id": record_id,
                "request_id": request_id,
                "task_id": task_id,
                "actor_id": actor_id,
                "detail": dict(detail or {}),
            }
            for user in dict.fromkeys(users)
            if user != actor_id
        ]
        if rows:
            conn.execute(self.table.insert(), rows)

    def of(self, user_id: int, unread_only: bool = False, limit: int = 50) -> list[Notification]:
        """A user's notifications, newest first."""
        t = self.table
        query = sa.select(t).where(t.c.user_id == user_id).order_by(t.c.id.desc()).limit(limit)
        if unread_only:
            query = query.where(t.c.read_at.is_(None))
        with self.db.read() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            Notification(
                id=row["id"],
                at=row["at"],
                kind=row["kind"],
                entity=row["entity"],
                record_id=row["record_id"],
                request_id=row["request_id"],
                task_id=row["task_id"],
                actor_id=row["actor_id"],
                detail=row["detail"],
                read=row["read_at"] is not None,
            )
            for row in rows
        ]

    def unread_count(self, user_id: int) -> int:
        t = self.table
        with self.db.read() as conn:
            return conn.execute(
                sa.select(sa.func.count())
                .select_from(t)
                .where(t.c.user_id == user_id, t.c.read_at.is_(None))
            ).scalar_one()

    def mark_read(self, user_id: int, ids: Iterable[int] | None, now: dt.datetime) -> int:
        """Mark the user's notifications `ids` (all of them: None) read; returns how many.
        Other users' notifications are never touched."""
        t = self.table
        where = [t.c.user_id == user_id, t.c.read_at.is_(None)]
        if ids is not None:
            where.append(t.c.id.in_([int(i) for i in ids]))
        with self.db.write() as conn:
            return conn.execute(t.update().where(*where).values(read_at=now)).rowcount
