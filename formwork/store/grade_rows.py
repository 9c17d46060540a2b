"""How grades are kept: history rows in fw_grade, the layouts their explanations are read with.

A history row's explanation is stored compactly (`rules.grade_explanation`); the layout of the
grading version it was written with is stored once in fw_grade_layout, before the first row
that needs it. The newest row of a record explains its current grade: writes add a row whenever
the grade, the score or the explanation changes, so it never goes stale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..rules.grade_explanation import Layout, expand, layout_key, same_inputs
from .system import GRADE_LAYOUT_TABLE, GRADE_TABLE
from .tables import Tables

#: Layouts by key: a key is a hash of the content, so what it names never changes.
_layouts: dict[str, Layout] = {}


@dataclass(frozen=True, slots=True)
class NewestGrade:
    """A record's newest history row: its grade, score and stored explanation."""

    grade: str | None
    score: float | None
    explanation: Any


def store_layout(conn: Connection, tables: Tables, layout: Layout, now: dt.datetime) -> None:
    """Keep `layout` (once: a layout already stored is left alone)."""
    table = tables.system(GRADE_LAYOUT_TABLE)
    row = {"key": layout.key, "grading": layout.grading, "layout": layout.to_json(), "at": now}
    dialect = conn.dialect.name
    if dialect == "postgresql":
        insert: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        insert = sqlite.insert(table)
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(dialect)
    conn.execute(insert.values(row).on_conflict_do_nothing(index_elements=["key"]))
    _layouts.setdefault(layout.key, layout)


#: The columns of a history row (`history_row`).
HISTORY_COLUMNS = (
    "grading",
    "entity",
    "record_id",
    "at",
    "user_id",
    "old_grade",
    "new_grade",
    "old_score",
    "new_score",
    "cause",
    "explanation",
)


def history_row(
    newest: NewestGrade | None,
    grading: str,
    entity: str,
    record_id: int,
    stored: Any,
    fields: tuple[str, str],
    new: tuple[str, float, Any],
    written: tuple[dt.datetime, int | None, str],
) -> dict[str, Any] | None:
    """The grade-history row a new grade calls for, or None when the newest row says the same.

    `stored` is the record as it was, `fields` its (score, grade) fields, `new` the (grade,
    score, compact explanation) and `written` the (time, user, cause) of the change."""
    grade, score, explanation = new
    if (
        newest is not None
        and (newest.grade, newest.score) == (grade, score)
        and same_inputs(newest.explanation, explanation)
    ):
        return None
    score_field, grade_field = fields
    old_score = stored.get(score_field)
    at, user_id, cause = written
    return {
        "grading": grading,
        "entity": entity,
        "record_id": record_id,
        "at": at,
        "user_id": user_id,
        "old_grade": stored.get(grade_field),
        "new_grade": grade,
        "old_score": None if old_score is None else float(old_score),
        "new_score": score,
        "cause": cause,
        "explanation": explanation,
    }


def newest_row(
    conn: Connection, tables: Tables, grading: str, entity: str, record_id: int
) -> NewestGrade | None:
    history = tables.system(GRADE_TABLE)
    row = conn.execute(
        sa.select(history.c.new_grade, history.c.new_score, history.c.explanation)
        .where(
            history.c.grading == grading,
            history.c.entity == entity,
            history.c.record_id == record_id,
        )
        .order_by(history.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else NewestGrade(*row)


def latest_explanation(
    conn: Connection, tables: Tables, grading: str, entity: str, record_id: int
) -> dict[str, Any] | None:
    """The explanation of a record's current grade (its newest history row's), in full."""
    newest = newest_row(conn, tables, grading, entity, record_id)
    if newest is None:
        return None
    return explanation_of(conn, tables, newest.explanation, newest.score, newest.grade)


def explanation_of(
    conn: Connection, tables: Tables, stored: Any, score: float | None, grade: str | None
) -> dict[str, Any]:
    """A stored explanation in full, with its row's new score and grade."""
    key = layout_key(stored)
    layout = None if key is None else load_layout(conn, tables, key)
    return expand(stored, layout, 0.0 if score is None else score, grade or "")


def load_layout(conn: Connection, tables: Tables, key: str) -> Layout:
    layout = _layouts.get(key)
    if layout is None:
        table = tables.system(GRADE_LAYOUT_TABLE)
        data = conn.execute(sa.select(table.c.layout).where(table.c.key == key)).scalar_one()
        layout = _layouts.setdefault(key, Layout.from_json(data))
    return layout
