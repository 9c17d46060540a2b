"""Computed fields and grades of a batch of records, with grading's reads done once per batch.

`RuleRunner.derive` grades one record at a time and reads its manual grade and its newest
history row with two queries each time. `BatchDeriver` does the same work for many records of
one entity: it reads the manual grades in force and the newest history rows of every record of
the batch up front (one query each per grading), evaluates the computed fields and scorecards
in Python exactly as `derive` does, and keeps the new history rows to write together
(`flush`), after the layout they are read with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import Entity
from ..rules.grade_explanation import Layout, compact, layout_key
from ..rules.grading import CompiledGrading, GradeResult
from ..rules.rulebook import EntityRules
from .audit import json_safe
from .bulk_context import BatchContext, id_ranges
from .grade_rows import NewestGrade, history_row, store_layout
from .record_rules import to_column
from .system import GRADE_OVERRIDE_TABLE, GRADE_TABLE
from .tables import Tables


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
        #: (name, compiled formula, conversion to the column, field, stored) per computed field.
        self.computed = [
            (f.name, rule.run, f.kind.from_formula, f, f.stored) for f, rule in rules.computed
        ]
        self.layouts = {g.grading.name: Layout.of(g.grading) for g in rules.gradings}
        self.manual = _manual_grades(conn, tables, ent.name, names, ids, now)
        self.newest = {name: _newest_rows(conn, tables, ent.name, name, ids) for name in names}
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
        values: dict[str, Any] = {}
        for name, run, convert, field, kept in self.computed:
            value = run(view, ctx)
            if value is not None:  # to_column
                value = convert(value, field)
            view[name] = float(value) if type(value) is Decimal else value
            if kept:
                values[name] = value
        for grading in self.rules.gradings:
            result = grading.evaluate(view, ctx)
            values |= self._grade(grading, result, stored, record_id, user_id, cause)
        changed = {}
        for name, value in values.items():
            before = stored.get(name)
            if before is None:  # the common case for new records: json_safe(None) is None
                if value is not None:
                    changed[name] = value
            elif json_safe(before) != json_safe(value):
                changed[name] = value
        return changed

    def _grade(
        self,
        grading: CompiledGrading,
        result: GradeResult,
        stored: Mapping[str, Any],
        record_id: int,
        user_id: int | None,
        cause: str,
    ) -> dict[str, Any]:
        """`RuleRunner._grade`, reading what was fetched for the batch."""
        spec = grading.grading
        score = to_column(self.ent.fields[spec.score_field], result.score)
        grade = result.grade
        manual = self.manual.get((spec.name, record_id))
        if manual is not None:
            grade = manual["grade"]
        layout = self.layouts[spec.name]
        explanation = compact(layout, result, None if manual is None else json_safe(manual))
        newest = self.newest[spec.name].get(record_id)
        row = history_row(
            newest,
            spec.name,
            self.ent.name,
            record_id,
            stored,
            (spec.score_field, spec.grade_field),
            (grade, result.score, explanation),
            (self.now, user_id, cause),
        )
        if row is not None:
            if newest is None or layout_key(newest.explanation) != layout.key:
                self.layouts_needed[layout.key] = layout
            self.history.append(row)
        return {spec.score_field: score, spec.grade_field: grade}

    def flush(self, conn: Connection) -> None:
        """Write the layouts and history rows gathered so far."""
        for layout in self.layouts_needed.values():
            store_layout(conn, self.tables, layout, self.now)
        if self.history:
            conn.execute(self.tables.system(GRADE_TABLE).insert(), self.history)
        self.history, self.layouts_needed = [], {}


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
