"""Formula syntax: Python-like expressions, parsed with `ast` and held to an allow-list.

Only the node kinds listed here may appear. There is no attribute access except the dotted
paths through declared relations (checked later, by the type checker), no subscripts, no
lambdas or comprehensions, no method calls, no dunder names, no keyword arguments. Size is
bounded (characters, nodes, nesting), so a formula cannot be made expensive to even read.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

MAX_LENGTH = 2000
MAX_NODES = 400
MAX_DEPTH = 100

ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.IfExp,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Attribute,
    ast.List,
    ast.Tuple,
)
_WHAT = {
    ast.Subscript: "indexing with [ ]",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.Dict: "dict literals",
    ast.Set: "set literals",
    ast.NamedExpr: ":=",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Invert: "~",
    ast.MatMult: "@",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.JoinedStr: "f-strings",
    ast.Starred: "*args",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.Slice: "slices",
}


class FormulaError(ValueError):
    """A formula that cannot be used: `message` says why, `column` where (1-based; 0 unknown)."""

    def __init__(self, message: str, column: int = 0, hint: str = "", code: str = "FW501") -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.hint = hint
        #: The config problem code: FW501 not allowed, FW502 unknown name, FW503 wrong types.
        self.code = code


@dataclass(frozen=True, slots=True)
class ParsedFormula:
    source: str
    tree: ast.Expression


def parse(source: str) -> ParsedFormula:
    """Parse and allow-list-check a formula; FormulaError otherwise."""
    if not isinstance(source, str):
        raise FormulaError("a formula is text", hint="Quote the formula in YAML if needed.")
    if not source.strip():
        raise FormulaError("the formula is empty")
    if len(source) > MAX_LENGTH:
        raise FormulaError(
            f"the formula is longer than {MAX_LENGTH} characters",
            hint="Split it into computed fields.",
        )
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(
            f"syntax error: {exc.msg}",
            exc.offset or 0,
            "Formulas are Python-like expressions: a * 2 + b, x if c else y.",
        ) from None
    except (ValueError, RecursionError, MemoryError):
        raise FormulaError(
            "the formula cannot be read (too deeply nested or invalid characters)"
        ) from None
    _check(tree)
    return ParsedFormula(source, tree)


def _check(tree: ast.Expression) -> None:
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise FormulaError(
                f"the formula has more than {MAX_NODES} parts",
                hint="Split it into computed fields.",
            )
        if depth > MAX_DEPTH:
            raise FormulaError(f"the formula nests deeper than {MAX_DEPTH} levels", _col(node))
        if not isinstance(node, ALLOWED_NODES):
            what = _WHAT.get(type(node), type(node).__name__)
            raise FormulaError(f"{what} is not allowed in formulas", _col(node))
        _check_node(node)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_node(node: ast.AST) -> None:
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise FormulaError(f"names starting with _ are not allowed: {node.id}", _col(node))
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            raise FormulaError(f"names starting with _ are not allowed: {node.attr}", _col(node))
        base = node.value
        while isinstance(base, ast.Attribute):
            base = base.value
        if not isinstance(base, ast.Name):
            raise FormulaError(
                "only field paths such as account.tier may use a dot",
                _col(node),
                "Methods on values are not available; use functions: lower(name).",
            )
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise FormulaError(
                "only functions can be called, e.g. round(x, 2)",
                _col(node),
                "Methods on values are not available; use functions: upper(name).",
            )
        if node.keywords:
            raise FormulaError("keyword arguments are not allowed", _col(node))
    if isinstance(node, ast.Constant):
        value = node.value
        if not isinstance(value, bool | int | float | str) and value is not None:
            raise FormulaError(f"{type(value).__name__} literals are not allowed", _col(node))
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
            raise FormulaError("numbers are limited to 15 digits", _col(node))
        if isinstance(value, str) and len(value) > 500:
            raise FormulaError("text literals are limited to 500 characters", _col(node))


def _col(node: ast.AST) -> int:
    return getattr(node, "col_offset", -1) + 1
