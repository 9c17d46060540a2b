"""The people flows deal with: active users, found by id, username or role.

Read straight from `fw_user` on the caller's connection (so inside an action's transaction);
the flow engine must not depend on the web's user store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..store.system import USER_TABLE
from ..store.tables import Tables


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    active: bool


class People:
    def __init__(self, tables: Tables) -> None:
        self.table = tables.system(USER_TABLE)

    def _select(self) -> sa.Select:
        t = self.table
        return sa.select(t.c.id, t.c.username, t.c.display_name, t.c.roles, t.c.active)

    def by_ids(self, conn: Connection, ids: Iterable[int | None]) -> dict[int, Person]:
        wanted = {int(i) for i in ids if i is not None}
        if not wanted:
            return {}
        rows = conn.execute(self._select().where(self.table.c.id.in_(sorted(wanted))))
        return {row.id: _person(row) for row in rows}

    def active(self, conn: Connection, user_id: int) -> Person | None:
        person = self.by_ids(conn, [user_id]).get(user_id)
        return person if person is not None and person.active else None

    def by_username(self, conn: Connection, username: str) -> Person | None:
        row = conn.execute(self._select().where(self.table.c.username == username)).first()
        return _person(row) if row is not None and row.active else None

    def with_role(self, conn: Connection, role: str) -> list[Person]:
        """Active users holding `role`, by id (roles are a JSON list: filtered here)."""
        rows = conn.execute(
            self._select().where(self.table.c.active.is_(True)).order_by(self.table.c.id)
        )
        return [_person(row) for row in rows if role in (row.roles or ())]


def _person(row: sa.Row) -> Person:
    return Person(row.id, row.username, row.display_name, tuple(row.roles or ()), bool(row.active))
