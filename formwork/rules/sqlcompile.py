"""Checked formulas → SQLAlchemy SQL expressions, so bulk work runs inside the database.

The SQL form keeps the formula language's semantics, which are two-valued where SQL's are
three-valued: comparisons with an empty value are false (not NULL), `not` of an empty value
is true, division by zero is empty. Links become correlated scalar subqueries and aggregates
correlated aggregate subqueries; both dialects (SQLite, PostgreSQL) are supported.
Functions without an SQL form make `to_sql` raise `NotCompilable`; callers then fall back
to evaluating in Python.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from ..metamodel.model import USER_ENTITY, App
from ..store.tables import Tables, table_name_of
from . import ir
from .checker import CheckedFormula
from .functions import FunctionRegistry, SqlContext
from .scope import relations_of


class NotCompilable(Exception):
    """The formula uses something without an SQL form."""


def to_sql(
    formula: CheckedFormula,
    app: App,
    entity: str,
    tables: Tables,
    functions: FunctionRegistry,
    ctx: SqlContext,
    table: sa.Table | None = None,
) -> ColumnElement[Any]:
    """The formula as an SQL expression over `entity`'s table (or the given alias of it)."""
    compiler = _SqlCompiler(app, tables, functions, ctx)
    return compiler.expr(formula.root, entity, table if table is not None else tables[entity])


def _false() -> ColumnElement[Any]:
    return sa.false()


class _SqlCompiler:
    def __init__(
        self, app: App, tables: Tables, functions: FunctionRegistry, ctx: SqlContext
    ) -> None:
        self.app = app
        self.tables = tables
        self.functions = functions
        self.ctx = ctx
        self.aliases = 0

    def truth(self, value: ColumnElement[Any]) -> ColumnElement[Any]:
        return sa.func.coalesce(value, _false())

    def test(self, node: ir.Node, entity: str, table: Any) -> ColumnElement[Any]:
        """A true/false value that is never NULL (comparisons and calls already are not)."""
        value = self.expr(node, entity, table)
        if isinstance(node, ir.Compare | ir.Logic | ir.Member | ir.Call | ir.Unary):
            return value
        return self.truth(value)

    def expr(self, node: ir.Node, entity: str, table: sa.Table | Any) -> ColumnElement[Any]:
        if isinstance(node, ir.Const):
            return self.const(node)
        if isinstance(node, ir.Ref):
            return self.ref(node, entity, table)
        if isinstance(node, ir.Unary):
            if node.op == "not":
                return sa.not_(self.test(node.operand, entity, table))
            inner = self.expr(node.operand, entity, table)
            return -inner if node.op == "neg" else inner
        if isinstance(node, ir.Binary):
            return self.binary(node, entity, table)
        if isinstance(node, ir.Compare):
            left, right = self.expr(node.left, entity, table), self.expr(node.right, entity, table)
            if node.left.type == ir.TEXT and self.ctx.dialect == "postgresql":
                # Compare text by code point, as Python does, whatever the database's collation.
                left, right = left.collate("C"), right.collate("C")
            return self.truth(left.operate(_OPERATORS[node.op], right))
        if isinstance(node, ir.Logic):
            parts = [self.test(o, entity, table) for o in node.operands]
            return sa.and_(*parts) if node.op == "and" else sa.or_(*parts)
        if isinstance(node, ir.Cond):
            test = self.test(node.test, entity, table)
            return sa.case(
                (test, self.expr(node.then, entity, table)),
                else_=self.expr(node.otherwise, entity, table),
            )
        if isinstance(node, ir.Member):
            return self.member(node, entity, table)
        if isinstance(node, ir.Call):
            return self.call(node, entity, table)
        if isinstance(node, ir.Aggregate):
            return self.aggregate(node, entity, table)
        raise NotCompilable(type(node).__name__)  # pragma: no cover

    def const(self, node: ir.Const) -> ColumnElement[Any]:
        if node.value is None:
            return sa.null()
        if isinstance(node.value, bool):
            return sa.true() if node.value else sa.false()
        if isinstance(node.value, float):
            return sa.literal(node.value, sa.Float)
        if isinstance(node.value, int):
            return sa.literal(node.value, sa.BigInteger)
        return sa.literal(node.value, sa.String)

    def ref(self, node: ir.Ref, entity: str, table: sa.Table | Any) -> ColumnElement[Any]:
        column = table.c[node.path[0]]
        if len(node.path) == 1:
            return self.number(column) if node.type == ir.NUMBER else column
        # Follow the link: a correlated scalar subquery, one per hop.
        field = self.app.entity(entity).fields[node.path[0]]
        target_entity = field.setting("to")
        target = self.alias(table_name_of(target_entity))
        rest = ir.Ref(node.type, node.path[1:])
        if target_entity == USER_ENTITY:
            inner: ColumnElement[Any] = target.c[rest.path[0]]
        else:
            inner = self.ref(rest, target_entity, target)
        return sa.select(inner).where(target.c.id == column).scalar_subquery()

    def number(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """Numbers are floating point in formulas, as in the Python evaluation.

        On PostgreSQL exact decimals are cast; on SQLite (which stores REAL already) the type is
        only relabelled, so results are not quantized by the column's own type on the way out.
        """
        if not isinstance(column.type, sa.Numeric | sa.types.TypeDecorator):
            return column
        if self.ctx.dialect == "postgresql":
            return sa.cast(column, sa.Float)
        return sa.type_coerce(column, sa.Float)

    def alias(self, table_name: str) -> Any:
        self.aliases += 1
        return self.tables.metadata.tables[table_name].alias(f"f{self.aliases}")

    def binary(self, node: ir.Binary, entity: str, table: Any) -> ColumnElement[Any]:
        left, right = self.expr(node.left, entity, table), self.expr(node.right, entity, table)
        if node.type == ir.TEXT:
            return left.concat(right)
        if node.op == "/":
            divisor = sa.func.nullif(sa.cast(right, sa.Float), 0)
            return sa.type_coerce(sa.cast(left, sa.Float).op("/")(divisor), sa.Float)
        if node.op == "**":
            return self.power(left, right)
        return left.operate(_OPERATORS[node.op], right)

    def power(self, base: ColumnElement[Any], exponent: ColumnElement[Any]) -> ColumnElement[Any]:
        # The same bounds as the Python form: null for huge exponents and complex results.
        fractional = exponent != sa.func.round(exponent)
        result = sa.func.power(sa.cast(base, sa.Float), sa.cast(exponent, sa.Float))
        return sa.case(
            (sa.or_(base.is_(None), exponent.is_(None)), sa.null()),
            (sa.func.abs(exponent) > 100, sa.null()),
            (sa.and_(base < 0, fractional), sa.null()),
            (sa.and_(base == 0, exponent < 0), sa.null()),
            (sa.func.abs(sa.cast(base, sa.Float)) > 1e15, sa.null()),
            else_=result,
        )

    def member(self, node: ir.Member, entity: str, table: Any) -> ColumnElement[Any]:
        needle = self.expr(node.needle, entity, table)
        if isinstance(node.haystack, tuple):
            values = [n.value for n in node.haystack if isinstance(n, ir.Const)]
            test = needle.not_in(values) if node.negated else needle.in_(values)
            return self.truth(test)
        haystack = self.expr(node.haystack, entity, table)
        if self.ctx.dialect == "postgresql":
            found: ColumnElement[Any] = sa.type_coerce(haystack, JSONB).has_key(needle)
        else:
            each = sa.func.json_each(haystack).table_valued("value")
            found = sa.exists(
                sa.select(sa.literal(1)).select_from(each).where(each.c.value == needle)
            )
        present = sa.and_(needle.is_not(None), haystack.is_not(None))
        return sa.and_(present, sa.not_(found) if node.negated else found)

    def call(self, node: ir.Call, entity: str, table: Any) -> ColumnElement[Any]:
        function = self.functions.get(node.name)
        if function is None or function.sql is None:
            raise NotCompilable(f"{node.name}() has no SQL form")
        args = [self.expr(a, entity, table) for a in node.args]
        result = function.sql(args, self.ctx)
        return self.truth(result) if node.type == ir.BOOL else result

    def aggregate(self, node: ir.Aggregate, entity: str, table: Any) -> ColumnElement[Any]:
        relation = relations_of(self.app, entity)[node.relation]
        related = self.alias(relation.entity)
        conditions = [related.c[relation.via] == table.c.id]
        if node.where is not None:
            conditions.append(self.test(node.where, relation.entity, related))
        if node.func == "count":
            value: ColumnElement[Any] = sa.func.count()
        else:
            column = (
                self.number(related.c[node.field])
                if node.type == ir.NUMBER
                else related.c[node.field]
            )
            value = getattr(sa.func, node.func)(column)
            if node.func == "avg":
                value = sa.cast(value, sa.Float)
        subquery = sa.select(value).where(*conditions).scalar_subquery()
        return sa.func.coalesce(subquery, 0) if node.func in ("sum", "count") else subquery


_OPERATORS = {
    "+": sa.sql.operators.add,
    "-": sa.sql.operators.sub,
    "*": sa.sql.operators.mul,
    "==": sa.sql.operators.eq,
    "!=": sa.sql.operators.ne,
    "<": sa.sql.operators.lt,
    "<=": sa.sql.operators.le,
    ">": sa.sql.operators.gt,
    ">=": sa.sql.operators.ge,
}
