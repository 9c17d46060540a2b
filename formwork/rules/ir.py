"""The checked form of a formula: a small typed tree that every back end walks.

The type checker turns the Python AST into these nodes, each carrying its value type; the
Python compiler, the SQL compiler and the dependency graph read them, never the raw AST.
Value types are plain strings: number, text, bool, date, datetime, list (of text), null.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NUMBER, TEXT, BOOL, DATE, DATETIME, LIST, NULL = (
    "number",
    "text",
    "bool",
    "date",
    "datetime",
    "list",
    "null",
)
ORDERED = frozenset({NUMBER, TEXT, DATE, DATETIME})


@dataclass(frozen=True, slots=True)
class Node:
    type: str


@dataclass(frozen=True, slots=True)
class Const(Node):
    value: Any


@dataclass(frozen=True, slots=True)
class Ref(Node):
    """A field of the record (`amount`) or, through links, of a linked record (`account.tier`)."""

    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # "neg", "pos", "not"
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str  # "+", "-", "*", "/", "**"
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Compare(Node):
    op: str  # "==", "!=", "<", "<=", ">", ">="
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Logic(Node):
    op: str  # "and", "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Cond(Node):
    test: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Member(Node):
    """`needle in haystack`: a literal list of values, or a multiselect field."""

    needle: Node
    haystack: Node | tuple[Node, ...]
    negated: bool


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Aggregate(Node):
    """`sum(orders.amount)`, `count(tickets, status == 'open')` over related records."""

    func: str  # "sum", "count", "avg", "min", "max"
    relation: str
    field: str | None
    where: Node | None


def walk(node: Node):
    """Every node of the tree, parents before children (not into aggregate conditions)."""
    yield node
    children: tuple[Any, ...] = ()
    if isinstance(node, Unary):
        children = (node.operand,)
    elif isinstance(node, Binary | Compare):
        children = (node.left, node.right)
    elif isinstance(node, Logic):
        children = node.operands
    elif isinstance(node, Cond):
        children = (node.test, node.then, node.otherwise)
    elif isinstance(node, Member):
        rest = node.haystack if isinstance(node.haystack, tuple) else (node.haystack,)
        children = (node.needle, *rest)
    elif isinstance(node, Call):
        children = node.args
    for child in children:
        yield from walk(child)
