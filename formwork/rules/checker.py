"""The formula type checker: Python AST → typed IR, or a FormulaError that says where and why.

Names must be fields (or field paths through links), functions must be registered and called
with the right number and types of arguments, operators must fit their operands. Aggregates
(`sum(orders.amount)`, `count(tickets, status == 'open')`) are recognised here: their
condition is checked in the scope of the related entity.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from . import ir
from .ir import BOOL, LIST, NULL, NUMBER, ORDERED, TEXT
from .scope import LINK, Scope
from .syntax import FormulaError, ParsedFormula, parse

AGGREGATES = ("sum", "count", "avg", "min", "max")
MAX_POWER = 100
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


@dataclass(frozen=True, slots=True)
class CheckedFormula:
    source: str
    root: ir.Node

    @property
    def type(self) -> str:
        return self.root.type

    def fields(self) -> frozenset[str]:
        """The entity's own fields the formula reads (first step of every path)."""
        return frozenset(n.path[0] for n in ir.walk(self.root) if isinstance(n, ir.Ref))

    def links(self) -> frozenset[tuple[str, ...]]:
        """Field paths that go through links (e.g. ("account", "tier"))."""
        return frozenset(
            n.path for n in ir.walk(self.root) if isinstance(n, ir.Ref) and len(n.path) > 1
        )

    def aggregates(self) -> tuple[ir.Aggregate, ...]:
        return tuple(n for n in ir.walk(self.root) if isinstance(n, ir.Aggregate))


def check(source: str, scope: Scope, expect: str | None = None) -> CheckedFormula:
    """Parse and type-check `source` in `scope`; `expect` is the type the result must have."""
    parsed: ParsedFormula = parse(source)
    root = _Checker(scope).visit(parsed.tree.body)
    if expect is not None and root.type not in (expect, NULL):
        raise FormulaError(
            f"the formula gives {_a(root.type)}, but {_a(expect)} is needed", code="FW503"
        )
    return CheckedFormula(source, root)


def _a(type_: str) -> str:
    return {
        "number": "a number",
        "text": "text",
        "bool": "true/false",
        "date": "a date",
        "datetime": "a date and time",
        "list": "a list of choices",
        "null": "nothing",
        LINK: "a link",
    }.get(type_, type_)


class _Checker:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def fail(
        self, node: ast.AST, message: str, hint: str = "", code: str = "FW503"
    ) -> FormulaError:
        return FormulaError(message, getattr(node, "col_offset", -1) + 1, hint, code)

    def visit(self, node: ast.AST) -> ir.Node:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            raise self.fail(node, f"{type(node).__name__} is not allowed here")
        return method(node)

    # -- leaves ----------------------------------------------------------------------------
    def visit_Constant(self, node: ast.Constant) -> ir.Node:
        value = node.value
        if value is None:
            return ir.Const(NULL, None)
        if isinstance(value, bool):
            return ir.Const(BOOL, value)
        if isinstance(value, int | float):
            return ir.Const(NUMBER, value)
        return ir.Const(TEXT, value)

    def visit_Name(self, node: ast.Name) -> ir.Node:
        if node.id in ("true", "false"):
            return ir.Const(BOOL, node.id == "true")
        if node.id in self.scope.relations:
            raise self.fail(
                node,
                f"{node.id} is a list of related records",
                f"Aggregate it: count({node.id}) or sum({node.id}.<field>).",
            )
        return ir.Ref(self.scope.resolve((node.id,), node.col_offset + 1), (node.id,))

    def visit_Attribute(self, node: ast.Attribute) -> ir.Node:
        path = _path(node)
        if path[0] in self.scope.relations:
            raise self.fail(
                node,
                f"{path[0]} is a list of related records",
                f"Aggregate it: sum({'.'.join(path)}), max(...), count({path[0]}).",
            )
        return ir.Ref(self.scope.resolve(path, node.col_offset + 1), path)

    # -- operators -------------------------------------------------------------------------
    def visit_UnaryOp(self, node: ast.UnaryOp) -> ir.Node:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            self.expect(node.operand, operand, BOOL, "not")
            return ir.Unary(BOOL, "not", operand)
        self.expect(node.operand, operand, NUMBER, "a sign")
        if isinstance(operand, ir.Const) and operand.value is not None:
            return ir.Const(
                NUMBER, -operand.value if isinstance(node.op, ast.USub) else operand.value
            )
        return ir.Unary(NUMBER, "neg" if isinstance(node.op, ast.USub) else "pos", operand)

    def visit_BinOp(self, node: ast.BinOp) -> ir.Node:
        op = _BINARY[type(node.op)]
        left, right = self.visit(node.left), self.visit(node.right)
        if op == "+" and TEXT in (left.type, right.type):
            self.expect(node.left, left, TEXT, "+ with text")
            self.expect(node.right, right, TEXT, "+ with text")
            return ir.Binary(TEXT, op, left, right)
        self.expect(node.left, left, NUMBER, op)
        self.expect(node.right, right, NUMBER, op)
        bounded = isinstance(right, ir.Const) and right.value is not None
        if op == "**" and bounded and abs(right.value) > MAX_POWER:  # type: ignore[attr-defined]
            raise self.fail(node.right, f"exponents are limited to ±{MAX_POWER}", code="FW501")
        return ir.Binary(NUMBER, op, left, right)

    def visit_BoolOp(self, node: ast.BoolOp) -> ir.Node:
        word = "and" if isinstance(node.op, ast.And) else "or"
        operands = tuple(self.visit(v) for v in node.values)
        for source, operand in zip(node.values, operands, strict=True):
            self.expect(source, operand, BOOL, word)
        return ir.Logic(BOOL, word, operands)

    def visit_Compare(self, node: ast.Compare) -> ir.Node:
        if len(node.ops) > 1 and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
            raise self.fail(
                node, "`in` cannot be chained with other comparisons", "Use parentheses and `and`."
            )
        if isinstance(node.ops[0], ast.In | ast.NotIn):
            needle = self.visit(node.left)
            return self.membership(
                node.left, needle, node.comparators[0], isinstance(node.ops[0], ast.NotIn)
            )
        # a < b < c means a < b and b < c, as in Python.
        parts: list[ir.Node] = []
        left = self.visit(node.left)
        for op, right_src in zip(node.ops, node.comparators, strict=True):
            right = self.visit(right_src)
            parts.append(self.comparison(node, _COMPARE[type(op)], left, right))
            left = right
        return parts[0] if len(parts) == 1 else ir.Logic(BOOL, "and", tuple(parts))

    def comparison(self, node: ast.AST, op: str, left: ir.Node, right: ir.Node) -> ir.Node:
        if NULL in (left.type, right.type):
            raise self.fail(
                node,
                "comparing with None is always false",
                "Use is_empty(x) to test for an empty value.",
            )
        if left.type != right.type:
            raise self.fail(node, f"cannot compare {_a(left.type)} with {_a(right.type)}")
        if op not in ("==", "!=") and left.type not in ORDERED:
            raise self.fail(node, f"{_a(left.type)} cannot be compared with {op}")
        return ir.Compare(BOOL, op, left, right)

    def membership(
        self, node: ast.AST, needle: ir.Node, haystack_src: ast.AST, negated: bool
    ) -> ir.Node:
        if _is_list(haystack_src):
            items = tuple(self.visit(e) for e in haystack_src.elts)  # type: ignore[attr-defined]
            if not items:
                raise self.fail(haystack_src, "the list after `in` is empty")
            for item in items:
                if not isinstance(item, ir.Const) or item.type != needle.type:
                    raise self.fail(
                        haystack_src, f"the list after `in` must hold {_a(needle.type)} literals"
                    )
            return ir.Member(BOOL, needle, items, negated)
        haystack = self.visit(haystack_src)
        if haystack.type == LIST:
            self.expect(node, needle, TEXT, "in a list of choices")
            return ir.Member(BOOL, needle, haystack, negated)
        if haystack.type == TEXT and needle.type == TEXT:
            return (
                ir.Call(BOOL, "contains", (haystack, needle))
                if not negated
                else ir.Unary(BOOL, "not", ir.Call(BOOL, "contains", (haystack, needle)))
            )
        raise self.fail(
            haystack_src, "`in` needs a list such as ['a', 'b'], a multiselect field or text"
        )

    def visit_IfExp(self, node: ast.IfExp) -> ir.Node:
        test = self.visit(node.test)
        self.expect(node.test, test, BOOL, "if")
        then, otherwise = self.visit(node.body), self.visit(node.orelse)
        types = {then.type, otherwise.type} - {NULL}
        if len(types) > 1:
            raise self.fail(
                node,
                f"both branches must give the same type, not {_a(then.type)} and "
                f"{_a(otherwise.type)}",
            )
        return ir.Cond(types.pop() if types else NULL, test, then, otherwise)

    # -- calls -----------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> ir.Node:
        name = node.func.id  # type: ignore[attr-defined] - syntax allows only names
        if name in AGGREGATES and node.args and _relation_arg(node.args[0], self.scope):
            return self.aggregate(node, name)
        function = self.scope.functions.get(name)
        if function is None:
            import difflib

            close = difflib.get_close_matches(name, self.scope.functions.names(), n=1)
            hint = f"Did you mean {close[0]}()?" if close else "See the list of functions."
            raise self.fail(node, f"unknown function {name}()", hint, code="FW502")
        low, high = function.arity()
        count = len(node.args)
        if count < low or (high is not None and count > high):
            wanted = (
                f"{low}" if low == high else f"{low} or more" if high is None else f"{low}–{high}"
            )
            raise self.fail(node, f"{name}() takes {wanted} argument(s), not {count}")
        args = tuple(self.visit(a) for a in node.args)
        for index, (source, arg) in enumerate(zip(node.args, args, strict=True)):
            if not function.accepts(index, arg.type):
                raise self.fail(
                    source, f"argument {index + 1} of {name}() cannot be {_a(arg.type)}"
                )
        if name == "coalesce":
            kinds = {a.type for a in args} - {NULL}
            if len(kinds) > 1:
                raise self.fail(node, "coalesce() needs arguments of one type")
        return ir.Call(function.result_type([a.type for a in args]), name, args)

    def aggregate(self, node: ast.Call, func: str) -> ir.Node:
        target = node.args[0]
        path = _path(target)
        relation = self.scope.relations[path[0]]
        if len(node.args) > 2:
            raise self.fail(node, f"{func}() takes a relation and an optional condition")
        inner = self.scope.for_entity(relation.entity)
        field = None
        if len(path) == 2:
            field = path[1]
            kind = inner.resolve((field,), target.col_offset + 1)
            if func in ("sum", "avg") and kind != NUMBER:
                raise self.fail(target, f"{func}() needs a number field, {field} is {_a(kind)}")
            if func in ("min", "max") and kind not in ORDERED:
                raise self.fail(target, f"{func}() needs a number, text or date field")
        elif len(path) > 2:
            raise self.fail(
                target, "aggregate a field of the related records, e.g. sum(orders.amount)"
            )
        elif func != "count":
            raise self.fail(target, f"{func}() needs a field: {func}({path[0]}.<field>)")
        where = None
        if len(node.args) == 2:
            where = _Checker(inner).visit(node.args[1])
            self.expect(node.args[1], where, BOOL, "an aggregate's condition")
        result = NUMBER if func in ("sum", "count", "avg") else kind
        return ir.Aggregate(result, func, relation.name, field, where)

    def expect(self, node: ast.AST, value: ir.Node, wanted: str, where: str) -> None:
        if value.type not in (wanted, NULL):
            raise self.fail(node, f"{where} needs {_a(wanted)}, not {_a(value.type)}")


def _path(node: ast.AST) -> tuple[str, ...]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):  # syntax.py allows dots on names only
        raise FormulaError("only field paths may use a dot")
    parts.append(node.id)
    return tuple(reversed(parts))


def _is_list(node: ast.AST) -> bool:
    return isinstance(node, ast.List | ast.Tuple)


def _relation_arg(node: ast.AST, scope: Scope) -> bool:
    if isinstance(node, ast.Name | ast.Attribute):
        try:
            return _path(node)[0] in scope.relations
        except FormulaError:
            return False
    return False
