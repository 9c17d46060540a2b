"""Evaluate one formula three ways (reference interpreter, compiled Python, SQL) for tests."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from formwork.metamodel import App
from formwork.rules.checker import check
from formwork.rules.functions import FunctionRegistry, SqlContext
from formwork.rules.pycompile import MemoryContext, compile_formula
from formwork.rules.reference import evaluate_reference
from formwork.rules.scope import Scope
from formwork.rules.sqlcompile import to_sql
from formwork.store.database import Database
from formwork.store.tables import Tables

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


class ThreeWays:
    def __init__(self, app: App, functions: FunctionRegistry, db: Database, tables: Tables) -> None:
        self.app = app
        self.functions = functions
        self.db = db
        self.tables = tables
        self.scope = Scope(app, "deal", functions)

    def context(self, lines: list[dict[str, Any]], account: dict[str, Any] | None) -> MemoryContext:
        links = {("account", k): v for k, v in (account or {}).items()}
        return MemoryContext(today=TODAY, links=links, relations={"lines": lines})

    def reference(
        self,
        formula: str,
        record: dict[str, Any],
        lines: list[dict[str, Any]] = (),
        account: dict[str, Any] | None = None,
    ) -> Any:
        checked = check(formula, self.scope)
        return evaluate_reference(checked, record, self.context(list(lines), account), self.scope)

    def compiled(
        self,
        formula: str,
        record: dict[str, Any],
        lines: list[dict[str, Any]] = (),
        account: dict[str, Any] | None = None,
    ) -> Any:
        checked = check(formula, self.scope)
        return compile_formula(checked, self.functions)(record, self.context(list(lines), account))

    def sql(
        self,
        formula: str,
        record: dict[str, Any],
        lines: list[dict[str, Any]] = (),
        account: dict[str, Any] | None = None,
    ) -> Any:
        checked = check(formula, self.scope)
        expr = to_sql(
            checked,
            self.app,
            "deal",
            self.tables,
            self.functions,
            SqlContext(self.db.dialect, TODAY),
        )
        deal, line, acct = self.tables["deal"], self.tables["deal_line"], self.tables["account"]
        stamp = {"created_at": NOW, "updated_at": NOW}
        with self.db.write() as conn:
            account_id = None
            if account is not None:
                account_id = conn.execute(
                    sa.insert(acct).values(**stamp, **_stored(account))
                ).inserted_primary_key[0]
            values = {k: v for k, v in record.items() if k in deal.c and k != "account"}
            row_id = conn.execute(
                sa.insert(deal).values(**stamp, **_stored(values), account=account_id)
            ).inserted_primary_key[0]
            for position, item in enumerate(lines):
                conn.execute(
                    sa.insert(line).values(
                        **stamp, parent_id=row_id, position=position, **_stored(item)
                    )
                )
            result = conn.execute(sa.select(expr).where(deal.c.id == row_id)).scalar()
            conn.rollback()
        return result


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    return {k: Decimal(repr(v)) if isinstance(v, float) else v for k, v in values.items()}


def same(expected: Any, actual: Any) -> bool:
    """Equal, allowing floating-point noise and SQLite's 0/1 booleans."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(expected) == bool(actual)
    if isinstance(expected, int | float) and isinstance(actual, int | float | Decimal):
        return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-9)
    return expected == actual
