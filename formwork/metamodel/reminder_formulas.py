"""The formulas of reminders, checked once the whole model is built.

A reminder's `when` type-checks in its entity's scope like every other formula (the loader
runs this after the flows' formulas). Reminders are found by one query per reminder, in the
database, so everything a reminder reads — `when`, the recipients' fields, the fields its
title shows — must have an SQL form: stored fields (not virtual ones) and functions that
compile to SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..rules import ir
from ..rules.checker import check
from ..rules.functions import FunctionRegistry, default_functions
from ..rules.scope import Scope, relations_of
from ..rules.syntax import FormulaError
from .model import USER_ENTITY, App, Entity
from .reminder_model import Reminder
from .source import DocPath

Report = Callable[[str, DocPath, str, str], None]


def check_reminder_formulas(app: App, report: Report) -> None:
    """Type-check every reminder's `when`; report what cannot run in the database (FW955)."""
    functions = default_functions()
    for reminder in app.reminders.values():
        base: DocPath = ("reminders", reminder.name)
        for where, path in _paths(reminder, base):
            unstored = _unstored(app, app.entity(reminder.entity), path.split("."))
            if unstored:
                report("FW955", where, f"{path} reads {unstored}, which has no column", "")
        if reminder.when is None:
            continue
        where = (*base, "when")
        try:
            checked = check(reminder.when, Scope(app, reminder.entity, functions), expect="bool")
        except FormulaError as exc:
            at = f" (at column {exc.column})" if exc.column > 0 else ""
            hint = exc.hint or "See docs/formulas.md and docs/reminders.md."
            report(exc.code, where, f"{exc.message}{at}", hint)
            continue
        for problem in _not_compilable(app, reminder.entity, checked.root, functions):
            report("FW955", where, problem, "")


def _paths(reminder: Reminder, base: DocPath) -> Iterator[tuple[DocPath, str]]:
    """The field paths a reminder reads besides its formula, with where each is written."""
    for index, recipient in enumerate(reminder.recipients):
        if recipient.kind == "field":
            yield (*base, "to", index, "field"), recipient.value
    for path in reminder.title_paths():
        yield (*base, "title"), path


def _unstored(app: App, entity: Entity | None, names: list[str]) -> str:
    """The first field along the path that is not a column ("" when all are)."""
    for name in names:
        if entity is None:  # a user's own fields are columns
            return ""
        field = entity.fields[name]
        if not field.stored:
            return f"the virtual field {entity.name}.{name}"
        target = field.setting("to") if field.type == "link" else None
        entity = None if target in (None, USER_ENTITY) else app.entity(target)
    return ""


def _not_compilable(
    app: App, entity: str, root: ir.Node, functions: FunctionRegistry
) -> Iterator[str]:
    for node in ir.walk(root):
        if isinstance(node, ir.Call):
            function = functions.get(node.name)
            if function is None or function.sql is None:
                yield f"{node.name}() cannot run in the database"
        elif isinstance(node, ir.Ref):
            unstored = _unstored(app, app.entity(entity), list(node.path))
            if unstored:
                yield f"the condition reads {unstored}, which has no column"
        elif isinstance(node, ir.Aggregate):
            related = relations_of(app, entity)[node.relation].entity
            if node.field is not None and not app.entity(related).fields[node.field].stored:
                yield f"the condition reads the virtual field {related}.{node.field}"
            if node.where is not None:  # about the related records; walk() does not enter it
                yield from _not_compilable(app, related, node.where, functions)
