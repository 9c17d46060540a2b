"""Manual grades: a person sets a record's grade, with a reason and an optional expiry.

The manual grade wins over the scorecard until it is cleared or expires; the score is still
computed, and the explanation shows both (`manual`: grade, reason, who, when, until). Every
change goes into the grade history with the cause `manual` or `override_expiry`.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..rules.grading import CompiledGrading
from .actor import actor_id
from .errors import NotFound, ValidationFailed, message
from .records import RecordService, User, record_id
from .system import GRADE_OVERRIDE_TABLE

MAX_REASON = 2000


def _grading(service: RecordService, entity: str, grading: str) -> CompiledGrading:
    for compiled in service.rules[entity].gradings if entity in service.app.entities else ():
        if compiled.grading.name == grading:
            return compiled
    raise ValidationFailed.one("grading", message("no_grading", grading=grading, entity=entity))


def set_manual_grade(
    service: RecordService,
    entity: str,
    id: int,
    grading: str,
    grade: str,
    reason: str,
    user: User = None,
    expires_at: dt.datetime | None = None,
) -> None:
    """Give a record a grade by hand; ValidationFailed for a bad grade, reason or expiry."""
    compiled = _grading(service, entity, grading)
    id = record_id(entity, id)
    now = service.clock()
    errors: dict[str, list[str]] = {}
    if grade not in [level.grade for level in compiled.grading.grades]:
        errors["grade"] = [message("not_a_grade", grading=grading)]
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = [message("reason_needed")]
    elif len(reason) > MAX_REASON:
        errors["reason"] = [message("too_long", max=MAX_REASON)]
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= now):
        errors["expires_at"] = [message("expiry_in_past")]
    if errors:
        raise ValidationFailed(errors)
    service.policy.check(user, "update", service.app.entity(entity))
    table = service.tables.system(GRADE_OVERRIDE_TABLE)
    key = {"grading": grading, "entity": entity, "record_id": id}
    with service.db.write() as conn:
        _require(service, conn, entity, id, user)
        conn.execute(table.delete().where(*(table.c[k] == v for k, v in key.items())))
        conn.execute(
            table.insert(),
            {
                **key,
                "grade": grade,
                "reason": reason.strip(),
                "user_id": actor_id(user),
                "at": now,
                "expires_at": expires_at,
            },
        )
        _regrade(service, conn, entity, id, actor_id(user), now, "manual")


def clear_manual_grade(
    service: RecordService, entity: str, id: int, grading: str, user: User = None
) -> None:
    """Hand the grade back to the scorecard."""
    _grading(service, entity, grading)
    id = record_id(entity, id)
    service.policy.check(user, "update", service.app.entity(entity))
    table = service.tables.system(GRADE_OVERRIDE_TABLE)
    now = service.clock()
    with service.db.write() as conn:
        _require(service, conn, entity, id, user)
        conn.execute(
            table.delete().where(
                table.c.grading == grading, table.c.entity == entity, table.c.record_id == id
            )
        )
        _regrade(service, conn, entity, id, actor_id(user), now, "manual")


def expire_manual_grades(service: RecordService, now: dt.datetime | None = None) -> int:
    """Remove expired manual grades and re-grade their records; returns how many expired."""
    now = now or service.clock()
    table = service.tables.system(GRADE_OVERRIDE_TABLE)
    with service.db.write() as conn:
        expired = conn.execute(
            sa.select(table.c.entity, table.c.record_id).where(table.c.expires_at <= now)
        ).all()
        conn.execute(table.delete().where(table.c.expires_at <= now))
        for entity, rid in expired:
            _regrade(service, conn, entity, int(rid), None, now, "override_expiry")
    return len(expired)


def _require(service: RecordService, conn: sa.Connection, entity: str, id: int, user: User) -> None:
    """NotFound unless the record exists and is in the user's update scope (Forbidden when
    they may only read it), exactly as for an update of the record itself."""
    table = service.tables[entity]
    if conn.execute(sa.select(table.c.id).where(table.c.id == id)).first() is None:
        raise NotFound(entity, id)
    service._in_scope(conn, service.app.entity(entity), id, user, "update")


def _regrade(
    service: RecordService,
    conn: sa.Connection,
    entity: str,
    id: int,
    user_id: int | None,
    now: dt.datetime,
    cause: str,
) -> None:
    ctx = service.runner.context(conn, now)
    service.runner.recompute(ctx, service.app.entity(entity), id, user_id, now, cause)
