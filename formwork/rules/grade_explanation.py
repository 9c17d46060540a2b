"""The stored form of a grade's explanation: its inputs, expanded into the full account on read.

Given a grading, a record's dimension values (and the band each value fell in) determine its
points and contributions, so the history keeps only those inputs, in a compact JSON array:

    [layout key, value₀, (band₀ if the dimension has bands), value₁, …, override, (manual)]

The layout — the dimensions' names, weights and band points and the grade thresholds — is kept
once per version of the grading under its key (a hash of its content), so an explanation stays
readable after the grading changes. `expand` turns the array, with the history row's score and
grade, into exactly what `GradeResult.explanation()` gives (plus `manual` when a person set the
grade). Building five JSON objects per record was most of a bulk re-grade's time; the array
costs a fraction. SQL (`grading_sql`) and Python write the same items, compared by value: a
number may be written 10000000 by one and 10000000.0 by the other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..metamodel.model import Grading
from .grading import GradeResult, contribution, direct_points, tidy


@dataclass(frozen=True, slots=True)
class LayoutDimension:
    name: str
    weight: float
    #: Points of each band, in order; None when the value is the points.
    bands: tuple[float, ...] | None


@dataclass(frozen=True, slots=True)
class Layout:
    """What, besides its inputs, an explanation needs to be read: one version of a grading."""

    grading: str
    dimensions: tuple[LayoutDimension, ...]
    #: (grade, min_score), highest first; the lowest has no min_score.
    grades: tuple[tuple[str, float | None], ...]
    #: A hash of the content: equal layouts share a key, any change makes a new one.
    key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        object.__setattr__(self, "key", hashlib.sha256(text.encode()).hexdigest()[:16])

    @classmethod
    def of(cls, grading: Grading) -> Layout:
        return cls(
            grading.name,
            tuple(
                LayoutDimension(
                    d.name,
                    float(d.weight),
                    tuple(float(b.points) for b in d.bands) if d.bands else None,
                )
                for d in grading.dimensions
            ),
            tuple(
                (g.grade, None if g.min_score is None else float(g.min_score))
                for g in grading.grades
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "grading": self.grading,
            "dimensions": [
                {
                    "name": d.name,
                    "weight": d.weight,
                    "bands": None if d.bands is None else list(d.bands),
                }
                for d in self.dimensions
            ],
            "grades": [list(g) for g in self.grades],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Layout:
        return cls(
            data["grading"],
            tuple(
                LayoutDimension(
                    d["name"], d["weight"], None if d["bands"] is None else tuple(d["bands"])
                )
                for d in data["dimensions"]
            ),
            tuple((g[0], g[1]) for g in data["grades"]),
        )

    @property
    def total_weight(self) -> float:
        return sum(d.weight for d in self.dimensions) or 1.0

    @property
    def size(self) -> int:
        """Length of a compact explanation without a manual grade."""
        return 2 + sum(1 if d.bands is None else 2 for d in self.dimensions)

    def score_grade(self, score: float) -> str:
        for grade, min_score in self.grades:
            if min_score is None or score >= min_score:
                return grade
        return self.grades[-1][0]


def compact(
    layout: Layout, result: GradeResult, manual: Mapping[str, Any] | None = None
) -> list[Any]:
    """The stored form of `result` (and of the manual grade in force, JSON-safe)."""
    stored: list[Any] = [layout.key]
    for shape, dimension in zip(layout.dimensions, result.dimensions, strict=True):
        stored.append(None if dimension.value is None else float(dimension.value))
        if shape.bands is not None:
            stored.append(dimension.band)
    stored.append(result.override)
    if manual is not None:
        stored.append(dict(manual))
    return stored


def same_inputs(stored: Any, fresh: Sequence[Any]) -> bool:
    """Whether a stored explanation has the inputs of `fresh` (values to the digits shown)."""
    if not isinstance(stored, list) or len(stored) != len(fresh):
        return False
    return all(_shown(a) == _shown(b) for a, b in zip(stored, fresh, strict=True))


def _shown(item: Any) -> Any:
    if isinstance(item, float | int) and not isinstance(item, bool):
        return tidy(item)
    return item


def layout_key(stored: Any) -> str | None:
    """The layout a stored explanation needs (None for an old, self-contained one)."""
    return stored[0] if isinstance(stored, list) and stored else None


def expand(stored: Any, layout: Layout | None, score: float, grade: str) -> dict[str, Any]:
    """The full explanation of a history row: its stored form, its new score and grade.

    Rows written before explanations were stored compactly hold the full form already.
    """
    if isinstance(stored, dict):
        return stored
    if layout is None or layout_key(stored) != layout.key:
        raise ValueError("an explanation needs the layout it was written with")
    items = iter(stored[1:])
    total = layout.total_weight
    dimensions = []
    for shape in layout.dimensions:
        value = next(items)
        if shape.bands is None:
            points = direct_points(value)
        else:
            band = next(items)
            points = 0.0 if band is None else shape.bands[band]
        dimensions.append(
            {
                "name": shape.name,
                "value": tidy(value),
                "points": tidy(points),
                "weight": shape.weight,
                "contribution": contribution(points, shape.weight, total),
            }
        )
    override = next(items)
    explanation: dict[str, Any] = {
        "score": float(score),
        "grade": grade,
        "score_grade": layout.score_grade(float(score)),
        "override": override,
        "dimensions": dimensions,
    }
    manual = next(items, None)
    if manual is not None:
        explanation["manual"] = manual
    return explanation
