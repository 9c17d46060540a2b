"""What the signed-in user may do with one record, for the buttons and forms of its page.

`can` (in `context`) answers for an entity as a whole; a page offering Edit or Delete on one
record must also honour the row scope (a role may read every record but change only its
own). The record service checks again on every write: these only decide what is offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ...metamodel.model import Entity
from ...store.actor import Action
from ...store.records import Record
from ...store.system import USER_TABLE
from ..context import actor, can, hidden_fields, service


def may(action: Action, entity: Entity, record_id: int) -> bool:
    """Whether the signed-in user may `action` this record: their roles and its row scope."""
    if not can(action, entity):
        return False
    scope = service().policy.row_filter(actor(), action, entity)
    if scope is None:
        return True
    table = service().tables[entity.name]
    with service().db.read() as conn:
        found = conn.execute(sa.select(table.c.id).where(table.c.id == record_id, scope))
        return found.first() is not None


def title_of(entity: Entity, record: Record) -> str:
    """The record's title as this user may see it ("#12" when it has none or it is hidden)."""
    if record.title and entity.title_field not in hidden_fields(entity):
        return record.title
    return f"#{record.id}"


def user_names(ids: Any) -> Mapping[int, str]:
    """Display names of the users with these ids (people are named to everyone signed in,
    as the titles of links to users are)."""
    wanted = {i for i in ids if isinstance(i, int)}
    if not wanted:
        return {}
    users = service().tables.system(USER_TABLE)
    query = sa.select(users.c.id, users.c.display_name).where(users.c.id.in_(wanted))
    with service().db.read() as conn:
        return {row.id: row.display_name for row in conn.execute(query)}
