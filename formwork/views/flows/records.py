"""The records approval pages point at: their titles, links and the active people to hand a
task to.

Approvers see what they decide (docs/flows.md), so a title is shown to anyone the flow shows
the record to — unless the user's role hides the title field, when it is "#id" as on every
other page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from flask import url_for

from ...store.actor import Actor
from ...store.system import USER_TABLE
from ..context import actor, entity_label, model, runtime, service


def titles(keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """Titles by (entity, id), one query per entity; absent where there is none to show."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entity, id in keys:
        wanted[entity].add(id)
    found: dict[tuple[str, int], str] = {}
    with runtime().db.read() as conn:
        for name, ids in wanted.items():
            entity = model().entities.get(name)
            title = entity.title_field if entity else None
            if entity is None or not title or title in service().policy.hidden(actor(), entity):
                continue
            table = service().tables[name]
            rows = conn.execute(sa.select(table.c.id, table.c[title]).where(table.c.id.in_(ids)))
            found.update({(name, row[0]): str(row[1]) for row in rows if row[1] is not None})
    return found


def describe(entity: str, id: int, title: str | None) -> str:
    """A record as a sentence names it: "Order Tower A fit-out" or "Order #12"."""
    ent = model().entities.get(entity)
    label = entity_label(ent) if ent is not None else entity
    return f"{label} {title or f'#{id}'}"


def record_url(entity: str, id: int) -> str:
    return url_for("records.detail", entity=entity, id=id)


def people_except(user: Actor, also: int | None = None) -> list[tuple[int, str]]:
    """Active users other than `user` (and `also`), by name: whom a task can be handed to."""
    users = service().tables.system(USER_TABLE)
    query = (
        sa.select(users.c.id, users.c.display_name)
        .where(users.c.active.is_(True), users.c.id.not_in([user.id, also or user.id]))
        .order_by(users.c.display_name, users.c.id)
    )
    with runtime().db.read() as conn:
        return [(row.id, row.display_name) for row in conn.execute(query)]
