"""The grade panel of a graded record: why it has its grade, and how that changed.

For each grading of the entity the page shows the grade (its level's label, colour and
strategy), the score, the explanation per dimension (value, points, weight, contribution,
read from the explanation stored with the grade), the override that moved the grade and
why, any manual grade in force, and the history of grade changes with their causes.

A dimension whose value formula reads a field hidden from the user shows its points but not
its value. The panel is left out when the grade or score field itself is hidden.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import format_decimal, lazy_gettext
from flask_babel import gettext as _

from ...metamodel.model import Entity, GradeLevel, Grading, Override
from ...overlay import revision_of_cause
from ...store.grade_history import GradeChange, grade_history, grade_state
from ..context import actor, hidden_fields, model, runtime, service, text
from ..display import COLORS
from .detail_access import may, user_names

#: Grade changes shown before "show older".
RECENT_CHANGES = 10

CAUSES = {
    "record_edit": lazy_gettext("Record edited"),
    "related_edit": lazy_gettext("A related record changed"),
    "bulk_regrade": lazy_gettext("Bulk re-grade"),
    "config_change": lazy_gettext("Scorecard changed"),
    "manual": lazy_gettext("Manual grade"),
    "override_expiry": lazy_gettext("Manual grade expired"),
    "daily_refresh": lazy_gettext("The date moved on"),
}


@dataclass(frozen=True, slots=True)
class Line:
    """One dimension of the explanation."""

    label: str
    value: float | None
    #: The value reads a field the user may not see.
    value_hidden: bool
    points: float
    weight: float
    #: The weight as a share of all weights, in percent.
    share: float
    contribution: float


@dataclass(frozen=True, slots=True)
class Manual:
    grade: str
    reason: str
    who: str
    at: dt.datetime | None
    #: The last day it holds (it ends when that day ends, in the app's time zone).
    last_day: dt.date | None


@dataclass(frozen=True, slots=True)
class ChangeLine:
    change: GradeChange
    who: str
    cause: str


@dataclass(frozen=True, slots=True)
class GradeForm:
    """What the user sent to the manual-grade form, and what was wrong with it."""

    grading: str
    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GradePanel:
    grading: Grading
    grade: str | None
    score: Any
    lines: tuple[Line, ...]
    #: The grade the score alone gives, when an override or a manual grade changed it.
    score_grade: str | None
    override: Override | None
    manual: Manual | None
    changes: tuple[ChangeLine, ...]
    may_update: bool
    form: GradeForm
    #: Colours of the grade field's options, for levels that name none themselves.
    option_colors: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def recent(self) -> tuple[ChangeLine, ...]:
        return self.changes[:RECENT_CHANGES]

    @property
    def older(self) -> tuple[ChangeLine, ...]:
        return self.changes[RECENT_CHANGES:]

    def level(self, grade: str | None) -> GradeLevel | None:
        return next((g for g in self.grading.grades if g.grade == grade), None)

    def color(self, grade: str | None) -> str:
        level = self.level(grade)
        color = level.color if level is not None and level.color else None
        color = color or self.option_colors.get(grade or "")
        return color if color in COLORS else "none"


def grade_panels(
    entity: Entity, record_id: int, values: Mapping[str, Any], form: GradeForm | None = None
) -> list[GradePanel]:
    hidden = hidden_fields(entity)
    gradings = [
        g
        for g in model().gradings_of(entity.name)
        if g.grade_field not in hidden and g.score_field not in hidden
    ]
    if not gradings:
        return []
    updatable = may("update", entity, record_id)
    return [_panel(entity, g, record_id, values, hidden, updatable, form) for g in gradings]


def _panel(
    entity: Entity,
    grading: Grading,
    record_id: int,
    values: Mapping[str, Any],
    hidden: frozenset[str],
    updatable: bool,
    form: GradeForm | None,
) -> GradePanel:
    state = grade_state(service(), grading.name, record_id, actor(), service().clock())
    changes = grade_history(service(), grading.name, record_id, actor())
    explanation = state.explanation or {}
    manual = state.manual
    names = user_names([c.user_id for c in changes] + [(manual or {}).get("user_id")])
    override_index = explanation.get("override")
    override = (
        grading.overrides[override_index]
        if isinstance(override_index, int) and 0 <= override_index < len(grading.overrides)
        else None
    )
    grade = values.get(grading.grade_field)
    score_grade = explanation.get("score_grade")
    return GradePanel(
        grading=grading,
        grade=grade,
        score=values.get(grading.score_field),
        lines=_lines(entity, grading, explanation, hidden),
        score_grade=score_grade if score_grade != grade else None,
        override=override,
        manual=None if manual is None else _manual(manual, names),
        changes=tuple(ChangeLine(c, _who(c.user_id, names), _cause_text(c.cause)) for c in changes),
        may_update=updatable,
        form=form if form is not None and form.grading == grading.name else GradeForm(""),
        option_colors={o.value: o.color for o in entity.fields[grading.grade_field].options},
    )


def _cause_text(cause: str) -> str:
    """Why a grade changed, for people: a published config revision is named with its message."""
    number = revision_of_cause(cause)
    if number is None:
        return str(CAUSES.get(cause, cause))
    try:
        message = runtime().site.revision(number).message
    except KeyError:  # a revision this site no longer has
        return _("Config revision %(number)s", number=number)
    return _("Config revision %(number)s: %(message)s", number=number, message=message)


def _lines(
    entity: Entity, grading: Grading, explanation: Mapping[str, Any], hidden: frozenset[str]
) -> tuple[Line, ...]:
    compiled = next(
        (c for c in service().rules[entity.name].gradings if c.grading.name == grading.name),
        None,
    )
    reads = {}
    if compiled is not None:
        reads = {
            d.name: formula.fields()
            for d, formula in zip(grading.dimensions, compiled.values, strict=True)
        }
    specs = {d.name: d for d in grading.dimensions}
    total = sum(d.weight for d in grading.dimensions) or 1.0
    lines = []
    for item in explanation.get("dimensions") or ():
        if not isinstance(item, Mapping):
            continue
        name = str(item.get("name"))
        spec = specs.get(name)
        weight = float(item.get("weight") or 0)
        lines.append(
            Line(
                label=text(spec.label, name) if spec is not None else name,
                value=item.get("value"),
                value_hidden=bool(reads.get(name, frozenset()) & hidden),
                points=float(item.get("points") or 0),
                weight=weight,
                share=round(weight * 100 / total, 1),
                contribution=float(item.get("contribution") or 0),
            )
        )
    return tuple(lines)


def _manual(row: Mapping[str, Any], names: Mapping[int, str]) -> Manual:
    return Manual(
        grade=str(row.get("grade")),
        reason=str(row.get("reason") or ""),
        who=_who(row.get("user_id"), names),
        at=row.get("at"),
        last_day=_last_day(row.get("expires_at")),
    )


def _last_day(expires_at: dt.datetime | None) -> dt.date | None:
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:  # SQLite hands back UTC without its zone
        expires_at = expires_at.replace(tzinfo=dt.UTC)
    local = expires_at.astimezone(ZoneInfo(runtime().settings.timezone))
    return (local - dt.timedelta(microseconds=1)).date()


def _who(user_id: int | None, names: Mapping[int, str]) -> str:
    if user_id is None:
        return _("System")
    return names.get(user_id, f"#{user_id}")


def number(value: Any) -> str:
    """A score, points or weight as people read it in the current locale."""
    return "" if value is None else format_decimal(value, format="#,##0.##")
