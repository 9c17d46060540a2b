"""The reference interpreter: simpleeval, set up with the formula language's semantics.

This is the definition the compiled forms are tested against (see the differential tests).
It is slow and only ever runs checked formulas; it shares the function registry with the
compiled forms but implements the operators and null rules independently, so a mistake in
one form shows up as a disagreement.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

from simpleeval import SimpleEval

from .checker import AGGREGATES, CheckedFormula
from .functions import FunctionRegistry
from .ir import BOOL
from .pycompile import AGGREGATE_FUNCTIONS, EvalContext, power
from .scope import Scope


def _null_safe(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    return lambda a, b: None if a is None or b is None else op(a, b)


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: a is not None and b is not None and op(a, b)


def _divide(a: Any, b: Any) -> Any:
    return None if a is None or b is None or b == 0 else a / b


def _member(negated: bool) -> Callable[[Any, Any], bool]:
    def test(needle: Any, haystack: Any) -> bool:
        if needle is None or haystack is None:
            return False
        found = needle in haystack
        return not found if negated else found

    return test


OPERATORS = {
    ast.Add: _null_safe(operator.add),
    ast.Sub: _null_safe(operator.sub),
    ast.Mult: _null_safe(operator.mul),
    ast.Div: _divide,
    ast.Pow: power,
    ast.Eq: _compare(operator.eq),
    ast.NotEq: _compare(operator.ne),
    ast.Lt: _compare(operator.lt),
    ast.LtE: _compare(operator.le),
    ast.Gt: _compare(operator.gt),
    ast.GtE: _compare(operator.ge),
    ast.In: _member(False),
    ast.NotIn: _member(True),
    ast.Not: lambda a: not a,
    ast.USub: lambda a: None if a is None else -a,
    ast.UAdd: lambda a: a,
}


class ReferenceEvaluator(SimpleEval):
    """Evaluates one checked formula for one record."""

    def __init__(self, record: Mapping[str, Any], ctx: EvalContext, scope: Scope) -> None:
        self.record = record
        self.ctx = ctx
        self.scope = scope
        super().__init__(
            operators=dict(OPERATORS), functions=self._functions(scope.functions), names=self._name
        )
        self.nodes[ast.List] = self._eval_list
        self.nodes[ast.Tuple] = self._eval_list

    def _functions(self, registry: FunctionRegistry) -> dict[str, Callable[..., Any]]:
        functions = {}
        for function in registry:
            functions[function.name] = self._wrap(function)
        return functions

    def _wrap(self, function: Any) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            if not function.takes_nulls and any(a is None for a in args):
                return False if function.returns == BOOL else None
            if function.uses_today:
                return function.python(*args, today=self.ctx.today)
            return function.python(*args)

        return call

    def _name(self, node: ast.Name) -> Any:
        if node.id in ("true", "false"):
            return node.id == "true"
        return self.record[node.id]

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        path: list[str] = []
        current: ast.AST = node
        while isinstance(current, ast.Attribute):
            path.insert(0, current.attr)
            current = current.value
        assert isinstance(current, ast.Name)
        return self.ctx.follow(self.record, (current.id, *path))

    def _eval_boolop(self, node: ast.BoolOp) -> bool:
        values = (bool(self._eval(v)) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)

    def _eval_ifexp(self, node: ast.IfExp) -> Any:
        return self._eval(node.body) if bool(self._eval(node.test)) else self._eval(node.orelse)

    def _eval_unaryop(self, node: ast.UnaryOp) -> Any:
        operand = self._eval(node.operand)
        return self.operators[type(node.op)](operand)

    def _eval_call(self, node: ast.Call) -> Any:
        name = node.func.id  # type: ignore[attr-defined]
        first = node.args[0] if node.args else None
        if name in AGGREGATES and first is not None and _relation_of(first) in self.scope.relations:
            return self._aggregate(name, node)
        return super()._eval_call(node)

    def _aggregate(self, name: str, node: ast.Call) -> Any:
        target = node.args[0]
        relation = self.scope.relations[_relation_of(target)]
        inner_scope = self.scope.for_entity(relation.entity)
        rows = []
        for row in self.ctx.related(self.record, relation.name):
            if len(node.args) == 2:
                keep = ReferenceEvaluator(row, self.ctx, inner_scope)._eval(node.args[1])
                if not bool(keep):
                    continue
            rows.append(row)
        if name == "count":
            return len(rows)
        field = target.attr  # type: ignore[attr-defined]
        return AGGREGATE_FUNCTIONS[name]([row[field] for row in rows])

    def _eval_list(self, node: ast.List) -> tuple[Any, ...]:
        return tuple(self._eval(e) for e in node.elts)

    _eval_tuple = _eval_list


def _relation_of(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def evaluate_reference(
    formula: CheckedFormula, record: Mapping[str, Any], ctx: EvalContext, scope: Scope
) -> Any:
    """Evaluate a checked formula with the reference interpreter."""
    evaluator = ReferenceEvaluator(record, ctx, scope)
    return evaluator.eval(formula.source.strip())
