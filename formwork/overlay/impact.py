"""The impact preview: what publishing a candidate config would do to the live site.

`preview_impact` answers the admin's question before a publish, without writing anything:
which columns the schema sync would add, archive, restore or retype (and how many rows each
table holds), which gradings the publish would re-grade (their definition or their entity's
fields changed) and which records would change grade (the what-if runs the candidate's grading
in SQL against the stored grades: records are never loaded into Python), which flows changed
and how many requests are in flight on them (they keep their version), and the candidate's
problems and conflicts. An invalid candidate has no plan: only its problems.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..flows.tables import REQUEST_TABLE
from ..metamodel.model import App, Grading, Label
from ..metamodel.problems import Problem
from ..rules.grading import CompiledGrading
from ..store.regrade import WhatIf, what_if
from ..store.schema_sync import Operation, Refusal, SyncPlan, plan_sync
from ..store.sync_ops import (
    AddColumn,
    ArchiveColumn,
    CreateTable,
    RenameColumn,
    RestoreColumn,
    RetypeColumn,
)
from ..store.tables import Tables, build_tables
from .publish import changed_gradings

if TYPE_CHECKING:
    from ..runtime import Runtime
    from .candidate import Candidate
    from .merge import Conflict

#: The plan's steps an admin is shown (indexes and the column ledger are bookkeeping).
SHOWN_STEPS: dict[type, str] = {
    CreateTable: "create",
    AddColumn: "add",
    ArchiveColumn: "archive",
    RestoreColumn: "restore",
    RetypeColumn: "retype",
    RenameColumn: "rename",
}


@dataclass(frozen=True)
class SchemaStep:
    """One change to a table, with how many rows the table holds now (each row gets it)."""

    #: create, add, archive, restore, retype or rename.
    change: str
    table: str
    #: The field's column ("" for a new table).
    column: str
    rows: int
    operation: Operation


@dataclass(frozen=True)
class GradingImpact:
    """A grading publishing re-grades, and what that would do to the stored grades."""

    grading: Grading
    #: None when it could not run (`error` says why).
    what_if: WhatIf | None
    #: The grading is new: there are no stored grades to compare with.
    added: bool = False
    error: str | None = None

    @property
    def entity(self) -> str:
        return self.grading.entity

    def moves(self) -> list[tuple[str | None, str, int]]:
        """(old grade, new grade, how many records) for the records that change grade, in
        the grading's order of grades (highest first)."""
        if self.what_if is None:
            return []
        moving = [(o, n, c) for (o, n), c in self.what_if.transitions.items() if o != n and c]
        return sorted(moving, key=lambda m: (self._rank(m[0]), self._rank(m[1])))

    def grades(self) -> list[str | None]:
        """The rows and columns of the transition matrix: the grading's grades, then any other
        grade the stored records hold (None: not graded yet)."""
        known: list[str | None] = [level.grade for level in self.grading.grades]
        if self.what_if is not None:
            seen = {g for pair in self.what_if.transitions for g in pair}
            known += sorted((g for g in seen if g not in known), key=lambda g: (g is None, g))
        return known

    def count(self, old: str | None, new: str | None) -> int:
        if self.what_if is None:
            return 0
        return self.what_if.transitions.get((old, new), 0)  # type: ignore[arg-type]

    def _rank(self, grade: str | None) -> int:
        grades = [level.grade for level in self.grading.grades]
        return grades.index(grade) if grade in grades else len(grades)


@dataclass(frozen=True)
class FlowImpact:
    """A flow that changes (or appears, or goes): requests in flight finish on their version."""

    name: str
    entity: str
    label: Label
    #: changed, added or removed.
    change: str
    in_flight: int


@dataclass(frozen=True)
class Impact:
    candidate: Candidate
    #: None when the candidate has problems (nothing can be planned from an invalid config).
    plan: SyncPlan | None = None
    schema: tuple[SchemaStep, ...] = ()
    gradings: tuple[GradingImpact, ...] = ()
    flows: tuple[FlowImpact, ...] = ()

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.candidate.problems

    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        return self.candidate.conflicts

    @property
    def refusals(self) -> tuple[Refusal, ...]:
        return self.plan.refusals if self.plan is not None else ()

    @property
    def blocked(self) -> bool:
        """Publishing would fail: the config is invalid or the data refuses a change."""
        return bool(self.problems or self.refusals or self.plan is None)


def preview_impact(runtime: Runtime, candidate: Candidate, *, movers_limit: int = 200) -> Impact:
    """What publishing `candidate` would change on `runtime`'s site; writes nothing."""
    app = candidate.app
    if app is None or candidate.problems:
        return Impact(candidate)
    tables = build_tables(app)
    plan = plan_sync(runtime.db, app, tables)
    return Impact(
        candidate,
        plan,
        tuple(_schema_steps(runtime, plan.operations)),
        tuple(_gradings(runtime, candidate, tables, movers_limit)),
        tuple(_flows(runtime, app)),
    )


# -- the schema ----------------------------------------------------------------------------
def _schema_steps(runtime: Runtime, operations: Iterable[Operation]) -> Iterable[SchemaStep]:
    rows: dict[str, int] = {}
    for op in operations:
        change = SHOWN_STEPS.get(type(op))
        if change is None:
            continue
        if isinstance(op, CreateTable):
            if op.entity:
                yield SchemaStep(change, op.table, "", 0, op)
            continue
        if op.table not in rows:
            rows[op.table] = _count(runtime, op.table)
        yield SchemaStep(change, op.table, _column(op), rows[op.table], op)


def _column(op: Operation) -> str:
    if isinstance(op, RenameColumn):
        return op.new
    return getattr(op, "column", "")


def _count(runtime: Runtime, table: str) -> int:
    with runtime.db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar_one()


# -- the gradings --------------------------------------------------------------------------
def _gradings(
    runtime: Runtime, candidate: Candidate, tables: Tables, limit: int
) -> Iterable[GradingImpact]:
    """The gradings publish would re-grade (see `changed_gradings`), each with its what-if."""
    app = candidate.require()
    live = runtime.model.gradings
    functions = runtime.records.rules.functions
    for name in changed_gradings(runtime.site.document, candidate.document):
        grading = app.gradings[name]
        before = live.get(name)
        if before is None or before.entity != grading.entity:
            yield GradingImpact(grading, None, added=True)
            continue
        compiled = CompiledGrading(app, grading, functions)
        try:
            result = what_if(runtime.db, app, tables, compiled, limit=limit)
        except sa.exc.DBAPIError:
            # It reads a column the schema sync has yet to add: known once published.
            yield GradingImpact(grading, None, error="needs the new columns")
            continue
        yield GradingImpact(grading, result)


# -- the flows -----------------------------------------------------------------------------
def _flows(runtime: Runtime, app: App) -> Iterable[FlowImpact]:
    before, after = runtime.model.flows, app.flows
    changed: list[tuple[str, str]] = []
    for name in sorted(before.keys() | after.keys()):
        if name not in after:
            changed.append((name, "removed"))
        elif name not in before:
            changed.append((name, "added"))
        elif before[name].version_key() != after[name].version_key():
            changed.append((name, "changed"))
    if not changed:
        return
    counts = _in_flight(runtime, [name for name, _ in changed])
    for name, change in changed:
        flow = after.get(name) or before[name]
        yield FlowImpact(name, flow.entity, flow.label, change, counts.get(name, 0))


def _in_flight(runtime: Runtime, names: list[str]) -> dict[str, int]:
    requests = runtime.tables.system(REQUEST_TABLE)
    with runtime.db.read() as conn:
        rows = conn.execute(
            sa.select(requests.c.flow, sa.func.count())
            .where(requests.c.flow.in_(names), requests.c.status == "pending")
            .group_by(requests.c.flow)
        ).all()
    return dict(rows)
