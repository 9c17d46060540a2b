"""Bulk re-grading and what-if, inside the database.

`regrade` re-scores every record of a grading's entity in windows of ids, each window one
transaction (all or nothing), with the grading compiled to one SQL query. A record gets a
history row (INSERT … SELECT) when its grade or score changes, or when only its explanation
does (another version of the grading): its newest row then always explains its grade. The
records are updated from the rows just written (UPDATE … FROM), so the scorecard is computed
once per record; explanations are stored compactly (`rules.grade_explanation`), which is what
keeps this within reach of a bare UPDATE. Running it again after an interruption finishes the
job (records whose grade and explanation are current are left alone): it is resumable.

`what_if` runs a changed grading against the stored grades without writing anything: the
transition matrix and the records that would move.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import App
from ..rules.functions import SqlContext
from ..rules.grade_explanation import Layout
from ..rules.grading import CompiledGrading
from ..rules.grading_sql import graded_select, same_explanation
from ..rules.rulebook import RuleBook, formula_view
from ..rules.sqlcompile import NotCompilable
from .batches import count_rows
from .database import Database, use_bulk_cache
from .formula_context import StoreContext
from .grade_rows import HISTORY_COLUMNS, store_layout
from .record_rules import RuleRunner
from .system import GRADE_OVERRIDE_TABLE, GRADE_TABLE
from .tables import Tables

Progress = Callable[[int, int], None]
DEFAULT_BATCH = 50_000


@dataclass(frozen=True)
class RegradeResult:
    grading: str
    total: int
    #: Records whose grade or score changed.
    changed: int
    #: (old grade, new grade) → number of records, for those that changed.
    transitions: dict[tuple[str | None, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Mover:
    id: int
    title: str | None
    old_grade: str | None
    new_grade: str
    old_score: float | None
    new_score: float


@dataclass(frozen=True)
class WhatIf:
    grading: str
    total: int
    transitions: dict[tuple[str | None, str], int]
    movers: list[Mover]

    @property
    def moving(self) -> int:
        return sum(n for (old, new), n in self.transitions.items() if old != new)


def regrade(
    db: Database,
    app: App,
    tables: Tables,
    grading: CompiledGrading,
    *,
    cause: str = "bulk_regrade",
    user_id: int | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    runner: RuleRunner | None = None,
) -> RegradeResult:
    """Re-grade every record of the grading's entity; windows of ids commit one by one.

    `runner` (a record service's) grades the records done one by one — manual grades, or a
    grading without an SQL form; without one, one is made when first needed.
    """
    job = _Regrade(db, app, tables, grading, cause, user_id, now or dt.datetime.now(dt.UTC), runner)
    table = tables[grading.grading.entity]
    total, done = count_rows(db, table), 0
    for conn, after, last, count in _id_windows(db, table, batch_size):
        job.batch(conn, table.c.id > after, table.c.id <= last)
        done += count
        if progress is not None:
            progress(done, total)
    return RegradeResult(grading.grading.name, total, job.changed, dict(job.transitions))


def _id_windows(
    db: Database, table: sa.Table, size: int
) -> Iterator[tuple[Connection, int, int, int]]:
    """(connection, after, last, count) for each window of `size` ids (after < id <= last), in
    id order, each in its own transaction — the ids themselves never leave the database."""
    after = 0
    while True:
        with db.write() as conn:
            use_bulk_cache(conn)
            window = (
                sa.select(table.c.id)
                .where(table.c.id > after)
                .order_by(table.c.id)
                .limit(size)
                .subquery()
            )
            last, count = conn.execute(sa.select(sa.func.max(window.c.id), sa.func.count())).one()
            if not count:
                return
            yield conn, after, last, count
        after = last


class _Regrade:
    """One bulk re-grade: in SQL where the grading compiles to SQL, in Python otherwise."""

    def __init__(
        self,
        db: Database,
        app: App,
        tables: Tables,
        grading: CompiledGrading,
        cause: str,
        user_id: int | None,
        now: dt.datetime,
        runner: RuleRunner | None,
    ) -> None:
        self.app, self.tables, self.grading = app, tables, grading
        self._runner = runner
        self.spec = grading.grading
        self.table = tables[self.spec.entity]
        self.cause, self.user_id, self.now = cause, user_id, now
        self.ctx = SqlContext(db.dialect, now.date())
        self.manual = _manually_graded(tables, self.spec.name, self.spec.entity, self.table, now)
        self.transitions: Counter[tuple[str | None, str]] = Counter()
        self.changed = 0
        try:
            graded_select(grading, tables, self.ctx)
            self.in_sql = True
        except NotCompilable:
            self.in_sql = False

    @property
    def runner(self) -> RuleRunner:
        if self._runner is None:  # compiling every formula of the app: only when needed
            self._runner = RuleRunner(self.app, self.tables, RuleBook(self.app))
        return self._runner

    def batch(self, conn: Connection, *in_batch: Any) -> None:
        if self.in_sql:
            self._in_sql(conn, in_batch)
            # Records with a manual grade keep it; their score is still brought up to date.
            one_by_one = conn.execute(sa.select(self.table.c.id).where(*in_batch, self.manual))
        else:
            one_by_one = conn.execute(sa.select(self.table.c.id).where(*in_batch))
        ctx = StoreContext(conn, self.app, self.tables, self.now.date())
        entity = self.app.entity(self.spec.entity)
        for record_id in one_by_one.scalars().all():
            moved = self.runner.grade_record(
                ctx, entity, self.grading, record_id, self.user_id, self.now, self.cause
            )
            if moved is not None:
                self.transitions[moved] += 1
                self.changed += 1

    def _in_sql(self, conn: Connection, in_batch: tuple[Any, ...]) -> None:
        history = self.tables.system(GRADE_TABLE)
        spec, table = self.spec, self.table
        store_layout(conn, self.tables, Layout.of(spec), self.now)
        mark = conn.execute(sa.select(sa.func.coalesce(sa.func.max(history.c.id), 0))).scalar()
        graded = graded_select(self.grading, self.tables, self.ctx, where=[*in_batch, ~self.manual])
        # A record's newest row must explain its grade: a row goes in when the grade or score
        # changes, and also when only the explanation does (another version of the grading,
        # a value that moved within its band). Its newest row is only looked up in that case.
        newest = history.alias("newest")
        same = (
            sa.select(same_explanation(self.ctx, self.grading, newest.c.explanation, graded))
            .where(
                newest.c.grading == spec.name,
                newest.c.entity == spec.entity,
                newest.c.record_id == graded.c.id,
            )
            .order_by(newest.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        columns = list(HISTORY_COLUMNS)
        rows = sa.select(
            sa.literal(spec.name),
            sa.literal(spec.entity),
            graded.c.id,
            sa.literal(self.now, history.c.at.type),
            sa.literal(self.user_id, sa.BigInteger),
            graded.c.old_grade,
            graded.c.grade,
            sa.cast(graded.c.old_score, sa.Float),
            graded.c.score,
            sa.literal(self.cause),
            graded.c.explanation,
        ).where(sa.or_(graded.c.changed, ~sa.func.coalesce(same, sa.false())))
        conn.execute(history.insert().from_select(columns, rows))
        # The rows just written, found by id: no condition here may tempt the planner to the
        # (entity, record_id) index, which would read every history row of the entity.
        fresh = sa.and_(
            history.c.id > mark,
            history.c.grading == spec.name,
            history.c.at == sa.literal(self.now, history.c.at.type),
        )
        moved = sa.or_(
            history.c.old_grade.is_distinct_from(history.c.new_grade),
            history.c.old_score.is_distinct_from(history.c.new_score),
        )
        counts = conn.execute(
            sa.select(history.c.old_grade, history.c.new_grade, sa.func.count())
            .where(fresh, moved)
            .group_by(history.c.old_grade, history.c.new_grade)
        ).all()
        # UPDATE … FROM the history rows just written: the scorecard is not computed twice.
        conn.execute(
            table.update()
            .where(fresh, moved, history.c.record_id == table.c.id)
            .values({spec.score_field: history.c.new_score, spec.grade_field: history.c.new_grade})
        )
        for old, new, count in counts:
            self.transitions[(old, new)] += count
            self.changed += count


def _manually_graded(
    tables: Tables, grading: str, entity: str, table: sa.Table, now: dt.datetime
) -> Any:
    """Whether a record has a manual grade in force (as one uncorrelated IN: cheap per row)."""
    overrides = tables.system(GRADE_OVERRIDE_TABLE)
    return table.c.id.in_(
        sa.select(overrides.c.record_id).where(
            overrides.c.grading == grading,
            overrides.c.entity == entity,
            sa.or_(overrides.c.expires_at.is_(None), overrides.c.expires_at > now),
        )
    )


def what_if(
    db: Database,
    app: App,
    tables: Tables,
    grading: CompiledGrading,
    *,
    limit: int = 200,
    today: dt.date | None = None,
) -> WhatIf:
    """What `grading` would do to the stored grades: nothing is written.

    Records with a manual grade keep it, so they count as staying where they are.
    """
    spec = grading.grading
    table = tables[spec.entity]
    now = dt.datetime.now(dt.UTC)
    ctx = SqlContext(db.dialect, today or now.date())
    manual = _manually_graded(tables, spec.name, spec.entity, table, now)
    try:
        graded = graded_select(grading, tables, ctx, where=[~manual], explain=False)
    except NotCompilable:
        return _what_if_in_python(db, app, tables, grading, manual, limit, now)
    entity = app.entity(spec.entity)
    title: Any = table.c[entity.title_field] if entity.title_field else sa.null()
    grade = table.c[spec.grade_field]
    with db.read() as conn:
        matrix = conn.execute(
            sa.select(graded.c.old_grade, graded.c.grade, sa.func.count()).group_by(
                graded.c.old_grade, graded.c.grade
            )
        ).all()
        matrix += conn.execute(
            sa.select(grade, grade, sa.func.count()).where(manual).group_by(grade)
        ).all()
        moving = conn.execute(
            sa.select(
                graded.c.id,
                title,
                graded.c.old_grade,
                graded.c.grade,
                graded.c.old_score,
                graded.c.score,
            )
            .join_from(graded, table, table.c.id == graded.c.id)
            .where(graded.c.old_grade.is_distinct_from(graded.c.grade))
            .order_by(graded.c.id)
            .limit(limit)
        ).all()
    transitions: Counter[tuple[str | None, str]] = Counter()
    for old, new, count in matrix:
        transitions[(old, new)] += count
    movers = [
        Mover(
            r[0],
            None if r[1] is None else str(r[1]),
            r[2],
            r[3],
            None if r[4] is None else float(r[4]),
            float(r[5]),
        )
        for r in moving
    ]
    return WhatIf(spec.name, sum(transitions.values()), dict(transitions), movers)


def _what_if_in_python(
    db: Database,
    app: App,
    tables: Tables,
    grading: CompiledGrading,
    manual: Any,
    limit: int,
    now: dt.datetime,
) -> WhatIf:
    """`what_if` for a grading with parts that have no SQL form: every record in Python."""
    spec = grading.grading
    entity = app.entity(spec.entity)
    table = tables[spec.entity]
    transitions: Counter[tuple[str | None, str]] = Counter()
    movers: list[Mover] = []
    with db.read() as conn:
        ctx = StoreContext(conn, app, tables, now.date())
        kept = set(conn.execute(sa.select(table.c.id).where(manual)).scalars())
        for row in conn.execute(sa.select(table).order_by(table.c.id)).mappings():
            old_grade, old_score = row[spec.grade_field], row[spec.score_field]
            if row["id"] in kept:
                transitions[(old_grade, old_grade)] += 1
                continue
            stored = {f.name: row[f.name] for f in entity.stored_fields()}
            result = grading.evaluate(formula_view(entity, stored, row["id"]), ctx)
            transitions[(old_grade, result.grade)] += 1
            if old_grade != result.grade and len(movers) < limit:
                title = row[entity.title_field] if entity.title_field else None
                movers.append(
                    Mover(
                        row["id"],
                        None if title is None else str(title),
                        old_grade,
                        result.grade,
                        None if old_score is None else float(old_score),
                        result.score,
                    )
                )
    return WhatIf(spec.name, sum(transitions.values()), dict(transitions), movers)
