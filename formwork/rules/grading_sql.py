"""A grading as one SQL query, so bulk re-grading and what-if run inside the database.

`graded_select` builds three nested selects over the entity's table: the dimensions' values,
points and the overrides' conditions; the score from the points; the grade, the override that
set it and the explanation (as JSON, shaped exactly as `GradeResult.explanation()`). Its
rounding and thresholds take the same float steps as the Python form, so the two agree — the
differential tests hold them to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ..store.tables import Tables
from .functions import SqlContext
from .grading import EXPLANATION_PLACES, ROUNDING_SLACK, SCORE_PLACES, CompiledGrading
from .sqlcompile import to_sql


def round_score_sql(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """Half up to two places, with the slack of `round_score` (scores are never negative)."""
    scale = 10**SCORE_PLACES
    return sa.cast(sa.func.floor(value * scale + 0.5 + ROUNDING_SLACK), sa.Float) / scale


def graded_select(
    grading: CompiledGrading,
    tables: Tables,
    ctx: SqlContext,
    where: Sequence[ColumnElement[Any]] = (),
    explain: bool = True,
) -> sa.CTE:
    """Per record: id, old_score, old_grade, score, base_grade, grade, override (index or
    NULL), explanation (JSON; NULL unless `explain`, it is the costly part) and `changed`."""
    spec = grading.grading
    table = tables[spec.entity]
    # 1. Values, points and override conditions, straight from the row.
    level1: list[ColumnElement[Any]] = [
        table.c.id,
        table.c[spec.score_field].label("old_score"),
        table.c[spec.grade_field].label("old_grade"),
    ]
    for i, (dimension, formula) in enumerate(zip(spec.dimensions, grading.values, strict=True)):
        value = to_sql(formula, grading.app, spec.entity, tables, grading.functions, ctx)
        points = _band_points(value, dimension.bands) if dimension.bands else _direct(value)
        level1 += [sa.type_coerce(value, sa.Float).label(f"v{i}"), points.label(f"p{i}")]
    for j, formula in enumerate(grading.conditions):
        condition = to_sql(formula, grading.app, spec.entity, tables, grading.functions, ctx)
        level1.append(condition.label(f"c{j}"))
    # Materialized, so that the database computes each dimension once per record: inlined,
    # SQLite would recompute a value wherever the score, grade or explanation refers to it.
    dims = sa.select(*level1).where(*where).cte("dims").prefix_with("MATERIALIZED")

    # 2. The score.
    weights = [d.weight / grading.total_weight for d in spec.dimensions]
    total = sum(
        (dims.c[f"p{i}"] * sa.literal(w, sa.Float) for i, w in enumerate(weights)),
        start=sa.literal(0.0, sa.Float),
    )
    scored = (
        sa.select(dims, round_score_sql(total).label("score"))
        .cte("scored")
        .prefix_with("MATERIALIZED")
    )

    # 3. Grade, override and explanation.
    score = scored.c.score
    levels = spec.grades
    base: ColumnElement[Any] = sa.case(
        *(
            (score >= level.min_score, sa.literal(level.grade))
            for level in levels
            if level.min_score is not None
        ),
        else_=sa.literal(levels[-1].grade),
    )
    grade, moved = base, sa.null()
    for j, override in enumerate(spec.overrides):
        changes = sa.and_(
            scored.c[f"c{j}"], grade.in_(grading.moved_grades(override.kind, override.grade))
        )
        grade, moved = (
            sa.case((changes, sa.literal(override.grade)), else_=grade),
            sa.case((changes, sa.literal(j)), else_=moved),
        )
    dimensions = [
        _json_object(
            ctx,
            name=sa.literal(d.name),
            value=_tidy(ctx, scored.c[f"v{i}"]),
            points=_tidy(ctx, scored.c[f"p{i}"]),
            weight=sa.literal(d.weight, sa.Float),
            contribution=round_score_sql(scored.c[f"p{i}"] * sa.literal(weights[i], sa.Float)),
        )
        for i, d in enumerate(spec.dimensions)
    ]
    explanation = _json_object(
        ctx,
        score=score,
        grade=grade,
        score_grade=base,
        override=moved,
        dimensions=_json_array(ctx, dimensions),
    )
    changed = sa.or_(
        scored.c.old_grade.is_distinct_from(grade),
        sa.cast(scored.c.old_score, sa.Float).is_distinct_from(score),
    )
    return sa.select(
        scored.c.id,
        scored.c.old_score,
        scored.c.old_grade,
        score.label("score"),
        base.label("base_grade"),
        grade.label("grade"),
        moved.label("override"),
        (explanation if explain else sa.null()).label("explanation"),
        changed.label("changed"),
    ).cte("graded")


def _tidy(ctx: SqlContext, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """`grading.tidy` in SQL."""
    if ctx.dialect == "postgresql":
        rounded = sa.func.round(sa.cast(value, sa.Numeric), EXPLANATION_PLACES)
        return sa.cast(rounded, sa.Float)
    return sa.func.round(value, EXPLANATION_PLACES)


def _band_points(value: ColumnElement[Any], bands: Sequence[Any]) -> ColumnElement[Any]:
    whens = []
    for band in bands:
        points = sa.literal(float(band.points), sa.Float)
        if band.min is None:
            return sa.case(*whens, else_=points) if whens else points
        whens.append((value >= band.min, points))
    return sa.case(*whens, else_=sa.literal(0.0, sa.Float))


def _direct(value: ColumnElement[Any]) -> ColumnElement[Any]:
    return sa.case(
        (value.is_(None), 0.0),
        (value < 0, 0.0),
        (value > 100, 100.0),
        else_=sa.cast(value, sa.Float),
    )


def _json_object(ctx: SqlContext, **members: ColumnElement[Any]) -> ColumnElement[Any]:
    args: list[Any] = []
    for key, value in members.items():
        args += [sa.literal(key), value]
    function = sa.func.json_build_object if ctx.dialect == "postgresql" else sa.func.json_object
    return sa.type_coerce(function(*args), sa.JSON)


def _json_array(ctx: SqlContext, items: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
    function = sa.func.json_build_array if ctx.dialect == "postgresql" else sa.func.json_array
    return function(*items)
