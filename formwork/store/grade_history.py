"""Reading a record's grades for people: the current explanation and the history of changes.

Pages and the API call these rather than reading fw_grade themselves, so how grade rows are
kept can change without touching them. Both check that the user may read the record first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .actor import Actor
from .grade_rows import latest_explanation
from .record_rules import active_override
from .records import RecordService
from .system import GRADE_TABLE

MAX_HISTORY = 200


@dataclass(frozen=True, slots=True)
class GradeChange:
    """One change of a record's grade or score, newest first in a history."""

    at: dt.datetime
    user_id: int | None
    old_grade: str | None
    new_grade: str | None
    old_score: float | None
    new_score: float | None
    #: record_edit, related_edit, bulk_regrade, config_change, manual, override_expiry
    cause: str


@dataclass(frozen=True, slots=True)
class GradeState:
    """Why a record has its grade now: the explanation and any manual grade in force."""

    grading: str
    explanation: dict[str, Any] | None
    manual: dict[str, Any] | None


def grade_state(
    service: RecordService, grading: str, id: int, user: Actor | None, now: dt.datetime
) -> GradeState:
    spec = service.app.gradings[grading]
    service.get(spec.entity, id, user)  # NotFound / Forbidden unless the user may read it
    with service.db.read() as conn:
        explanation = latest_explanation(conn, service.tables, grading, spec.entity, id)
        manual = active_override(conn, service.tables, grading, spec.entity, id, now)
    return GradeState(grading, explanation, manual)


def grade_history(
    service: RecordService, grading: str, id: int, user: Actor | None, limit: int = MAX_HISTORY
) -> list[GradeChange]:
    """The record's grade changes, newest first (at most `limit`)."""
    spec = service.app.gradings[grading]
    service.get(spec.entity, id, user)
    table = service.tables.system(GRADE_TABLE)
    query = (
        sa.select(
            table.c.at,
            table.c.user_id,
            table.c.old_grade,
            table.c.new_grade,
            table.c.old_score,
            table.c.new_score,
            table.c.cause,
        )
        .where(
            table.c.grading == grading,
            table.c.entity == spec.entity,
            table.c.record_id == id,
        )
        .order_by(table.c.id.desc())
        .limit(limit)
    )
    with service.db.read() as conn:
        return [GradeChange(**row) for row in conn.execute(query).mappings()]
