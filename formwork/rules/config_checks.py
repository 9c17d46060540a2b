"""Checking every formula of a loaded model, and the order computed fields depend on.

Runs when a package loads, after the model is built: each formula — computed fields,
defaults, visibility and requirement conditions, validation rules, grading values and
override conditions — is parsed and type-checked in its entity's scope, and each problem is
reported at the file and line of the key that holds it. Computed fields that depend on each
other in a cycle (also across entities, through links and aggregates) are reported with
every field of the cycle named.
"""

from __future__ import annotations

import graphlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..metamodel.model import USER_ENTITY, App
from ..metamodel.source import DocPath
from . import ir
from .checker import CheckedFormula, check
from .functions import FunctionRegistry, default_functions
from .ir import BOOL
from .scope import Scope, relations_of
from .syntax import FormulaError

Report = Callable[[str, DocPath, str, str], None]
Node = tuple[str, str]  # (entity, field)


@dataclass(frozen=True, slots=True)
class FormulaSite:
    """One place a formula is written: its document path, entity, source and expected type."""

    path: DocPath
    entity: str
    source: str
    expect: str | None
    computes: str | None = None  # the computed field it fills, if any


def formula_sites(app: App) -> Iterator[FormulaSite]:
    """Every formula in the model, with where it is written."""
    for entity in app.entities.values():
        for field in entity.fields.values():
            base: DocPath = ("entities", entity.name, "fields", field.name)
            for key, source in field.formulas().items():
                is_value = key in ("formula", "default_formula")
                expect = field.kind.value_type if is_value else BOOL
                computes = field.name if key == "formula" else None
                yield FormulaSite((*base, key), entity.name, source, expect, computes)
        for role, permissions in entity.permissions.items():
            for action in ("read", "write", "delete", "export"):
                scope = getattr(permissions, action)
                if action == "export" and scope is permissions.read:
                    continue  # not written: export follows read
                if scope.formula is not None:
                    path = ("entities", entity.name, "permissions", role, action, "when")
                    yield FormulaSite(path, entity.name, scope.formula, BOOL)
        for index, rule in enumerate(entity.validations):
            path: DocPath = ("entities", entity.name, "validations", index, "rule")
            yield FormulaSite(path, entity.name, rule.rule, BOOL)
    for grading in app.gradings.values():
        for index, dimension in enumerate(grading.dimensions):
            path = ("gradings", grading.name, "dimensions", index, "value")
            yield FormulaSite(path, grading.entity, dimension.value, ir.NUMBER)
        for index, override in enumerate(grading.overrides):
            path = ("gradings", grading.name, "overrides", index, "when")
            yield FormulaSite(path, grading.entity, override.when, BOOL)


def check_formulas(app: App, report: Report, functions: FunctionRegistry | None = None) -> None:
    """Check every formula of `app`; problems go to `report(code, path, message, hint)`."""
    functions = functions or default_functions()
    scopes: dict[str, Scope] = {}
    computed: dict[Node, tuple[FormulaSite, CheckedFormula]] = {}
    for site in formula_sites(app):
        scope = scopes.setdefault(site.entity, Scope(app, site.entity, functions))
        try:
            checked = check(site.source, scope, expect=site.expect)
        except FormulaError as exc:
            where = f" (at column {exc.column})" if exc.column > 0 else ""
            report(exc.code, site.path, f"{exc.message}{where}", exc.hint or _hint(exc.code))
            continue
        if site.computes is not None:
            computed[(site.entity, site.computes)] = (site, checked)
    _check_cycles(app, computed, report)


def _hint(code: str) -> str:
    return {
        "FW501": "See docs/formulas.md for what formulas may contain.",
        "FW502": "Check the spelling of field and function names.",
        "FW503": "See docs/formulas.md for the types each part takes.",
    }.get(code, "")


def dependencies(app: App, entity: str, formula: CheckedFormula) -> set[Node]:
    """The (entity, field) pairs a formula reads, through links and aggregates too."""
    found: set[Node] = set()

    def add_paths(owner: str, root: ir.Node) -> None:
        for node in ir.walk(root):
            if isinstance(node, ir.Ref):
                found.update(_path_nodes(app, owner, node.path))
            elif isinstance(node, ir.Aggregate):
                relation = relations_of(app, owner)[node.relation]
                if node.field is not None:
                    found.add((relation.entity, node.field))
                found.add((relation.entity, relation.via))
                if node.where is not None:
                    add_paths(relation.entity, node.where)

    add_paths(entity, formula.root)
    return found


def _path_nodes(app: App, entity: str, path: tuple[str, ...]) -> Iterator[Node]:
    owner = entity
    for name in path:
        if owner == USER_ENTITY:
            return
        yield owner, name
        field = app.entity(owner).fields[name]
        owner = field.setting("to") if field.type == "link" else owner


def _check_cycles(
    app: App, computed: dict[Node, tuple[FormulaSite, CheckedFormula]], report: Report
) -> None:
    graph: dict[Node, set[Node]] = {}
    for node, (site, checked) in computed.items():
        graph[node] = {dep for dep in dependencies(app, site.entity, checked) if dep in computed}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        cycle: list[Node] = exc.args[1]
        names = " → ".join(f"{e}.{f}" for e, f in reversed(cycle))
        site = computed[cycle[0]][0]
        report(
            "FW504",
            site.path,
            f"computed fields depend on each other: {names}",
            "Break the cycle: one of these fields must not use the others.",
        )
