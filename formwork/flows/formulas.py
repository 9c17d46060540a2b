"""Flow formulas at run time, and the approvers they and the other approver rules find.

Formulas (conditions, approver formulas, values effects set) are checked and compiled once
each against today's model. A pinned flow version is checked like the config was when it was
loaded; should an old version name a field that is gone since, `FlowBroken` says so and the
action writes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from ..metamodel.model import App, Approver, Flow
from ..rules.checker import check
from ..rules.functions import FunctionRegistry, default_functions
from ..rules.ir import BOOL
from ..rules.pycompile import CompiledFormula, compile_formula
from ..rules.scope import Scope
from ..rules.syntax import FormulaError
from ..store.formula_context import StoreContext
from .errors import FlowBroken
from .people import People, Person


class FlowFormulas:
    def __init__(self, app: App, functions: FunctionRegistry | None = None) -> None:
        self.app = app
        self.functions = functions or default_functions()
        self._compiled: dict[tuple[str, str, str | None], CompiledFormula] = {}

    def evaluate(
        self,
        ctx: StoreContext,
        entity: str,
        view: dict[str, Any],
        source: str,
        expect: str | None = None,
    ) -> Any:
        """The formula's value for the record `view` (a `formula_view`)."""
        key = (entity, source, expect)
        if key not in self._compiled:
            try:
                scope = Scope(self.app, entity, self.functions)
                self._compiled[key] = compile_formula(check(source, scope, expect), self.functions)
            except (FormulaError, KeyError) as exc:
                raise FlowBroken(f"{source}: {exc}") from exc
        return self._compiled[key](view, ctx)

    def holds(self, ctx: StoreContext, entity: str, view: dict[str, Any], source: str) -> bool:
        """Whether a condition holds (an empty result does not)."""
        return bool(self.evaluate(ctx, entity, view, source, BOOL))


def find_approvers(
    conn: Connection,
    people: People,
    formulas: FlowFormulas,
    ctx: StoreContext,
    flow: Flow,
    rules: tuple[Approver, ...],
    view: dict[str, Any],
) -> list[Person]:
    """The active users the rules name for the record, each once, in the rules' order."""
    found: dict[int, Person] = {}
    for rule in rules:
        if rule.kind == "role":
            candidates = people.with_role(conn, rule.value)
        else:
            if rule.kind == "field":
                value = ctx.follow(view, tuple(rule.value.split(".")))
            else:
                value = formulas.evaluate(ctx, flow.entity, view, rule.value)
            candidates = [_person(conn, people, value)]
        for person in candidates:
            if person is not None:
                found.setdefault(person.id, person)
    return list(found.values())


def _person(conn: Connection, people: People, value: Any) -> Person | None:
    """A link (a user id) or a username, as an active user."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return people.by_username(conn, value.strip())
    return people.active(conn, int(value))
