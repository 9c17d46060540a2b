"""Computed fields and grades of a batch of records, with grading's reads done once per batch.

`RuleRunner.derive` grades one record at a time and reads its manual grade and its newest
history row with two queries each time. `BatchDeriver` does the same work for many records of
one entity: it reads the manual grades in force and the newest history rows of every record of
the batch up front (one query each per grading), evaluates the computed fields and scorecards
in Python exactly as `derive` does, and keeps the new history rows to write together
(`flush`), after the layout they are read with.

Computed fields that read nothing of their record but its related records — rollups, and
fields computed only from those — have the same value for every record of the batch that has
no related records (a new record, most often): they are evaluated for the first such record
and that value is given to the others (formulas call only pure functions; today is the
batch's). Which records have related records is read for the whole batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from itertools import repeat
from operator import is_not
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import Entity, Field
from ..rules.grade_explanation import Layout, layout_key
from ..rules.grading import CompiledGrading
from ..rules.rulebook import EntityRules, Rule
from .audit import json_safe
from .bulk_context import BatchContext, id_ranges
from .bulk_insert import insert_many
from .grade_rows import HISTORY_COLUMNS, NewestGrade, history_row, store_layout
from .record_rules import to_column
from .system import GRADE_OVERRIDE_TABLE, GRADE_TABLE
from .tables import Tables

#: Most scores `BatchDeriver._score` keeps per score field.
SCORES_KEPT = 1024


class BatchDeriver:
    """Derives the values of records of one entity whose ids are known up front."""

    def __init__(
        self,
        conn: Connection,
        tables: Tables,
        ent: Entity,
        rules: EntityRules,
        ids: Iterable[int],
        now: dt.datetime,
    ) -> None:
        self.tables = tables
        self.ent = ent
        self.rules = rules
        self.now = now
        ids = sorted(set(ids))
        names = [g.grading.name for g in rules.gradings]
        shared = _shared_fields(rules.computed)
        #: (name, compiled formula, conversion to the column, field, stored, shared) per
        #: computed field, in the order they are computed.
        self.computed = [
            (f.name, rule.run, f.kind.from_formula, f, f.stored, f.name in shared)
            for f, rule in rules.computed
        ]
        #: The relations the shared fields read; the records with none of them (read on first
        #: use), and the shared fields' (column value, formula value) for those records.
        self.relations = sorted(
            {
                a.relation
                for f, rule in rules.computed
                if f.name in shared
                for a in rule.checked.aggregates()
            }
        )
        self.alone: set[int] | None = None if shared else set()
        self.shared: dict[str, tuple[Any, Any]] = {}
        #: When every computed field is shared: their stored values, their formula values,
        #: and the stored values that are not None.
        self.all_shared: tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None = None
        self.layouts = {g.grading.name: Layout.of(g.grading) for g in rules.gradings}
        self.manual = _manual_grades(conn, tables, ent.name, names, ids, now)
        self.newest = {name: _newest_rows(conn, tables, ent.name, name, ids) for name in names}
        #: Scores converted to their columns, by score field (`_score`).
        self.scores: dict[str, dict[float, Any]] = {}
        #: History rows to insert, and the layouts they need stored first.
        self.history: list[dict[str, Any]] = []
        self.layouts_needed: dict[str, Layout] = {}

    def derive(
        self,
        ctx: BatchContext,
        view: dict[str, Any],
        stored: Mapping[str, Any],
        record_id: int,
        user_id: int | None,
        cause: str,
    ) -> dict[str, Any]:
        """Computed fields and grades for `view`; the column values that differ from `stored`
        (as `RuleRunner.derive`)."""
        if self.alone is None:
            self.alone = ctx.without_related(self.ent.name, self.relations)
        alone = record_id in self.alone
        changed: dict[str, Any] = {}
        if alone and self.all_shared is not None:  # every computed field is shared
            values, shown, present = self.all_shared
            view.update(shown)
            if any(map(is_not, map(stored.get, values), repeat(None))):
                _changed(values, stored, changed)
            else:  # nothing stored (a new record): `_changed` gives the values that are some
                changed.update(present)
        else:
            values = self._computed(ctx, view, alone)
            _changed(values, stored, changed)
        for grading in self.rules.gradings:
            graded = self._grade(grading, view, ctx, stored, record_id, user_id, cause)
            _changed(graded, stored, changed)
        return changed

    def _computed(self, ctx: BatchContext, view: dict[str, Any], alone: bool) -> dict[str, Any]:
        """Evaluate the computed fields into `view`; the values of the stored ones."""
        values: dict[str, Any] = {}
        shared = self.shared
        for name, run, convert, field, kept, same in self.computed:
            if alone and same and name in shared:
                value, view[name] = shared[name]
            else:
                value = run(view, ctx)
                if value is not None:  # to_column
                    value = convert(value, field)
                view[name] = float(value) if type(value) is Decimal else value
                if alone and same:
                    shared[name] = (value, view[name])
            if kept:
                values[name] = value
        if alone and len(shared) == len(self.computed) and self.all_shared is None:
            self.all_shared = (
                dict(values),
                {name: shared[name][1] for name in shared},
                {name: value for name, value in values.items() if value is not None},
            )
        return values

    def _grade(
        self,
        grading: CompiledGrading,
        view: Mapping[str, Any],
        ctx: BatchContext,
        stored: Mapping[str, Any],
        record_id: int,
        user_id: int | None,
        cause: str,
    ) -> dict[str, Any]:
        """`RuleRunner._grade` of `grading.evaluate(view, ctx)`, reading what was fetched for
        the batch; the explanation is made from the scorecard's inputs (`compact`'s items)."""
        spec = grading.grading
        result_score, grade, items = grading.inputs(view, ctx)
        score = self._score(spec.score_field, result_score)
        manual = self.manual.get((spec.name, record_id))
        if manual is not None:
            grade = manual["grade"]
            items.append(dict(json_safe(manual)))
        layout = self.layouts[spec.name]
        explanation = [layout.key, *items]
        newest = self.newest[spec.name].get(record_id)
        row = history_row(
            newest,
            spec.name,
            self.ent.name,
            record_id,
            stored,
            (spec.score_field, spec.grade_field),
            (grade, result_score, explanation),
            (self.now, user_id, cause),
        )
        if row is not None:
            if newest is None or layout_key(newest.explanation) != layout.key:
                self.layouts_needed[layout.key] = layout
            self.history.append(row)
        return {spec.score_field: score, spec.grade_field: grade}

    def _score(self, name: str, value: Any) -> Any:
        """`to_column` of a score: a few scores recur over a batch, so each is converted
        once (zero, whose sign the conversion keeps, always)."""
        memo = self.scores.setdefault(name, {})
        column = memo.get(value) if value else None
        if column is None:
            column = to_column(self.ent.fields[name], value)
            if value and type(value) is float and len(memo) < SCORES_KEPT:
                memo[value] = column
        return column

    def flush(self, conn: Connection) -> None:
        """Write the layouts and history rows gathered so far."""
        for layout in self.layouts_needed.values():
            store_layout(conn, self.tables, layout, self.now)
        if self.history:
            # Every row is written at `now`: its conversion is done once, not per row.
            columns = [c for c in HISTORY_COLUMNS if c != "at"]
            table = self.tables.system(GRADE_TABLE)
            insert_many(conn, table, columns, self.history, {"at": self.now})
        self.history, self.layouts_needed = [], {}


def _changed(values: Mapping[str, Any], stored: Mapping[str, Any], changed: dict[str, Any]) -> None:
    """Add to `changed` the `values` that differ from `stored` (as `RuleRunner.derive`)."""
    for name, value in values.items():
        before = stored.get(name)
        # The common case for new records: nothing stored (json_safe(None) is None).
        if value is not None if before is None else json_safe(before) != json_safe(value):
            changed[name] = value
        elif name in changed:  # a later value of the same field, as stored after all
            del changed[name]


def _shared_fields(computed: list[tuple[Field, Rule]]) -> set[str]:
    """The computed fields that read only related records and other such fields (in
    dependency order, so a field's inputs are classified before it)."""
    shared: set[str] = set()
    for field, rule in computed:
        formula = rule.checked
        if not formula.links() and formula.fields() <= shared:
            shared.add(field.name)
    return shared


def _manual_grades(
    conn: Connection,
    tables: Tables,
    entity: str,
    gradings: list[str],
    ids: list[int],
    now: dt.datetime,
) -> dict[tuple[str, int], dict[str, Any]]:
    """The manual grades in force, by (grading, record id), as `active_override` reads them."""
    if not gradings or not ids:
        return {}
    table = tables.system(GRADE_OVERRIDE_TABLE)
    found: dict[tuple[str, int], dict[str, Any]] = {}
    wanted = set(ids)
    for condition in id_ranges(table.c.record_id, ids):
        rows = conn.execute(
            sa.select(
                table.c.grading,
                table.c.record_id,
                table.c.grade,
                table.c.reason,
                table.c.user_id,
                table.c.at,
                table.c.expires_at,
            )
            .where(
                table.c.grading.in_(gradings),
                table.c.entity == entity,
                condition,
            )
            .where(sa.or_(table.c.expires_at.is_(None), table.c.expires_at > now))
        ).mappings()
        for row in rows:
            if row["record_id"] not in wanted:
                continue
            found[(row["grading"], row["record_id"])] = {
                k: row[k] for k in ("grade", "reason", "user_id", "at", "expires_at")
            }
    return found


def _newest_rows(
    conn: Connection, tables: Tables, entity: str, grading: str, ids: list[int]
) -> dict[int, NewestGrade]:
    """Each record's newest history row of `grading`, as `newest_row` reads it."""
    history = tables.system(GRADE_TABLE)
    found: dict[int, NewestGrade] = {}
    wanted = set(ids)
    for condition in id_ranges(history.c.record_id, ids):
        newest = (
            sa.select(sa.func.max(history.c.id))
            .where(
                history.c.grading == grading,
                history.c.entity == entity,
                condition,
            )
            .group_by(history.c.record_id)
        )
        rows = conn.execute(
            sa.select(
                history.c.record_id,
                history.c.new_grade,
                history.c.new_score,
                history.c.explanation,
            ).where(history.c.id.in_(newest))
        )
        for record_id, grade, score, explanation in rows:
            if record_id in wanted:
                found[record_id] = NewestGrade(grade, score, explanation)
    return found
