"""The formula editor's two tools: check a formula as it is typed, evaluate it on a record.

The check is the one `formwork validate` runs (`rules.checker.check` in the entity's scope,
with the type the place expects), against the draft's model, so a field the draft adds can
already be used. The evaluation compiles the formula with the rules engine and runs it on a
record read through the record service (see `record_context`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...metamodel.model import App
from ...metamodel.problems import CODES
from ...rules.checker import CheckedFormula, check
from ...rules.functions import default_functions
from ...rules.pycompile import compile_formula
from ...rules.rulebook import formula_view
from ...rules.scope import Scope
from ...rules.syntax import FormulaError
from ...store.actor import Actor
from ...store.errors import RecordError
from ...store.records import RecordService
from .record_context import ServiceContext

#: The result types a place may ask for ("" or None: any).
EXPECTED = ("number", "text", "bool", "date", "datetime", "list", "link")
MAX_SOURCE = 2000


@dataclass(frozen=True)
class Check:
    """What the checker says about a formula: its type, or an error with a hint."""

    source: str
    type: str | None = None
    error: str | None = None
    hint: str = ""
    column: int = 0
    code: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.source)


@dataclass(frozen=True)
class Evaluation:
    check: Check
    record_title: str | None = None
    value: Any = None
    error: str | None = None


def check_source(app: App, entity: str, source: str, expect: str | None) -> Check:
    source = " ".join(source.split())
    if not source:
        return Check(source)
    if len(source) > MAX_SOURCE:
        return Check(source, error=f"formulas are limited to {MAX_SOURCE} characters", code="FW501")
    if entity not in app.entities:
        return Check(source, error=f"no entity named {entity!r}", code="FW304")
    try:
        checked = _checked(app, entity, source, expect)
    except FormulaError as exc:
        return Check(
            source,
            error=exc.message,
            hint=exc.hint or (CODES[exc.code].hint if exc.code in CODES else ""),
            column=exc.column,
            code=exc.code,
        )
    return Check(source, type=checked.type)


def _checked(app: App, entity: str, source: str, expect: str | None) -> CheckedFormula:
    scope = Scope(app, entity, default_functions())
    return check(source, scope, expect=expect if expect in EXPECTED else None)


def evaluate(
    app: App,
    entity: str,
    source: str,
    expect: str | None,
    record_id: int,
    service: RecordService,
    user: Actor | None,
) -> Evaluation:
    """The formula's value on record `record_id`, as `user` may read it."""
    checked_text = check_source(app, entity, source, expect)
    if not checked_text.ok:
        return Evaluation(checked_text)
    functions = default_functions()
    run = compile_formula(_checked(app, entity, checked_text.source, expect), functions)
    try:
        found = service.get(entity, record_id, user)
    except RecordError:
        return Evaluation(checked_text, error="no such record, or you may not read it")
    context = ServiceContext(app, service, user, service.clock().date())
    try:
        value = run(formula_view(app.entity(entity), found.values, found.id), context)
    except (ArithmeticError, ValueError, TypeError) as exc:
        return Evaluation(checked_text, found.title, error=str(exc) or type(exc).__name__)
    return Evaluation(checked_text, found.title or f"#{found.id}", value)


def shown(value: Any) -> str:
    """A formula's value as text."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) >= 1e15 else f"{Decimal(repr(value)).normalize():f}"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
