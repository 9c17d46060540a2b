"""Checks and building of gradings (`gradings/*.yaml`): the shape of a scorecard.

Thresholds must be ordered from the highest grade down with no gaps (the lowest grade has no
min_score, so every score has a grade) and no overlaps (each min_score strictly below the
one before); bands go from the highest min down; overrides name real grades; the score and
grade fields exist on the entity and can hold a score and every grade. The formulas are
type-checked later with all the others (`formwork.rules.config_checks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .checks import Checks
from .model import (
    Band,
    Dimension,
    Entity,
    GradeLevel,
    Grading,
    Override,
)
from .source import DocPath, format_path

OVERRIDE_KINDS = ("at_least", "at_most", "set")


class GradingChecks(Checks):
    def build_gradings(self, entities: Mapping[str, Entity]) -> dict[str, Grading]:
        gradings = {}
        for name, doc in sorted((self.doc.get("gradings") or {}).items()):
            path: DocPath = ("gradings", name)
            if _root_broken(self, path):
                continue
            grading = self._build(name, doc, path, entities)
            if grading is not None:
                gradings[name] = grading
        return gradings

    def _build(
        self, name: str, doc: Mapping[str, Any], path: DocPath, entities: Mapping[str, Entity]
    ) -> Grading | None:
        self.check_name(name, (*path, "grading"), "grading")
        entity = self.entity_of(doc, path, entities)
        if entity is None:
            return None
        label = self.label(doc["label"], (*path, "label"))
        dimensions = self._dimensions(doc, path)
        grades = self._grades(doc, path)
        overrides = self._overrides(doc, path, grades)
        score_field = doc.get("score_field", "score")
        grade_field = doc.get("grade_field", "grade")
        self._check_result_fields(entity, doc, score_field, grade_field, grades, path)
        if dimensions is None or grades is None or overrides is None:
            return None
        return Grading(
            name=name,
            entity=entity.name,
            label=label,
            dimensions=dimensions,
            grades=grades,
            location=self.location(path),
            overrides=overrides,
            score_field=score_field,
            grade_field=grade_field,
        )

    def _dimensions(self, doc: Mapping[str, Any], path: DocPath) -> tuple[Dimension, ...] | None:
        if self.is_broken((*path, "dimensions")):
            return None
        built, seen = [], set()
        for index, spec in enumerate(doc["dimensions"]):
            item: DocPath = (*path, "dimensions", index)
            if spec["name"] in seen:
                self.problem(
                    "FW303", (*item, "name"), f"dimension {spec['name']!r} is listed twice"
                )
            seen.add(spec["name"])
            label = self.label(spec.get("label", spec["name"]), (*item, "label"))
            bands = tuple(Band(b["points"], b.get("min")) for b in spec.get("bands") or ())
            self._check_bands(bands, (*item, "bands"))
            built.append(
                Dimension(
                    spec["name"],
                    label,
                    float(spec["weight"]),
                    spec["value"],
                    self.location((*item, "value")),
                    bands,
                )
            )
        return tuple(built)

    def _check_bands(self, bands: tuple[Band, ...], path: DocPath) -> None:
        previous = None
        for index, band in enumerate(bands):
            if band.min is None and index != len(bands) - 1:
                self.problem(
                    "FW605",
                    (*path, index),
                    "a band without min must come last",
                    "Bands without min match every value, so later bands never would.",
                )
                return
            if band.min is not None and previous is not None and band.min >= previous:
                self.problem(
                    "FW605",
                    (*path, index, "min"),
                    f"min {number(band.min)} is not below the band before ({number(previous)})",
                    "List bands from the highest min down; the first reached wins.",
                )
                return
            previous = band.min

    def _grades(self, doc: Mapping[str, Any], path: DocPath) -> tuple[GradeLevel, ...] | None:
        if self.is_broken((*path, "grades")):
            return None
        levels, seen, ok = [], set(), True
        specs = doc["grades"]
        previous = None
        for index, spec in enumerate(specs):
            item: DocPath = (*path, "grades", index)
            grade, minimum = spec["grade"], spec.get("min_score")
            if grade in seen:
                self.problem("FW303", (*item, "grade"), f"grade {grade!r} is listed twice")
                ok = False
            seen.add(grade)
            last = index == len(specs) - 1
            if last and minimum is not None:
                self.problem(
                    "FW602",
                    (*item, "min_score"),
                    f"the lowest grade {grade!r} has a min_score, so scores below "
                    f"{number(minimum)} would have no grade",
                    "Remove min_score from the last grade: it takes every other score.",
                )
                ok = False
            if not last and minimum is None:
                self.problem(
                    "FW601",
                    item,
                    f"grade {grade!r} needs a min_score",
                    "Only the last (lowest) grade goes without one.",
                )
                ok = False
            if minimum is not None and previous is not None and minimum >= previous:
                self.problem(
                    "FW601",
                    (*item, "min_score"),
                    f"min_score {number(minimum)} of {grade!r} is not below the grade before "
                    f"({number(previous)})",
                    "List grades from the highest down, each min_score lower.",
                )
                ok = False
            previous = minimum if minimum is not None else previous
            strategy = (
                self.label(spec["strategy"], (*item, "strategy")) if "strategy" in spec else None
            )
            label = self.label(spec.get("label", grade), (*item, "label"))
            levels.append(GradeLevel(grade, label, minimum, strategy, spec.get("color")))
        return tuple(levels) if ok else None

    def _overrides(
        self, doc: Mapping[str, Any], path: DocPath, grades: tuple[GradeLevel, ...] | None
    ) -> tuple[Override, ...] | None:
        if self.is_broken((*path, "overrides")):
            return None
        known = [g.grade for g in grades or ()]
        built, ok = [], True
        for index, spec in enumerate(doc.get("overrides") or ()):
            item: DocPath = (*path, "overrides", index)
            kinds = [k for k in OVERRIDE_KINDS if k in spec]
            if len(kinds) != 1:
                self.problem(
                    "FW603",
                    item,
                    "an override needs exactly one of at_least, at_most, set",
                    "e.g. `at_least: A`.",
                )
                ok = False
                continue
            kind = kinds[0]
            if grades is not None and spec[kind] not in known:
                self.problem(
                    "FW603",
                    (*item, kind),
                    f"no grade named {spec[kind]!r}",
                    self.suggest(spec[kind], known),
                )
                ok = False
                continue
            reason = self.label(spec["reason"], (*item, "reason"))
            built.append(
                Override(kind, spec[kind], spec["when"], reason, self.location((*item, "when")))
            )
        return tuple(built) if ok else None

    def _check_result_fields(
        self,
        entity: Entity,
        doc: Mapping[str, Any],
        score_field: str,
        grade_field: str,
        grades: tuple[GradeLevel, ...] | None,
        path: DocPath,
    ) -> None:
        def where(key: str) -> DocPath:
            # An unwritten key defaults: point at the grading's entity instead.
            return (*path, key) if key in doc else (*path, "entity")

        score = entity.fields.get(score_field)
        if score is None or score.kind.value_type != "number" or not score.stored:
            self.problem(
                "FW604",
                where("score_field"),
                f"{entity.name} has no stored number field {score_field!r} for the score",
                f"Add `{score_field}: {{type: decimal, readonly: true, label: …}}`.",
            )
        elif not score.readonly:
            self._not_readonly(entity, score.name, where("score_field"))
        grade = entity.fields.get(grade_field)
        if grade is None or grade.type != "select" or not grade.stored:
            self.problem(
                "FW604",
                where("grade_field"),
                f"{entity.name} has no select field {grade_field!r} for the grade",
                f"Add `{grade_field}: {{type: select, readonly: true, options: […]}}`.",
            )
            return
        if not grade.readonly:
            self._not_readonly(entity, grade.name, where("grade_field"))
        missing = [g.grade for g in grades or () if g.grade not in grade.option_values()]
        if missing:
            self.problem(
                "FW604",
                where("grade_field"),
                f"{entity.name}.{grade_field} has no option for grade(s) {', '.join(missing)}",
                "Every grade must be one of the grade field's options.",
            )

    def _not_readonly(self, entity: Entity, field: str, path: DocPath) -> None:
        self.problem(
            "FW604",
            path,
            f"{entity.name}.{field} is kept by the grading, so it must be readonly",
            f"Add `readonly: true` to {field}.",
        )


def number(value: float) -> str:
    """20000000 → "20,000,000"; 12.5 → "12.5"."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def _root_broken(checks: Checks, path: DocPath) -> bool:
    """A grading whose name, entity or top node is wrong cannot be built at all."""
    exact = {format_path(path), format_path((*path, "entity")), format_path((*path, "grading"))}
    return any(b in exact for b in checks.broken)
