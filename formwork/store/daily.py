"""Values that change with the date alone, and the daily refresh that keeps them current.

A stored computed field such as `days_between(last_visit_on, today())` is right on the day
it was written and wrong the day after, although no record changed. `date_dependent` finds
every stored field and grading that reads the date — through `today()`/`now()`, another
such field, a link to one, or a rollup over one — and `refresh_daily` recomputes those
entities once per day (`formwork tick` calls it), in the order their values feed each other.
"""

from __future__ import annotations

import datetime as dt
import graphlib
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from ..metamodel.model import App
from ..rules import ir
from ..rules.rulebook import RuleBook
from ..rules.scope import relations_of
from .recompute import RecomputeResult, recompute_all
from .records import RecordService
from .system import DAILY_TABLE

#: Formula functions whose value depends on the date the formula runs on.
DATE_FUNCTIONS = frozenset({"today", "now"})
JOB = "date_dependent_values"


def date_dependent(book: RuleBook) -> dict[str, frozenset[str]]:
    """Entity → its stored fields (score and grade fields included) that read the date."""
    app = book.app
    daily: dict[str, set[str]] = {name: set() for name in app.entities}
    changed = True
    while changed:  # until a fixed point: fields read fields that read the date
        changed = False
        for name in app.entities:
            rules = book[name]
            found = {
                field.name
                for field, rule in rules.computed
                if field.stored and _reads_date(app, daily, name, (rule.checked.root,))
            }
            for grading in rules.gradings:
                roots = [f.root for f in (*grading.values, *grading.conditions)]
                if _reads_date(app, daily, name, roots):
                    found |= {grading.grading.score_field, grading.grading.grade_field}
            if not found <= daily[name]:
                daily[name] |= found
                changed = True
    return {name: frozenset(fields) for name, fields in daily.items() if fields}


def refresh_order(book: RuleBook, entities: Iterable[str]) -> tuple[str, ...]:
    """`entities` with those whose values others read first (ties in config order)."""
    chosen = set(entities)
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in book.app.entities:
        if name in chosen:
            sorter.add(name)
            for dependent in book.dependents(name):
                if dependent.entity in chosen and dependent.entity != name:
                    sorter.add(dependent.entity, name)
    try:
        return tuple(sorter.static_order())
    except graphlib.CycleError:  # entities reading each other: propagation settles it
        return tuple(n for n in book.app.entities if n in chosen)


@dataclass(frozen=True)
class DailyRefresh:
    day: dt.date
    results: tuple[RecomputeResult, ...]

    @property
    def changed(self) -> int:
        return sum(r.changed for r in self.results)


def refresh_daily(
    service: RecordService, *, today: dt.date | None = None, force: bool = False
) -> DailyRefresh | None:
    """Recompute the date-dependent values once for `today`; None when already done today.

    The day is marked done only after every entity is recomputed, so a refresh cut short
    runs again at the next tick (recomputing is idempotent)."""
    day = today or service.clock().date()
    marker = service.tables.system(DAILY_TABLE)
    with service.db.read() as conn:
        last = conn.execute(sa.select(marker.c.day).where(marker.c.job == JOB)).scalar()
    if last is not None and last >= day and not force:
        return None
    now = dt.datetime.combine(day, dt.time(), dt.UTC) if today else service.clock()
    daily = date_dependent(service.rules)
    results = tuple(
        recompute_all(service, name, cause="daily_refresh", now=now)
        for name in refresh_order(service.rules, daily)
        if not service.app.entity(name).child_of
    )
    with service.db.write() as conn:
        done = conn.execute(marker.update().where(marker.c.job == JOB).values(day=day))
        if done.rowcount == 0:
            conn.execute(marker.insert().values(job=JOB, day=day))
    return DailyRefresh(day, results)


def _reads_date(
    app: App, daily: dict[str, set[str]], entity: str, roots: Iterable[ir.Node]
) -> bool:
    return any(_node_reads_date(app, daily, entity, root) for root in roots)


def _node_reads_date(app: App, daily: dict[str, set[str]], entity: str, root: ir.Node) -> bool:
    for node in ir.walk(root):
        if isinstance(node, ir.Call) and node.name in DATE_FUNCTIONS:
            return True
        if isinstance(node, ir.Ref) and _path_reads_date(app, daily, entity, node.path):
            return True
        if isinstance(node, ir.Aggregate):
            child = relations_of(app, entity)[node.relation].entity
            if node.field in daily[child]:
                return True
            if node.where is not None and _node_reads_date(app, daily, child, node.where):
                return True
    return False


def _path_reads_date(
    app: App, daily: dict[str, set[str]], entity: str, path: tuple[str, ...]
) -> bool:
    """Whether `a.b.c` read from `entity` ends on, or passes through, a date-dependent field."""
    for step in path:
        if step in daily.get(entity, ()):
            return True
        ent = app.entities.get(entity)  # None for the built-in user entity
        field = ent.fields.get(step) if ent is not None else None
        if field is None or field.type != "link":
            return False
        entity = field.setting("to")
    return False
