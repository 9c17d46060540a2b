"""The formulas of approval flows, checked once the whole model is built.

Every formula of a flow — the submit condition, step conditions, approver formulas, the
values effects set — type-checks in its entity's scope, like the model's other formulas (the
loader runs this right after `rules.config_checks`). Then no step may be unreachable: its
condition is never constantly false, nor contradicts itself or the submit condition on the
same field (`amount >= 5000000` with `amount < 1000`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..rules import ir
from ..rules.checker import CheckedFormula, check
from ..rules.functions import FunctionRegistry, default_functions
from ..rules.pycompile import MemoryContext, compile_formula
from ..rules.scope import LINK, Scope
from ..rules.syntax import FormulaError
from .flow_model import Flow
from .model import App
from .source import DocPath

Report = Callable[[str, DocPath, str, str], None]


@dataclass(frozen=True, slots=True)
class FlowFormula:
    """A formula of a flow: where it is written and the type its result must have
    (None: a link to a user or a username)."""

    path: DocPath
    source: str
    expect: str | None


def flow_formulas(app: App, flow: Flow) -> Iterator[FlowFormula]:
    """Every formula a flow holds, with where it is written."""
    base: DocPath = ("flows", flow.name)
    entity = app.entity(flow.entity)
    if flow.submit.when:
        yield FlowFormula((*base, "submit", "when"), flow.submit.when, "bool")
    for index, step in enumerate(flow.steps):
        item: DocPath = (*base, "steps", index)
        if step.when:
            yield FlowFormula((*item, "when"), step.when, "bool")
        for key, approvers in (("approvers", step.approvers), ("escalate_to", step.escalate_to)):
            for position, approver in enumerate(approvers):
                if approver.kind == "formula":
                    yield FlowFormula((*item, key, position, "formula"), approver.value, None)
    for key, effect in flow.effects().items():
        for name, value in effect.set.items():
            if isinstance(value, str):
                expect = entity.fields[name].kind.value_type
                yield FlowFormula((*base, key, "set", name), value, expect)


def check_flow_formulas(app: App, report: Report) -> None:
    """Type-check every flow formula; report steps that can never run (FW803)."""
    functions = default_functions()
    for flow in app.flows.values():
        scope = Scope(app, flow.entity, functions)
        checked: dict[DocPath, CheckedFormula] = {}
        for formula in flow_formulas(app, flow):
            try:
                result = check(formula.source, scope, expect=formula.expect)
            except FormulaError as exc:
                where = f" (at column {exc.column})" if exc.column > 0 else ""
                hint = exc.hint or "See docs/formulas.md and docs/flows.md."
                report(exc.code, formula.path, f"{exc.message}{where}", hint)
                continue
            if formula.expect is None and result.type not in (LINK, "text", "null"):
                report(
                    "FW503",
                    formula.path,
                    f"the formula gives {result.type}, but an approver is a link to a user "
                    "or a username",
                    "e.g. `account.manager`, or `'ceo' if amount > 1000000 else 'cfo'`.",
                )
                continue
            checked[formula.path] = result
        _check_reachable(flow, checked, functions, report)


def _check_reachable(
    flow: Flow,
    checked: Mapping[DocPath, CheckedFormula],
    functions: FunctionRegistry,
    report: Report,
) -> None:
    base: DocPath = ("flows", flow.name)
    submit = checked.get((*base, "submit", "when"))
    for index, step in enumerate(flow.steps):
        path: DocPath = (*base, "steps", index, "when")
        condition = checked.get(path)
        if condition is None:
            continue
        if _constantly_false(condition, functions):
            report(
                "FW803",
                path,
                f"step {step.name!r} never runs: its condition is always false",
                "Fix the condition, or remove the step.",
            )
            continue
        roots = [condition.root] + ([submit.root] if submit is not None else [])
        clash = _contradiction(roots)
        if clash:
            report(
                "FW803",
                path,
                f"step {step.name!r} never runs: {clash}",
                "A record submitted can never meet this condition; fix it or submit.when.",
            )


def _constantly_false(formula: CheckedFormula, functions: FunctionRegistry) -> bool:
    if any(isinstance(n, ir.Ref | ir.Aggregate) for n in ir.walk(formula.root)):
        return False
    if any(isinstance(n, ir.Call) and n.name in ("today", "now") for n in ir.walk(formula.root)):
        return False
    return not compile_formula(formula, functions)({}, MemoryContext())


# -- contradictions between comparisons of one field with constants ------------------------
@dataclass
class _Range:
    low: float = -math.inf
    low_open: bool = False
    high: float = math.inf
    high_open: bool = False
    equals: Any = None

    def empty(self) -> bool:
        return self.low > self.high or (self.low == self.high and (self.low_open or self.high_open))


FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _contradiction(roots: list[ir.Node]) -> str:
    """Why the conjunction of `roots` can never hold ("" when it may): comparisons of the same
    field with constants whose ranges do not overlap, or equal to two different values."""
    ranges: dict[tuple[str, ...], _Range] = {}
    for root in roots:
        for node in _conjuncts(root):
            if not isinstance(node, ir.Compare):
                continue
            if isinstance(node.left, ir.Ref) and isinstance(node.right, ir.Const):
                ref, op, value = node.left, node.op, node.right.value
            elif isinstance(node.right, ir.Ref) and isinstance(node.left, ir.Const):
                ref, op, value = node.right, FLIPPED[node.op], node.left.value
            else:
                continue
            if value is None or isinstance(value, bool):
                continue
            span = ranges.setdefault(ref.path, _Range())
            name = ".".join(ref.path)
            if op == "==":
                if span.equals is not None and span.equals != value:
                    return f"{name} cannot be both {span.equals!r} and {value!r}"
                span.equals = value
                if isinstance(value, int | float):
                    _narrow(span, ">=", value)
                    _narrow(span, "<=", value)
            elif op != "!=" and isinstance(value, int | float):
                _narrow(span, op, value)
            if span.empty():
                return f"no value of {name} meets every comparison with it"
    return ""


def _narrow(span: _Range, op: str, value: float) -> None:
    """Tighten the range by `field op value` (only where that is tighter than before)."""
    tighter_low = value > span.low or (value == span.low and op == ">")
    tighter_high = value < span.high or (value == span.high and op == "<")
    if op in (">", ">=") and tighter_low:
        span.low, span.low_open = value, op == ">"
    elif op in ("<", "<=") and tighter_high:
        span.high, span.high_open = value, op == "<"


def _conjuncts(node: ir.Node) -> Iterator[ir.Node]:
    if isinstance(node, ir.Logic) and node.op == "and":
        for operand in node.operands:
            yield from _conjuncts(operand)
    else:
        yield node
