"""Checked formulas → Python functions, at close to hand-written speed.

The typed tree is turned into the source of one small function, `f(r, ctx)`, which is
compiled once. Null handling is spelled out inline with assignment expressions, so a formula
such as `a * 2 + b` costs a few dict lookups and comparisons, not a tree walk. Only literals
from the checked tree (repr of str, int, float, bool) and field names (checked identifiers)
reach the generated source.

`r` is the record as a dict of formula values (numbers as int/float); `ctx` gives today's
date, follows links (`ctx.follow(r, path)`) and lists related records (`ctx.related(r, name)`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import ir
from .checker import CheckedFormula
from .functions import FunctionRegistry

MAX_POWER = 100
MAX_MAGNITUDE = 1e300


class EvalContext(Protocol):
    today: dt.date

    def follow(self, record: Mapping[str, Any], path: tuple[str, ...]) -> Any: ...

    def related(self, record: Mapping[str, Any], relation: str) -> list[Mapping[str, Any]]: ...


@dataclass
class MemoryContext:
    """An evaluation context over data already in memory (tests, previews, config tests)."""

    today: dt.date = field(default_factory=dt.date.today)
    links: Mapping[tuple[str, ...], Any] = field(default_factory=dict)
    relations: Mapping[str, list[Mapping[str, Any]]] = field(default_factory=dict)

    def follow(self, record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
        return self.links.get(path)

    def related(self, record: Mapping[str, Any], relation: str) -> list[Mapping[str, Any]]:
        return list(self.relations.get(relation, ()))


CompiledFormula = Callable[[Mapping[str, Any], EvalContext], Any]


def power(base: float | None, exponent: float | None) -> float | None:
    """`**` with bounds: null for huge exponents, complex results and overflow."""
    if base is None or exponent is None or abs(exponent) > MAX_POWER:
        return None
    if base < 0 and exponent != int(exponent):
        return None
    if base == 0 and exponent < 0:
        return None
    try:
        result = math.pow(base, exponent)
    except (OverflowError, ValueError):
        return None
    return result if abs(result) <= MAX_MAGNITUDE else None


def _sum(values: list[Any]) -> float:
    return sum(v for v in values if v is not None)


def _avg(values: list[Any]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _agg_min(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _agg_max(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


AGGREGATE_FUNCTIONS = {"sum": _sum, "avg": _avg, "min": _agg_min, "max": _agg_max}


def compile_formula(formula: CheckedFormula, functions: FunctionRegistry) -> CompiledFormula:
    """The formula as a Python function `f(record, ctx)`."""
    generator = SourceGenerator(functions)
    body = generator.expr(formula.root, "r")
    return generator.build(f"    return {body}", f"<formula {formula.source[:60]!r}>")


class SourceGenerator:
    """Writes the Python source of formulas; several formulas can share one function."""

    def __init__(self, functions: FunctionRegistry) -> None:
        self.functions = functions
        self.namespace: dict[str, Any] = {
            "_pow": power,
            "_bool": bool,
            "_len": len,
            **{f"_agg_{name}": fn for name, fn in AGGREGATE_FUNCTIONS.items()},
        }
        self.counter = 0

    def build(self, body: str, name: str) -> CompiledFormula:
        """Compile `body` (indented statements over `r` and `ctx`) into `f(r, ctx)`."""
        source = f"def formula(r, ctx):\n{body}\n"
        namespace: dict[str, Any] = {"__builtins__": {}, **self.namespace}
        exec(compile(source, name, "exec"), namespace)
        function = namespace["formula"]
        function.source = source
        return function

    def temp(self) -> str:
        self.counter += 1
        return f"_t{self.counter}"

    def expr(self, node: ir.Node, rec: str) -> str:
        if isinstance(node, ir.Const):
            return repr(node.value)
        if isinstance(node, ir.Ref):
            if len(node.path) == 1:
                return f"{rec}[{node.path[0]!r}]"
            return f"ctx.follow({rec}, {node.path!r})"
        if isinstance(node, ir.Unary):
            inner = self.expr(node.operand, rec)
            if node.op == "not":
                return f"(not {inner})"
            t = self.temp()
            sign = "-" if node.op == "neg" else "+"
            return f"(None if ({t} := {inner}) is None else {sign}{t})"
        if isinstance(node, ir.Binary):
            return self.binary(node, rec)
        if isinstance(node, ir.Compare):
            a, b = self.temp(), self.temp()
            left, right = self.expr(node.left, rec), self.expr(node.right, rec)
            both = f"({a} := {left}) is not None and ({b} := {right}) is not None"
            return f"({both} and {a} {node.op} {b})"
        if isinstance(node, ir.Logic):
            return (
                "("
                + f" {node.op} ".join(f"_bool({self.expr(o, rec)})" for o in node.operands)
                + ")"
            )
        if isinstance(node, ir.Cond):
            test = self.expr(node.test, rec)
            return f"({self.expr(node.then, rec)} if {test} else {self.expr(node.otherwise, rec)})"
        if isinstance(node, ir.Member):
            return self.member(node, rec)
        if isinstance(node, ir.Call):
            return self.call(node, rec)
        if isinstance(node, ir.Aggregate):
            return self.aggregate(node, rec)
        raise TypeError(f"cannot compile {type(node).__name__}")  # pragma: no cover

    def binary(self, node: ir.Binary, rec: str) -> str:
        left, right = self.expr(node.left, rec), self.expr(node.right, rec)
        if node.op == "**":
            return f"_pow({left}, {right})"
        a, b = self.temp(), self.temp()
        guard = f"({a} := {left}) is None or ({b} := {right}) is None"
        if node.op == "/":
            guard += f" or {b} == 0"
        return f"(None if {guard} else {a} {node.op} {b})"

    def member(self, node: ir.Member, rec: str) -> str:
        t = self.temp()
        needle = self.expr(node.needle, rec)
        word = "not in" if node.negated else "in"
        if isinstance(node.haystack, tuple):
            values = "(" + "".join(f"{self.expr(i, rec)}, " for i in node.haystack) + ")"
            return f"(({t} := {needle}) is not None and {t} {word} {values})"
        h = self.temp()
        haystack = self.expr(node.haystack, rec)
        both = f"({t} := {needle}) is not None and ({h} := {haystack}) is not None"
        return f"({both} and {t} {word} {h})"

    def call(self, node: ir.Call, rec: str) -> str:
        function = self.functions.get(node.name)
        assert function is not None  # the checker resolved it
        name = f"_fn_{node.name}"
        self.namespace[name] = function.python
        args = [self.expr(a, rec) for a in node.args]
        if function.uses_today:
            args.append("today=ctx.today")
        if function.takes_nulls or not node.args:
            return f"{name}({', '.join(args)})"
        temps = [self.temp() for _ in node.args]
        guard = " or ".join(f"({t} := {a}) is None" for t, a in zip(temps, args, strict=False))
        call_args = temps + args[len(temps) :]
        empty = "False" if node.type == ir.BOOL else "None"  # a test on nothing is false
        return f"({empty} if {guard} else {name}({', '.join(call_args)}))"

    def aggregate(self, node: ir.Aggregate, rec: str) -> str:
        row = self.temp()
        rows = f"ctx.related({rec}, {node.relation!r})"
        condition = f" if {self.expr(node.where, row)}" if node.where is not None else ""
        if node.func == "count":
            return f"_len([1 for {row} in {rows}{condition}])"
        values = f"[{row}[{node.field!r}] for {row} in {rows}{condition}]"
        return f"_agg_{node.func}({values})"
