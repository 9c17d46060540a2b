"""Reading and writing the stored overlay: the draft and the numbered revisions.

Patches are stored as JSON objects `{op, path, value, base}` (`base` left out when the patch
was made where the package had no value). The tables may not exist yet (a database never
migrated): reads then find no revision and no draft.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .patches import Overlay, Patch
from .paths import MISSING
from .tables import DRAFT_KEY, DRAFT_TABLE, REVISION_TABLE, add_overlay_tables

_metadata = sa.MetaData()
add_overlay_tables(_metadata)
REVISIONS = _metadata.tables[REVISION_TABLE]
DRAFTS = _metadata.tables[DRAFT_TABLE]


@dataclass(frozen=True)
class Revision:
    """One published overlay."""

    number: int
    #: The author's username.
    author: str | None
    created_at: dt.datetime
    message: str
    overlay: Overlay
    #: What changed against the previous revision (dropped patches appear as op "reset").
    diff: tuple[Patch, ...]


@dataclass(frozen=True)
class Draft:
    overlay: Overlay
    author: str | None
    updated_at: dt.datetime
    #: The active revision when the draft was saved.
    based_on: int | None


def patches_to_json(patches: tuple[Patch, ...]) -> list[dict[str, Any]]:
    out = []
    for patch in patches:
        item: dict[str, Any] = {"op": patch.op, "path": patch.path}
        if patch.op == "set":
            item["value"] = patch.value
        if patch.base is not MISSING:
            item["base"] = patch.base
        out.append(item)
    return out


def patches_from_json(items: list[dict[str, Any]]) -> tuple[Patch, ...]:
    return tuple(
        Patch(item["op"], item["path"], item.get("value"), item.get("base", MISSING))
        for item in items
    )


def tables_exist(conn: Connection) -> bool:
    return sa.inspect(conn).has_table(REVISION_TABLE)


def active_number(conn: Connection) -> int | None:
    """The number of the active (newest) revision; None when there is none (or no table)."""
    if not tables_exist(conn):
        return None
    return conn.execute(sa.select(sa.func.max(REVISIONS.c.number))).scalar()


def read_revision(conn: Connection, number: int | None = None) -> Revision | None:
    """Revision `number`, or the active one; None when there is no such revision."""
    if not tables_exist(conn):
        return None
    query = sa.select(REVISIONS)
    if number is None:
        query = query.order_by(REVISIONS.c.number.desc()).limit(1)
    else:
        query = query.where(REVISIONS.c.number == number)
    row = conn.execute(query).mappings().first()
    return None if row is None else _revision(row)


def read_revisions(conn: Connection) -> list[Revision]:
    if not tables_exist(conn):
        return []
    rows = conn.execute(sa.select(REVISIONS).order_by(REVISIONS.c.number.desc())).mappings()
    return [_revision(row) for row in rows]


def insert_revision(conn: Connection, revision: Revision) -> None:
    conn.execute(
        REVISIONS.insert().values(
            number=revision.number,
            author=revision.author,
            created_at=revision.created_at,
            message=revision.message,
            overlay=patches_to_json(revision.overlay.patches),
            diff=patches_to_json(revision.diff),
        )
    )


def read_draft(conn: Connection) -> Draft | None:
    if not tables_exist(conn):
        return None
    row = conn.execute(sa.select(DRAFTS).where(DRAFTS.c.key == DRAFT_KEY)).mappings().first()
    if row is None:
        return None
    return Draft(
        Overlay(patches_from_json(row["overlay"])),
        row["author"],
        row["updated_at"],
        row["based_on"],
    )


def write_draft(conn: Connection, draft: Draft) -> None:
    clear_draft(conn)
    conn.execute(
        DRAFTS.insert().values(
            key=DRAFT_KEY,
            overlay=patches_to_json(draft.overlay.patches),
            author=draft.author,
            updated_at=draft.updated_at,
            based_on=draft.based_on,
        )
    )


def clear_draft(conn: Connection) -> None:
    conn.execute(DRAFTS.delete().where(DRAFTS.c.key == DRAFT_KEY))


def _revision(row: Any) -> Revision:
    return Revision(
        number=row["number"],
        author=row["author"],
        created_at=row["created_at"],
        message=row["message"],
        overlay=Overlay(patches_from_json(row["overlay"])),
        diff=patches_from_json(row["diff"]),
    )
