"""A grading as one SQL query, so bulk re-grading and what-if run inside the database.

`graded_select` builds three nested selects over the entity's table: the dimensions' values,
points, bands and the overrides' conditions; the score from the points; the grade, the override
that set it and the explanation in its stored form (`grade_explanation`: the inputs as a JSON
array, which `expand` reads exactly as `GradeResult.explanation()`). Its rounding and
thresholds take the same float steps as the Python form, so the two agree — the differential
tests hold them to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from ..store.tables import Tables
from .functions import SqlContext
from .grade_explanation import Layout
from .grading import ROUNDING_SLACK, SCORE_PLACES, CompiledGrading
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
    NULL), explanation (the stored form; NULL unless `explain`), `changed` (grade or score)
    and the explanation's items one by one (`item0`, …)."""
    spec = grading.grading
    table = tables[spec.entity]
    # 1. Values and override conditions, straight from the row. Materialized, so that the
    # database computes each value once per record: inlined, SQLite would recompute a value
    # wherever the points, score or explanation refer to it.
    level1: list[ColumnElement[Any]] = [
        table.c.id,
        table.c[spec.score_field].label("old_score"),
        table.c[spec.grade_field].label("old_grade"),
    ]
    for i, formula in enumerate(grading.values):
        value = to_sql(formula, grading.app, spec.entity, tables, grading.functions, ctx)
        level1.append(sa.type_coerce(value, sa.Float).label(f"v{i}"))
    for j, formula in enumerate(grading.conditions):
        condition = to_sql(formula, grading.app, spec.entity, tables, grading.functions, ctx)
        level1.append(condition.label(f"c{j}"))
    dims = sa.select(*level1).where(*where).cte("dims").prefix_with("MATERIALIZED")

    # 2. Points (each used once: in the score), bands and the score. Materialized too: the
    # grade and the explanation refer to the score several times.
    weights = [d.weight / grading.total_weight for d in spec.dimensions]
    total: ColumnElement[Any] = sa.literal(0.0, sa.Float)
    bands: list[ColumnElement[Any]] = []
    for i, (dimension, weight) in enumerate(zip(spec.dimensions, weights, strict=True)):
        value = dims.c[f"v{i}"]
        if dimension.bands:
            points = _band_points(value, dimension.bands)
            bands.append(_band_index(value, dimension.bands).label(f"b{i}"))
        else:
            points = _direct(ctx, value)
        total = total + points * sa.literal(weight, sa.Float)
    scored = (
        sa.select(dims, *bands, round_score_sql(total).label("score"))
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
    items: list[ColumnElement[Any]] = [sa.cast(sa.literal(Layout.of(spec).key), sa.String)]
    for i, dimension in enumerate(spec.dimensions):
        items.append(scored.c[f"v{i}"])
        if dimension.bands:
            items.append(scored.c[f"b{i}"])
    items.append(moved)
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
        (_json_array(ctx, items) if explain else sa.null()).label("explanation"),
        changed.label("changed"),
        *(item.label(f"item{k}") for k, item in enumerate(items)),
    ).cte("graded")


def same_explanation(
    ctx: SqlContext, grading: CompiledGrading, stored: ColumnElement[Any], graded: sa.CTE
) -> ColumnElement[Any]:
    """Whether a stored explanation (a JSON column) has the inputs of `graded`'s.

    PostgreSQL compares JSONB by value. SQLite compares text: equal when both were written by
    SQL; otherwise (written in Python: 10000000.0 where SQLite writes 10000000) item by item.
    """
    if ctx.dialect == "postgresql":
        return stored == sa.cast(graded.c.explanation, JSONB)
    items = [graded.c[f"item{k}"] for k in range(Layout.of(grading.grading).size)]
    return sa.or_(
        stored == graded.c.explanation,
        sa.and_(
            sa.func.json_array_length(stored) == len(items),
            *(sa.func.json_extract(stored, f"$[{k}]").is_(item) for k, item in enumerate(items)),
        ),
    )


def _band_points(value: ColumnElement[Any], bands: Sequence[Any]) -> ColumnElement[Any]:
    whens = []
    for band in bands:
        points = sa.literal(float(band.points), sa.Float)
        if band.min is None:
            return sa.case(*whens, else_=points) if whens else points
        whens.append((value >= band.min, points))
    return sa.case(*whens, else_=sa.literal(0.0, sa.Float))


def _band_index(value: ColumnElement[Any], bands: Sequence[Any]) -> ColumnElement[Any]:
    """`grading.band_index` in SQL."""
    whens = []
    for index, band in enumerate(bands):
        if band.min is None:
            return sa.case(*whens, else_=sa.literal(index)) if whens else sa.literal(index)
        whens.append((value >= band.min, sa.literal(index)))
    return sa.case(*whens, else_=sa.null())


def _direct(ctx: SqlContext, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """`grading.direct_points` in SQL, naming the value once."""
    if ctx.dialect == "postgresql":
        greatest, least = sa.func.greatest, sa.func.least
    else:
        greatest, least = sa.func.max, sa.func.min  # with several arguments: scalar functions
    zero, hundred = sa.literal(0.0, sa.Float), sa.literal(100.0, sa.Float)
    clamped = greatest(zero, least(hundred, sa.func.coalesce(value, zero)))
    return sa.type_coerce(clamped, sa.Float)


def _json_array(ctx: SqlContext, items: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
    function = sa.func.json_build_array if ctx.dialect == "postgresql" else sa.func.json_array
    return sa.type_coerce(function(*items), sa.JSON)
