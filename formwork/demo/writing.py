"""What both writers do to a planned record before it is stored, and how they report progress.

`resolve` turns the `Ref`s of a planned record into the ids its linked records got. `Rules`
applies the entity's conditional rules that a plan cannot know in advance: fields hidden by
`visible_when` are dropped (the record service refuses values for hidden fields); the bulk
writer, which bypasses the service, also fills default formulas and checks validations here,
with the same compiled rules the service runs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from ..metamodel.model import App, Entity
from ..rules.rulebook import RuleBook, formula_view
from ..store.errors import RECORD_KEY
from ..store.formula_context import StoreContext
from ..store.input_schema import is_empty
from ..store.recompute import recompute_all
from ..store.record_rules import to_column
from ..store.records import RecordService
from ..store.regrade import regrade
from ..store.tables import Tables
from .values import Ref

#: The cause recorded in the grade history for grades derived after the records were written.
CAUSE = "bulk_regrade"
#: progress(label, done, total): called after each batch.
Progress = Callable[[str, int, int], None]
Ids = Mapping[str, list[int]]
T = TypeVar("T")


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def resolve(values: Mapping[str, Any], ids: Ids) -> dict[str, Any]:
    """The values with every `Ref` replaced by its record's id."""
    return {k: ids[v.entity][v.index] if isinstance(v, Ref) else v for k, v in values.items()}


class Rules:
    """The entity rules a writer applies to a planned record, on the batch's connection."""

    def __init__(self, app: App, tables: Tables, book: RuleBook) -> None:
        self.app, self.tables, self.book = app, tables, book

    def context(self, conn: Connection, now: dt.datetime) -> StoreContext:
        return StoreContext(conn, self.app, self.tables, now.date())

    def visible(self, ctx: StoreContext, ent: Entity, values: dict[str, Any]) -> dict[str, Any]:
        """`values` without the fields that `visible_when` hides for them."""
        rules = self.book[ent.name]
        if not rules.visible:
            return values
        view = formula_view(ent, values, None)
        hidden = {name for name, rule in rules.visible.items() if not rule.run(view, ctx)}
        return {k: v for k, v in values.items() if k not in hidden}

    def complete(
        self, ctx: StoreContext, ent: Entity, values: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """Default formulas filled in, then the errors of validations and `required_when`
        (the checks the record service makes on a write), by field."""
        rules = self.book[ent.name]
        view = formula_view(ent, values, None)
        for name, rule in rules.defaults.items():
            if is_empty(view[name]):
                value = to_column(ent.fields[name], rule.run(view, ctx))
                if value is not None:
                    values[name] = value
                    view = formula_view(ent, values, None)
        errors: dict[str, list[str]] = {}
        for name, rule in rules.required.items():
            if is_empty(view[name]) and rule.run(view, ctx):
                errors.setdefault(name, []).append("This field is required.")
        locale = self.app.default_locale
        for validation, rule in rules.validations:
            if not rule.run(view, ctx):
                errors.setdefault(validation.field or RECORD_KEY, []).append(
                    validation.message.get(locale)
                )
        return values, errors


def derive(
    service: RecordService,
    order: Iterable[str],
    progress: Progress | None,
    dated_only: bool = False,
) -> None:
    """Fill in derived values with the bulk jobs: `recompute_all` for entities with stored
    computed fields, else `regrade` (in SQL) for their gradings. With `dated_only`, only the
    entities whose formulas read today() (the service path wrote them as of each record's
    own date; this brings them up to today, as the nightly `formwork recompute` does)."""
    children = [c.name for name in order for c in service.app.children_of(name)]
    for name in [*children, *order]:
        rules = service.rules[name]
        if dated_only and not _reads_today(service.app, name):
            continue
        advance = None if progress is None else _labelled(progress, f"{name} (derived values)")
        if any(f.stored for f, _rule in rules.computed):
            recompute_all(service, name, cause=CAUSE, progress=advance)
            continue
        for grading in rules.gradings:
            regrade(
                service.db,
                service.app,
                service.tables,
                grading,
                cause=CAUSE,
                progress=advance,
                runner=service.runner,
            )


def _labelled(progress: Progress, label: str) -> Callable[[int, int], None]:
    def advance(done: int, total: int) -> None:
        progress(label, done, total)

    return advance


TODAY_CALL = re.compile(r"\btoday\s*\(")


def _reads_today(app: App, entity: str) -> bool:
    """Whether a computed field or grading of the entity calls today()."""
    sources = [f.formula or "" for f in app.entity(entity).fields.values()]
    for grading in app.gradings_of(entity):
        sources += [d.value for d in grading.dimensions] + [o.when for o in grading.overrides]
    return any(TODAY_CALL.search(source) for source in sources)
