"""Checks and building of a package's test suites (`tests/*.yaml`).

The schema has vouched for the shape; here each name is held to the model: a step creates a
record of a declared, non-child entity (or changes a record named before), every field given
or expected exists, every `@name` and `record:` names a record or user given earlier in the
case, case names and record names are not used twice, and explanation checks name a grading
and its dimensions. (Named `suite_checks`, not `test_checks`, so pytest never collects it.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .checks import Checks
from .model import (
    USER_ENTITY,
    Entity,
    Expectation,
    Grading,
    TestCase,
    TestStep,
    TestSuite,
    frozen_map,
)
from .source import DocPath, format_path

#: Keys of a step that are not an entity name.
STEP_KEYS = ("as", "update", "set")
#: Record-level error key, and system values an expectation may check besides fields.
RECORD_ERRORS = "_record"
#: The entity of a record whose step could not be built (its problem is already reported).
UNKNOWN = ""
SYSTEM_VALUES = ("version",)


class SuiteChecks(Checks):
    def build_tests(
        self, entities: Mapping[str, Entity], gradings: Mapping[str, Grading]
    ) -> dict[str, TestSuite]:
        suites = {}
        for name, doc in sorted((self.doc.get("tests") or {}).items()):
            path: DocPath = ("tests", name)
            exact = {format_path(path), format_path((*path, "cases"))}
            if any(b in exact for b in self.broken):
                continue
            suite = _SuiteBuilder(self, entities, gradings).build(name, doc, path)
            if suite is not None:
                suites[name] = suite
        return suites


class _SuiteBuilder:
    """Builds one suite, tracking the records each case names as it goes."""

    def __init__(
        self, checks: Checks, entities: Mapping[str, Entity], gradings: Mapping[str, Grading]
    ) -> None:
        self.checks = checks
        self.entities = entities
        self.gradings = gradings
        self.ok = True

    def problem(self, code: str, path: DocPath, message: str, hint: str = "") -> None:
        self.checks.problem(code, path, message, hint)
        self.ok = False

    def build(self, name: str, doc: Mapping[str, Any], path: DocPath) -> TestSuite | None:
        c = self.checks
        self.ok = c.check_name(name, (*path, "suite"), "suite")
        label = None
        if "label" in doc and not c.is_broken((*path, "label")):
            label = c.label(doc["label"], (*path, "label"))
        users = () if c.is_broken((*path, "users")) else tuple(doc.get("users") or ())
        cases, seen = [], {}
        for index, spec in enumerate(doc["cases"]):
            item: DocPath = (*path, "cases", index)
            if c.is_broken(item):
                self.ok = False
                continue
            if spec["name"] in seen:
                self.problem(
                    "FW703",
                    (*item, "name"),
                    f"case {spec['name']!r} is named twice (first at {seen[spec['name']]})",
                    "Give each case of a file its own name.",
                )
            seen.setdefault(spec["name"], str(c.location((*item, "name"))))
            case = self._case(spec, item, users)
            if case is not None:
                cases.append(case)
        if not self.ok:
            return None
        return TestSuite(
            name=name,
            cases=tuple(cases),
            location=c.location(path),
            label=label,
            users=users,
            today=None if c.is_broken((*path, "today")) else doc.get("today"),
        )

    # -- a case ----------------------------------------------------------------------------
    def _case(self, spec: Mapping[str, Any], path: DocPath, users: tuple[str, ...]) -> TestCase:
        #: Record name → its entity; users are named records of the user entity.
        known: dict[str, str] = dict.fromkeys(users, USER_ENTITY)
        steps, last = [], None
        for index, raw in enumerate(spec["given"]):
            step = self._step(raw, (*path, "given", index), known)
            if step is not None:
                steps.append(step)
        refused = "expect_errors" in spec
        saved = steps[:-1] if refused else steps
        if saved:
            last = saved[-1]
        expectations = tuple(
            e
            for index, raw in enumerate(spec.get("expect") or ())
            if (e := self._expectation(raw, (*path, "expect", index), known, last)) is not None
        )
        errors = None
        if refused:
            errors = self._errors(spec["expect_errors"], (*path, "expect_errors"), steps)
        return TestCase(
            spec["name"], tuple(steps), expectations, self.checks.location(path), errors
        )

    def _step(
        self, raw: Mapping[str, Any], path: DocPath, known: dict[str, str]
    ) -> TestStep | None:
        names = [k for k in raw if k not in STEP_KEYS]
        if "update" in raw:
            if names or "as" in raw:
                extra = [*names, *(["as"] if "as" in raw else [])]
                self.problem(
                    "FW701",
                    (*path, extra[0]),
                    "an update step holds only `update` and `set`",
                    "Create records in steps of their own; name them with `as` there.",
                )
                return None
            entity = self._reference(raw["update"], (*path, "update"), known)
            if entity == USER_ENTITY:
                self.problem(
                    "FW704",
                    (*path, "update"),
                    f"{raw['update']!r} is a user; tests change records, not users",
                    "Name a record given with `as:` earlier in the case.",
                )
            if not entity or entity == USER_ENTITY:
                return None
            values = raw.get("set") or {}
            self._check_values(self.entities.get(entity), values, (*path, "set"), known)
            return TestStep(
                entity, frozen_map(values), self.checks.location(path), None, raw["update"]
            )
        if len(names) != 1 or "set" in raw:
            what = "names no entity" if not names else f"names {len(names)} entities"
            if "set" in raw and len(names) == 1:
                what = "has `set` but no `update`"
            self.problem(
                "FW701",
                path,
                f"the step {what}",
                "Write one step per record: `- order: {title: …}` (optionally `as: acme`), "
                "or `- update: acme` with `set: {…}`.",
            )
            return None
        entity = self.entities.get(names[0])
        if entity is None or entity.child_of:
            message = f"no entity named {names[0]!r}"
            hint = self.checks.suggest(
                names[0], [e for e in self.entities if not self.entities[e].child_of]
            )
            if entity is not None:
                message = f"{names[0]} is a child entity: its rows are given in {entity.child_of}"
                hint = f"Give the rows in the table field of a {entity.child_of} step."
            if entity is not None or names[0] not in self.checks.entity_names:
                self.problem("FW701", (*path, names[0]), message, hint)
            else:
                self.ok = False  # the entity itself is broken and reported
            if isinstance(raw.get("as"), str):
                known.setdefault(raw["as"], UNKNOWN)  # so later uses add no more noise
            return None
        values = raw[names[0]] or {}
        self._check_values(entity, values, (*path, names[0]), known)
        key = raw.get("as")
        if key is not None:
            if key in known:
                self.problem(
                    "FW703",
                    (*path, "as"),
                    f"{key!r} already names a record or user in this case",
                    "Give each record of a case its own name.",
                )
            known[key] = entity.name
        return TestStep(entity.name, frozen_map(values), self.checks.location(path), key)

    def _check_values(
        self,
        entity: Entity | None,
        values: Mapping[str, Any],
        path: DocPath,
        known: Mapping[str, str],
    ) -> None:
        if entity is None:
            return
        for name, value in values.items():
            field = entity.fields.get(name)
            if field is None:
                self._unknown_field(entity, name, (*path, name))
            elif field.type == "link":
                self._link(value, field.setting("to"), (*path, name), known)
            elif field.type == "table" and isinstance(value, list):
                child = self.entities.get(field.setting("to"))
                for index, row in enumerate(value):
                    if isinstance(row, Mapping):
                        self._check_values(child, row, (*path, name, index), known)

    def _link(self, value: Any, target: str, path: DocPath, known: Mapping[str, str]) -> None:
        if not (isinstance(value, str) and value.startswith("@")):
            return
        entity = self._reference(value[1:], path, known)
        if entity and entity != target:
            self.problem(
                "FW704",
                path,
                f"{value} is a {entity} record, but the field links to {target}",
                f"Name a {target} record given earlier in the case.",
            )

    def _reference(self, key: str, path: DocPath, known: Mapping[str, str]) -> str | None:
        """The entity of the record named `key`, or None (and a problem) if none is."""
        if key in known:
            return known[key]
        self.problem(
            "FW704",
            path,
            f"no record or user named {key!r} is given before this point in the case",
            self.checks.suggest(key, known) + " Name records with `as:` in an earlier step.",
        )
        return None

    def _unknown_field(self, entity: Entity, name: str, path: DocPath) -> None:
        self.problem(
            "FW702",
            path,
            f"{entity.name} has no field {name!r}",
            self.checks.suggest(name, entity.fields),
        )

    # -- expectations ----------------------------------------------------------------------
    def _expectation(
        self,
        raw: Mapping[str, Any],
        path: DocPath,
        known: Mapping[str, str],
        last: TestStep | None,
    ) -> Expectation | None:
        if "record" in raw:
            key = raw["record"]
            entity_name = self._reference(key, (*path, "record"), known)
        elif last is not None:
            key = last.update or last.key or ""
            entity_name = last.entity
        else:
            self.problem(
                "FW704",
                path,
                "no record is saved in this case, so there is nothing to expect values of",
                "Name the record with `record:`, or give a step that is saved.",
            )
            return None
        entity = self.entities.get(entity_name or "")
        if entity is None:
            return None
        values = raw.get("values") or {}
        for name, value in values.items():
            field = entity.fields.get(name)
            if field is None and name not in SYSTEM_VALUES:
                self._unknown_field(entity, name, (*path, "values", name))
            elif field is not None and not field.stored and field.type != "table":
                self.problem(
                    "FW702",
                    (*path, "values", name),
                    f"{entity.name}.{name} is not kept with the record, so it cannot be checked",
                    "Check the stored fields it is computed from, or make it a stored field.",
                )
            elif field is not None and field.type == "link":
                self._link(value, field.setting("to"), (*path, "values", name), known)
        explanation = raw.get("explanation")
        if explanation is not None:
            self._explanation(entity, explanation, (*path, "explanation"))
        return Expectation(
            key,
            frozen_map(values),
            self.checks.location(path),
            None if explanation is None else frozen_map(explanation),
        )

    def _explanation(self, entity: Entity, raw: Mapping[str, Any], path: DocPath) -> None:
        own = {n: g for n, g in self.gradings.items() if g.entity == entity.name}
        name = raw.get("grading")
        if name is None and len(own) != 1:
            what = "no grading" if not own else f"{len(own)} gradings"
            self.problem(
                "FW705",
                path,
                f"{entity.name} has {what}, so which explanation to check is unclear",
                "Add `grading: <name>`." if own else "Check values only, or add a grading.",
            )
            return
        grading = own.get(name) if name is not None else next(iter(own.values()))
        if grading is None:
            self.problem(
                "FW705",
                (*path, "grading"),
                f"no grading of {entity.name} is named {name!r}",
                self.checks.suggest(name, own),
            )
            return
        grades = [g.grade for g in grading.grades]
        if "score_grade" in raw and raw["score_grade"] not in grades:
            self.problem(
                "FW705",
                (*path, "score_grade"),
                f"{grading.name} has no grade {raw['score_grade']!r}",
                self.checks.suggest(raw["score_grade"], grades),
            )
        dimensions = [d.name for d in grading.dimensions]
        for dimension in raw.get("dimensions") or {}:
            if dimension not in dimensions:
                self.problem(
                    "FW705",
                    (*path, "dimensions", dimension),
                    f"{grading.name} has no dimension {dimension!r}",
                    self.checks.suggest(dimension, dimensions),
                )

    def _errors(
        self, raw: Mapping[str, Any], path: DocPath, steps: list[TestStep]
    ) -> Mapping[str, tuple[str, ...]]:
        entity = self.entities.get(steps[-1].entity) if steps else None
        errors = {}
        for name, texts in raw.items():
            base = name.split("[", 1)[0].split(".", 1)[0]
            if entity is not None and name != RECORD_ERRORS and base not in entity.fields:
                self._unknown_field(entity, name, (*path, name))
            errors[name] = (texts,) if isinstance(texts, str) else tuple(texts)
        return frozen_map(errors)
