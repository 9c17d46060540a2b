"""Every formula of an app, checked and compiled once: what the record service runs on writes.

`RuleBook(app)` holds, per entity, its computed fields in dependency order, default formulas,
the conditions of conditional fields, validation rules and gradings — each compiled to Python.
It also knows which records of *other* entities depend on a record: those whose formulas
follow a link to it, and those that aggregate over it, so a change can be carried to them.
"""

from __future__ import annotations

import graphlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..metamodel.model import App, Entity, Field, Validation
from . import ir
from .checker import CheckedFormula, check
from .config_checks import dependencies
from .functions import FunctionRegistry, default_functions
from .grading import CompiledGrading
from .ir import BOOL
from .pycompile import CompiledFormula, compile_formula
from .scope import Scope, relations_of

#: Keys of the formula view of a record (names formulas cannot use: they start with _).
ENTITY_KEY, ID_KEY = "_entity", "_id"


@dataclass(frozen=True, slots=True)
class Rule:
    source: str
    checked: CheckedFormula
    run: CompiledFormula


@dataclass(frozen=True, slots=True)
class Dependent:
    """Records of `entity` to recompute when a record of another entity changes.

    kind "aggregate": the record whose id is the changed record's `via` value aggregates it;
    kind "link": records whose link field `via` holds the changed record's id read through it.
    """

    entity: str
    kind: str
    via: str


@dataclass
class EntityRules:
    entity: Entity
    computed: list[tuple[Field, Rule]] = field(default_factory=list)
    defaults: dict[str, Rule] = field(default_factory=dict)
    visible: dict[str, Rule] = field(default_factory=dict)
    required: dict[str, Rule] = field(default_factory=dict)
    readonly: dict[str, Rule] = field(default_factory=dict)
    validations: list[tuple[Validation, Rule]] = field(default_factory=list)
    gradings: list[CompiledGrading] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.computed
            or self.defaults
            or self.visible
            or self.required
            or self.readonly
            or self.validations
            or self.gradings
        )


class RuleBook:
    def __init__(self, app: App, functions: FunctionRegistry | None = None) -> None:
        self.app = app
        self.functions = functions or default_functions()
        self._entities = {name: self._compile(entity) for name, entity in app.entities.items()}
        self._dependents = self._find_dependents()

    def __getitem__(self, entity: str) -> EntityRules:
        return self._entities[entity]

    def dependents(self, entity: str) -> tuple[Dependent, ...]:
        return self._dependents.get(entity, ())

    def _rule(self, scope: Scope, source: str, expect: str | None) -> Rule:
        checked = check(source, scope, expect=expect)  # the loader has vetted it already
        return Rule(source, checked, compile_formula(checked, self.functions))

    def _compile(self, entity: Entity) -> EntityRules:
        scope = Scope(self.app, entity.name, self.functions)
        rules = EntityRules(entity)
        computed: dict[str, Rule] = {}
        for f in entity.fields.values():
            if f.formula is not None:
                computed[f.name] = self._rule(scope, f.formula, f.kind.value_type)
            if f.default_formula is not None:
                rules.defaults[f.name] = self._rule(scope, f.default_formula, f.kind.value_type)
            for key, target in (
                ("visible_when", rules.visible),
                ("required_when", rules.required),
                ("readonly_when", rules.readonly),
            ):
                source = getattr(f, key)
                if source is not None:
                    target[f.name] = self._rule(scope, source, BOOL)
        order = graphlib.TopologicalSorter(
            {name: rule.checked.fields() & computed.keys() for name, rule in computed.items()}
        ).static_order()
        rules.computed = [(entity.fields[name], computed[name]) for name in order]
        rules.validations = [(v, self._rule(scope, v.rule, BOOL)) for v in entity.validations]
        rules.gradings = [
            CompiledGrading(self.app, g, self.functions) for g in self.app.gradings_of(entity.name)
        ]
        return rules

    def _find_dependents(self) -> dict[str, tuple[Dependent, ...]]:
        found: dict[str, set[Dependent]] = {}
        for name, rules in self._entities.items():
            formulas = [rule.checked for _f, rule in rules.computed]
            for grading in rules.gradings:
                formulas.extend(grading.values)
                formulas.extend(grading.conditions)
            for formula in formulas:
                for node in ir.walk(formula.root):
                    if isinstance(node, ir.Aggregate):
                        relation = relations_of(self.app, name)[node.relation]
                        found.setdefault(relation.entity, set()).add(
                            Dependent(name, "aggregate", relation.via)
                        )
                    elif isinstance(node, ir.Ref) and len(node.path) > 1:
                        link = self.app.entity(name).fields[node.path[0]]
                        found.setdefault(link.setting("to"), set()).add(
                            Dependent(name, "link", link.name)
                        )
        return {
            k: tuple(sorted(v, key=lambda d: (d.entity, d.kind, d.via))) for k, v in found.items()
        }


def formula_view(
    entity: Entity, values: Mapping[str, Any], record_id: int | None
) -> dict[str, Any]:
    """A record as formulas see it: numbers as float, plus its entity and id."""
    view: dict[str, Any] = {ENTITY_KEY: entity.name, ID_KEY: record_id}
    for f in entity.fields.values():
        value = values.get(f.name)
        view[f.name] = float(value) if isinstance(value, Decimal) else value
    return view


__all__ = [
    "ENTITY_KEY",
    "ID_KEY",
    "Dependent",
    "EntityRules",
    "Rule",
    "RuleBook",
    "dependencies",
    "formula_view",
]
