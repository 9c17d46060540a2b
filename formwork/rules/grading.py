"""Scorecards at run time: a record's score, grade and the explanation of both.

Each dimension's value formula gives a number; bands turn it into points (first band whose
`min` the value reaches), or the value is the points itself (clamped to 0–100). The score is
the weighted average of the points, rounded to two places *before* the thresholds are applied,
so the grade always agrees with the score people see. Overrides then move the grade
(`at_least`, `at_most`, `set`), in order, each only when its condition holds.

The same scorecard compiles to SQL (`score_sql`, `grade_sql`) so bulk re-grading runs in the
database; the differential tests hold the two forms to the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ..metamodel.model import App, Band, Grading
from ..store.tables import Tables
from .checker import CheckedFormula, check
from .functions import FunctionRegistry, SqlContext
from .ir import BOOL, NUMBER
from .pycompile import CompiledFormula, EvalContext, compile_formula
from .scope import Scope
from .sqlcompile import to_sql

SCORE_PLACES = 2


@dataclass(frozen=True, slots=True)
class DimensionResult:
    name: str
    value: float | None
    points: float
    weight: float
    contribution: float


@dataclass(frozen=True, slots=True)
class GradeResult:
    score: float
    grade: str
    #: The grade the score alone gives, before overrides.
    score_grade: str
    dimensions: tuple[DimensionResult, ...]
    #: Index of the override that set the final grade, if one did.
    override: int | None = None

    def explanation(self) -> dict[str, Any]:
        """A JSON-safe account of the result, stored with the grade."""
        return {
            "score": self.score,
            "grade": self.grade,
            "score_grade": self.score_grade,
            "override": self.override,
            "dimensions": [
                {
                    "name": d.name,
                    "value": d.value,
                    "points": d.points,
                    "weight": d.weight,
                    "contribution": d.contribution,
                }
                for d in self.dimensions
            ],
        }


def round_score(value: float) -> float:
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-SCORE_PLACES), ROUND_HALF_UP))


def band_points(value: float | None, bands: tuple[Band, ...]) -> float:
    """Points of the first band whose min the value reaches (empty meets only a catch-all)."""
    for band in bands:
        if band.min is None or (value is not None and value >= band.min):
            return band.points
    return 0.0


def direct_points(value: float | None) -> float:
    if value is None:
        return 0.0
    return max(0.0, min(100.0, float(value)))


class CompiledGrading:
    """A grading ready to evaluate records, in Python or as SQL."""

    def __init__(self, app: App, grading: Grading, functions: FunctionRegistry) -> None:
        self.app = app
        self.grading = grading
        self.functions = functions
        self.scope = Scope(app, grading.entity, functions)
        self.values: list[CheckedFormula] = [
            check(d.value, self.scope, expect=NUMBER) for d in grading.dimensions
        ]
        self.conditions: list[CheckedFormula] = [
            check(o.when, self.scope, expect=BOOL) for o in grading.overrides
        ]
        self._value_fns: list[CompiledFormula] = [
            compile_formula(f, functions) for f in self.values
        ]
        self._condition_fns: list[CompiledFormula] = [
            compile_formula(f, functions) for f in self.conditions
        ]
        self.total_weight = sum(d.weight for d in grading.dimensions) or 1.0

    # -- Python -----------------------------------------------------------------------------
    def evaluate(self, record: Mapping[str, Any], ctx: EvalContext) -> GradeResult:
        results = []
        total = 0.0
        for dimension, value_fn in zip(self.grading.dimensions, self._value_fns, strict=True):
            value = value_fn(record, ctx)
            points = (
                band_points(value, dimension.bands) if dimension.bands else direct_points(value)
            )
            contribution = points * dimension.weight / self.total_weight
            total += contribution
            results.append(
                DimensionResult(
                    dimension.name, value, points, dimension.weight, round_score(contribution)
                )
            )
        score = round_score(total)
        score_grade = self.grade_for(score)
        grade, applied = score_grade, None
        for index, (override, condition) in enumerate(
            zip(self.grading.overrides, self._condition_fns, strict=True)
        ):
            if condition(record, ctx):
                moved = self.apply_override(grade, override.kind, override.grade)
                if moved != grade:
                    grade, applied = moved, index
        return GradeResult(score, grade, score_grade, tuple(results), applied)

    def grade_for(self, score: float) -> str:
        for level in self.grading.grades:
            if level.min_score is None or score >= level.min_score:
                return level.grade
        return self.grading.grades[-1].grade

    def apply_override(self, grade: str, kind: str, target: str) -> str:
        rank = self.grading.rank
        if kind == "set":
            return target
        if kind == "at_least":
            return target if rank(grade) > rank(target) else grade
        return target if rank(grade) < rank(target) else grade  # at_most

    # -- SQL --------------------------------------------------------------------------------
    def score_sql(
        self, tables: Tables, ctx: SqlContext, table: sa.Table | None = None
    ) -> ColumnElement[Any]:
        """The score as an SQL expression over the entity's table."""
        total: ColumnElement[Any] | None = None
        for dimension, formula in zip(self.grading.dimensions, self.values, strict=True):
            value = to_sql(
                formula, self.app, self.grading.entity, tables, self.functions, ctx, table
            )
            points = (
                _sql_band_points(value, dimension.bands) if dimension.bands else _sql_direct(value)
            )
            term = points * sa.literal(dimension.weight / self.total_weight, sa.Float)
            total = term if total is None else total + term
        assert total is not None  # a grading has at least one dimension
        return (
            sa.func.round(sa.cast(total, sa.Numeric(20, 10)), SCORE_PLACES)
            if ctx.dialect == ("postgresql")
            else sa.func.round(total, SCORE_PLACES)
        )

    def grade_sql(
        self, tables: Tables, ctx: SqlContext, table: sa.Table | None = None
    ) -> ColumnElement[Any]:
        """The final grade (overrides applied) as an SQL expression."""
        score = self.score_sql(tables, ctx, table)
        levels = self.grading.grades
        whens = [
            (score >= level.min_score, sa.literal(level.grade))
            for level in levels
            if level.min_score is not None
        ]
        grade: ColumnElement[Any] = sa.case(*whens, else_=sa.literal(levels[-1].grade))
        rank = {level.grade: index for index, level in enumerate(levels)}
        for override, formula in zip(self.grading.overrides, self.conditions, strict=True):
            condition = to_sql(
                formula, self.app, self.grading.entity, tables, self.functions, ctx, table
            )
            grade = sa.case(
                (condition, self._sql_override(grade, override.kind, override.grade, rank)),
                else_=grade,
            )
        return grade

    def _sql_override(
        self, grade: ColumnElement[Any], kind: str, target: str, rank: dict[str, int]
    ) -> ColumnElement[Any]:
        if kind == "set":
            return sa.literal(target)
        lower_than_target = [g for g, r in rank.items() if r > rank[target]]
        higher_than_target = [g for g, r in rank.items() if r < rank[target]]
        moved = lower_than_target if kind == "at_least" else higher_than_target
        return sa.case((grade.in_(moved), sa.literal(target)), else_=grade) if moved else grade


def _sql_band_points(value: ColumnElement[Any], bands: tuple[Band, ...]) -> ColumnElement[Any]:
    whens = []
    for band in bands:
        if band.min is None:
            return (
                sa.case(*whens, else_=sa.literal(band.points, sa.Float))
                if whens
                else sa.literal(band.points, sa.Float)
            )
        whens.append((value >= band.min, sa.literal(band.points, sa.Float)))
    return sa.case(*whens, else_=sa.literal(0.0, sa.Float))


def _sql_direct(value: ColumnElement[Any]) -> ColumnElement[Any]:
    return sa.case(
        (value.is_(None), 0.0),
        (value < 0, 0.0),
        (value > 100, 100.0),
        else_=sa.cast(value, sa.Float),
    )
