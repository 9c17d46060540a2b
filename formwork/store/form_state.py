"""What a record being edited looks like right now: its conditional fields and derived values.

A form shows and hides fields (`visible_when`), marks them required (`required_when`) or locks
them (`readonly_when`) as the user types, and previews computed fields and grades before
anything is saved. `evaluate` answers all of that for a set of values that need not be valid
yet: it runs the entity's compiled rules (the same `RuleBook` the record service runs on each
write) on a formula view of the values, reading linked and related records on a read-only
connection. Nothing is written. `typed_values` turns raw input into the values formulas
expect, leniently: what cannot be read yet counts as empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from ..metamodel.model import Entity
from ..rules.rulebook import formula_view
from .formula_context import StoreContext
from .input_schema import is_empty
from .record_rules import active_override, to_column
from .records import RecordService


@dataclass(frozen=True, slots=True)
class GradePreview:
    """The score and grade a grading gives the values (`manual`: a manual grade holds)."""

    grading: str
    score: float
    grade: str
    score_grade: str
    manual: bool = False


@dataclass(frozen=True)
class FormState:
    """Which fields are hidden, required and locked now, and the derived values."""

    hidden: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()
    readonly: frozenset[str] = frozenset()
    #: Computed fields, and the score and grade fields of gradings, as columns hold them.
    computed: Mapping[str, Any] = field(default_factory=dict)
    grades: tuple[GradePreview, ...] = ()


def typed_values(entity: Entity, data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` converted by each field's input field; values that do not convert are None.

    Only fields formulas can read are kept (child tables and files are not)."""
    values: dict[str, Any] = {}
    for name, raw in data.items():
        f = entity.fields.get(name)
        if f is None or f.kind.value_type is None:
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            values[name] = None
            continue
        try:
            value = f.kind.input_field(f).deserialize(raw)
        except (ma.ValidationError, TypeError, ValueError):
            value = None
        values[name] = None if is_empty(value) else value
    return values


def evaluate(
    service: RecordService,
    entity: Entity,
    values: Mapping[str, Any],
    record_id: int | None = None,
) -> FormState:
    """The state of a record of `entity` holding `values` (typed, see `typed_values`).

    For a stored record (`record_id`), fields missing from `values` keep their stored value."""
    rules = service.rules[entity.name]
    with service.db.read() as conn:
        current = dict(_stored(service, conn, entity, record_id))
        current.update(values)
        now = service.clock()
        ctx = StoreContext(conn, service.app, service.tables, now.date())
        view = formula_view(entity, current, record_id)
        hidden = frozenset(n for n, rule in rules.visible.items() if not rule.run(view, ctx))
        required = {f.name for f in entity.fields.values() if f.required and f.writable}
        required |= {n for n, rule in rules.required.items() if rule.run(view, ctx)}
        readonly = frozenset(n for n, rule in rules.readonly.items() if rule.run(view, ctx))
        computed: dict[str, Any] = {}
        for f, rule in rules.computed:
            computed[f.name] = to_column(f, rule.run(view, ctx))
            view[f.name] = _formula_value(computed[f.name])
        grades = []
        for grading in rules.gradings:
            result = grading.evaluate(view, ctx)
            spec = grading.grading
            manual = None
            if record_id is not None:
                manual = active_override(
                    conn, service.tables, spec.name, entity.name, record_id, now
                )
            grade = result.grade if manual is None else manual["grade"]
            grades.append(
                GradePreview(spec.name, result.score, grade, result.score_grade, manual is not None)
            )
            computed[spec.score_field] = to_column(entity.fields[spec.score_field], result.score)
            computed[spec.grade_field] = grade
    return FormState(
        hidden=hidden,
        required=frozenset(required) - hidden,
        readonly=readonly,
        computed=computed,
        grades=tuple(grades),
    )


def _stored(
    service: RecordService, conn: sa.Connection, entity: Entity, record_id: int | None
) -> Mapping[str, Any]:
    if record_id is None:
        return {}
    table = service.tables[entity.name]
    row = conn.execute(sa.select(table).where(table.c.id == record_id)).mappings().first()
    if row is None:
        return {}
    return {f.name: row[f.name] for f in entity.stored_fields()}


def _formula_value(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value
