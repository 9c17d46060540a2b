"""Scorecards at run time: a record's score, grade and the explanation of both.

Each dimension's value formula gives a number; bands turn it into points (first band whose
`min` the value reaches), or the value is the points itself (clamped to 0–100). The score is
the weighted average of the points, rounded to two places *before* the thresholds are applied,
so the grade always agrees with the score people see. Overrides then move the grade
(`at_least`, `at_most`, `set`), in order, each only when its condition holds.

The same scorecard compiles to SQL (`grading_sql.graded_select`) so bulk re-grading runs in
the database; the differential tests hold the two forms to the same answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..metamodel.model import App, Band, Grading
from .checker import CheckedFormula, check
from .functions import FunctionRegistry
from .ir import BOOL, NUMBER
from .pycompile import CompiledFormula, EvalContext, SourceGenerator
from .scope import Scope

SCORE_PLACES = 2


@dataclass(frozen=True, slots=True)
class DimensionResult:
    name: str
    value: float | None
    points: float
    weight: float
    contribution: float
    #: Index of the band that gave the points (None without bands, or when none matched).
    band: int | None = None


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
                    "value": tidy(d.value),
                    "points": tidy(d.points),
                    "weight": d.weight,
                    "contribution": d.contribution,
                }
                for d in self.dimensions
            ],
        }


#: Added before flooring so that a binary fraction just below a half (79.99499999…) that
#: stands for a decimal half rounds up, in Python and SQL alike.
ROUNDING_SLACK = 1e-9


#: Digits kept of a dimension's value and points in an explanation: enough to read, and few
#: enough that the Python and SQL forms (SQLite prints 15 significant digits) write the same.
EXPLANATION_PLACES = 6


def tidy(value: float | None) -> float | None:
    return None if value is None else round(float(value), EXPLANATION_PLACES)


def round_score(value: float) -> float:
    """Round half up to two places (the same float steps as the SQL form, so both agree)."""
    scale = 10**SCORE_PLACES
    if value < 0:
        return -math.floor(-value * scale + 0.5 + ROUNDING_SLACK) / scale
    return math.floor(value * scale + 0.5 + ROUNDING_SLACK) / scale


def band_index(value: float | None, bands: tuple[Band, ...]) -> int | None:
    """The first band whose min the value reaches (empty meets only a catch-all), if any."""
    for index, band in enumerate(bands):
        if band.min is None or (value is not None and value >= band.min):
            return index
    return None


def band_points(value: float | None, bands: tuple[Band, ...]) -> float:
    index = band_index(value, bands)
    return 0.0 if index is None else bands[index].points


def contribution(points: float, weight: float, total_weight: float) -> float:
    """What a dimension adds to the score, rounded as the score is."""
    return round_score(points * weight / total_weight)


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
        self.total_weight = sum(d.weight for d in grading.dimensions) or 1.0
        self._banded = tuple(bool(d.bands) for d in grading.dimensions)
        self._scorecard = self._compile_scorecard()
        self._inputs = self._compile_scorecard(inputs=True)

    # -- Python -----------------------------------------------------------------------------
    def _compile_scorecard(self, inputs: bool = False) -> CompiledFormula:
        """One generated function for the whole scorecard: values, points, score and grade.

        It returns (score, score grade, grade, override index, values, points, band indexes);
        fusing the dimensions into one function is what makes it about as fast as hand-written
        code. With `inputs`, it returns what `inputs` does instead.
        """
        gen = SourceGenerator(self.functions)
        gen.namespace["_round"] = round_score
        gen.namespace["_float"] = float
        lines = []
        for i, (dimension, formula) in enumerate(
            zip(self.grading.dimensions, self.values, strict=True)
        ):
            lines.append(f"v{i} = {gen.expr(formula.root, 'r')}")
            lines.append(f"p{i} = {_points_source(f'v{i}', dimension.bands)}")
            lines.append(f"b{i} = {_band_source(f'v{i}', dimension.bands)}")
        weights = [d.weight / self.total_weight for d in self.grading.dimensions]
        total = " + ".join(f"p{i} * {w!r}" for i, w in enumerate(weights))
        lines.append(f"score = _round({total})")
        grades = self.grading.grades
        chain = "".join(
            f"{g.grade!r} if score >= {g.min_score!r} else "
            for g in grades
            if g.min_score is not None
        )
        lines.append(f"grade = base = {chain}{grades[-1].grade!r}")
        lines.append("moved = None")
        for index, (override, formula) in enumerate(
            zip(self.grading.overrides, self.conditions, strict=True)
        ):
            targets = self.moved_grades(override.kind, override.grade)
            lines.append(f"if grade in {targets!r} and {gen.expr(formula.root, 'r')}:")
            lines.append(f"    grade, moved = {override.grade!r}, {index}")
        count = len(self.grading.dimensions)
        values = "".join(f"v{i}, " for i in range(count))
        points = "".join(f"p{i}, " for i in range(count))
        bands = "".join(f"b{i}, " for i in range(count))
        if inputs:
            kept = "".join(
                f"None if v{i} is None else _float(v{i}), " + (f"b{i}, " if banded else "")
                for i, banded in enumerate(self._banded)
            )
            lines.append(f"return score, grade, [{kept}moved]")
        else:
            lines.append(f"return score, base, grade, moved, ({values}), ({points}), ({bands})")
        body = "\n".join("    " + line for line in lines)
        return gen.build(body, f"<grading {self.grading.name}>")

    def moved_grades(self, kind: str, target: str) -> tuple[str, ...]:
        """The grades an override changes into `target`."""
        rank = self.grading.rank
        levels = [level.grade for level in self.grading.grades]
        if kind == "set":
            return tuple(g for g in levels if g != target)
        if kind == "at_least":
            return tuple(g for g in levels if rank(g) > rank(target))
        return tuple(g for g in levels if rank(g) < rank(target))

    def score_and_grade(self, record: Mapping[str, Any], ctx: EvalContext) -> tuple[float, str]:
        """Just the score and the final grade (the fast path for bulk work)."""
        score, _base, grade, _moved, _values, _points, _bands = self._scorecard(record, ctx)
        return score, grade

    def inputs(self, record: Mapping[str, Any], ctx: EvalContext) -> tuple[float, str, list[Any]]:
        """The score, the final grade, and what an explanation keeps of `evaluate`'s result
        (`grade_explanation.compact`, without the layout's key): each dimension's value as a
        float and, if it has bands, its band's index; then the override's index."""
        return self._inputs(record, ctx)  # type: ignore[no-any-return]

    def evaluate(self, record: Mapping[str, Any], ctx: EvalContext) -> GradeResult:
        """Score, grade and the explanation of both."""
        score, base, grade, moved, values, points, bands = self._scorecard(record, ctx)
        dimensions = tuple(
            DimensionResult(
                d.name,
                value,
                point,
                d.weight,
                contribution(point, d.weight, self.total_weight),
                band,
            )
            for d, value, point, band in zip(
                self.grading.dimensions, values, points, bands, strict=True
            )
        )
        return GradeResult(score, grade, base, dimensions, moved)

    def grade_for(self, score: float) -> str:
        for level in self.grading.grades:
            if level.min_score is None or score >= level.min_score:
                return level.grade
        return self.grading.grades[-1].grade


def _points_source(value: str, bands: tuple[Band, ...]) -> str:
    """Python source turning a dimension's value into points (see band_points, direct_points)."""
    if not bands:
        return f"(0.0 if {value} is None or {value} < 0 else 100.0 if {value} > 100 else {value})"
    source = ""
    for band in bands:
        if band.min is None:
            return source + repr(float(band.points))
        source += f"{float(band.points)!r} if {value} is not None and {value} >= {band.min!r} else "
    return source + "0.0"


def _band_source(value: str, bands: tuple[Band, ...]) -> str:
    """Python source giving the index of the band `band_index` finds (None without bands)."""
    source = ""
    for index, band in enumerate(bands):
        if band.min is None:
            return source + repr(index)
        source += f"{index!r} if {value} is not None and {value} >= {band.min!r} else "
    return source + "None"
