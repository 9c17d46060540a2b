"""The rules of a write: defaults, conditional fields, validations, computed fields, grades.

The record service calls `RuleRunner.on_write` inside the write's transaction, after the
row and its child rows are written and before the audit: errors raise ValidationFailed (and
the transaction rolls back), otherwise it returns the derived column values to store and
records grade changes. `propagate` then carries the change to records of other entities
whose computed fields or grades depend on this one (rollups, fields read through links).
Derived updates do not bump a record's version: nobody's edit of it is lost by them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Set
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import App, Entity, Field
from ..rules.grade_explanation import Layout, compact, layout_key
from ..rules.grading import CompiledGrading, GradeResult
from ..rules.rulebook import EntityRules, RuleBook, formula_view
from .audit import diff, json_safe, record_audit
from .errors import RECORD_KEY, ValidationFailed, message
from .formula_context import StoreContext
from .grade_rows import history_row, newest_row, store_layout
from .grade_rows import latest_explanation as latest_explanation  # where callers look for it
from .input_schema import is_empty
from .record import db_values
from .system import GRADE_OVERRIDE_TABLE, GRADE_TABLE
from .tables import Tables

#: How far a change is carried through dependent records (a rollup of a rollup of …).
MAX_PROPAGATION_DEPTH = 5


class RuleRunner:
    def __init__(self, app: App, tables: Tables, book: RuleBook) -> None:
        self.app = app
        self.tables = tables
        self.book = book

    def context(self, conn: Connection, now: dt.datetime) -> StoreContext:
        return StoreContext(conn, self.app, self.tables, now.date())

    # -- one record as written -------------------------------------------------------------
    def on_write(
        self,
        ctx: StoreContext,
        ent: Entity,
        record_id: int,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any],
        given: set[str],
        user_id: int | None,
        now: dt.datetime,
    ) -> dict[str, Any]:
        """Check the rules for the written record; return the derived column values."""
        errors = self._child_rows(ctx, ent, before, after, user_id, now)
        rules = self.book[ent.name]
        if rules.empty:
            if errors:
                raise ValidationFailed(errors)
            return {}
        view = formula_view(ent, after, record_id)
        updates: dict[str, Any] = {}
        if before is None:
            # A form sends every field, so an empty value counts as not given here.
            for name, rule in rules.defaults.items():
                if is_empty(view[name]):
                    value = to_column(ent.fields[name], rule.run(view, ctx))
                    if value is not None:
                        updates[name] = value
                        view[name] = _formula_value(value)
        errors |= self._check(ctx, ent, rules, view, before, after, given, record_id)
        if errors:
            raise ValidationFailed(errors)
        updates |= self.derive(ctx, ent, rules, view, after, record_id, user_id, now, "record_edit")
        return updates

    def _child_rows(
        self,
        ctx: StoreContext,
        ent: Entity,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any],
        user_id: int | None,
        now: dt.datetime,
    ) -> dict[str, list[str]]:
        """The rules of each child row written with the record: defaults for new rows, the
        checks (errors keyed `milestones[2].due_on`), and computed values, stored before the
        parent's own rules run so that its rollups read them."""
        errors: dict[str, list[str]] = {}
        for field in ent.fields.values():
            if field.type != "table" or field.name not in after:
                continue
            child = self.app.entity(field.setting("to"))
            rules = self.book[child.name]
            if rules.empty:
                continue
            table = self.tables[child.name]
            old_rows = {row["id"]: row for row in (before or {}).get(field.name) or ()}
            for index, row in enumerate(after[field.name] or ()):
                old = old_rows.get(row["id"])
                values = {k: v for k, v in row.items() if k != "id"}
                view = formula_view(child, values, row["id"])
                updates: dict[str, Any] = {}
                if old is None:
                    for name, rule in rules.defaults.items():
                        if is_empty(view[name]):
                            value = to_column(child.fields[name], rule.run(view, ctx))
                            if value is not None:
                                updates[name] = value
                                view[name] = _formula_value(value)
                changed = {k for k, v in values.items() if old is None or old.get(k) != v}
                row_errors = self._check(ctx, child, rules, view, old, values, changed, row["id"])
                prefix = f"{field.name}[{index}]."
                for key, texts in row_errors.items():
                    errors.setdefault(field.name if key == RECORD_KEY else prefix + key, []).extend(
                        texts
                    )
                if errors:
                    continue
                stored = {**values, **updates}
                updates |= self.derive(
                    ctx, child, rules, view, stored, row["id"], user_id, now, "record_edit"
                )
                if updates:
                    ctx.conn.execute(
                        table.update().where(table.c.id == row["id"]), db_values(table, updates)
                    )
        return errors

    def _check(
        self,
        ctx: StoreContext,
        ent: Entity,
        rules: EntityRules,
        view: dict[str, Any],
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any],
        given: Set[str],
        record_id: int,
    ) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        hidden = {name for name, rule in rules.visible.items() if not rule.run(view, ctx)}
        for name in hidden & given if hidden else ():
            if not is_empty(after.get(name)):
                errors.setdefault(name, []).append(message("hidden"))
        for name, rule in rules.required.items():
            if name not in hidden and is_empty(view[name]) and rule.run(view, ctx):
                errors.setdefault(name, []).append(message("required"))
        if before is None:  # required fields with a default formula: checked after it ran
            for name in rules.defaults:
                field = ent.fields[name]
                if field.required and name not in hidden and is_empty(view[name]):
                    errors.setdefault(name, []).append(message("required"))
        if before is not None:
            old_view = formula_view(ent, before, record_id)
            for name, rule in rules.readonly.items():
                changed = json_safe(before.get(name)) != json_safe(after.get(name))
                if name in given and changed and rule.run(old_view, ctx):
                    errors.setdefault(name, []).append(message("readonly_now"))
        locale = self.app.default_locale
        for validation, rule in rules.validations:
            if not rule.run(view, ctx):
                key = validation.field or RECORD_KEY
                errors.setdefault(key, []).append(validation.message.get(locale))
        return errors

    def virtual_values(self, ctx: StoreContext, ent: Entity, record: Any) -> dict[str, Any]:
        """The virtual computed fields of a stored record (a `Record`)."""
        view = formula_view(ent, record.values, record.id)
        values = {}
        for field, rule in self.book[ent.name].computed:
            if field.virtual:
                values[field.name] = to_column(field, rule.run(view, ctx))
                view[field.name] = _formula_value(values[field.name])
        return values

    def derive(
        self,
        ctx: StoreContext,
        ent: Entity,
        rules: EntityRules,
        view: dict[str, Any],
        stored: Mapping[str, Any],
        record_id: int,
        user_id: int | None,
        now: dt.datetime,
        cause: str,
    ) -> dict[str, Any]:
        """Computed fields and grades for `view`; the column values that differ from `stored`."""
        values: dict[str, Any] = {}
        for field, rule in rules.computed:
            value = to_column(field, rule.run(view, ctx))
            view[field.name] = _formula_value(value)
            if field.stored:
                values[field.name] = value
        for grading in rules.gradings:
            result = grading.evaluate(view, ctx)
            values |= self._grade(
                ctx.conn, ent, grading, result, stored, record_id, user_id, now, cause
            )
        return {k: v for k, v in values.items() if json_safe(stored.get(k)) != json_safe(v)}

    def _grade(
        self,
        conn: Connection,
        ent: Entity,
        grading: CompiledGrading,
        result: GradeResult,
        stored: Mapping[str, Any],
        record_id: int,
        user_id: int | None,
        now: dt.datetime,
        cause: str,
    ) -> dict[str, Any]:
        spec = grading.grading
        score = to_column(ent.fields[spec.score_field], result.score)
        grade = result.grade
        manual = active_override(conn, self.tables, spec.name, ent.name, record_id, now)
        if manual is not None:
            grade = manual["grade"]
        layout = Layout.of(spec)
        explanation = compact(layout, result, None if manual is None else json_safe(manual))
        newest = newest_row(conn, self.tables, spec.name, ent.name, record_id)
        row = history_row(
            newest,
            spec.name,
            ent.name,
            record_id,
            stored,
            (spec.score_field, spec.grade_field),
            (grade, result.score, explanation),
            (now, user_id, cause),
        )
        if row is not None:
            if newest is None or layout_key(newest.explanation) != layout.key:
                store_layout(conn, self.tables, layout, now)
            conn.execute(self.tables.system(GRADE_TABLE).insert(), row)
        return {spec.score_field: score, spec.grade_field: grade}

    def grade_record(
        self,
        ctx: StoreContext,
        ent: Entity,
        grading: CompiledGrading,
        record_id: int,
        user_id: int | None,
        now: dt.datetime,
        cause: str,
    ) -> tuple[str | None, str] | None:
        """Grade one record with `grading` (which may differ from the book's) and store it;
        (old grade, new grade) when its score or grade changed, else None."""
        table = self.tables[ent.name]
        row = ctx.conn.execute(sa.select(table).where(table.c.id == record_id)).mappings().first()
        if row is None:
            return None
        stored = {f.name: row[f.name] for f in ent.stored_fields()}
        result = grading.evaluate(formula_view(ent, stored, record_id), ctx)
        values = self._grade(ctx.conn, ent, grading, result, stored, record_id, user_id, now, cause)
        updates = {k: v for k, v in values.items() if json_safe(stored.get(k)) != json_safe(v)}
        if not updates:
            return None
        ctx.conn.execute(table.update().where(table.c.id == record_id), db_values(table, updates))
        spec = grading.grading
        return stored.get(spec.grade_field), values[spec.grade_field]

    # -- records that depend on it ---------------------------------------------------------
    def propagate(
        self,
        ctx: StoreContext,
        ent: Entity,
        record_id: int,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        user_id: int | None,
        now: dt.datetime,
        depth: int = 0,
    ) -> bool:
        """Recompute the records of other entities that read this one; True if any changed.

        A record is recomputed even if it started the change (a deal's `account.grade` after
        the deal moved the account's grade); only changes propagate further, so the waves
        die out once values settle, and the depth bound stops pathological configs.
        """
        if depth >= MAX_PROPAGATION_DEPTH:
            return False
        changed = False
        for dependent in self.book.dependents(ent.name):
            if dependent.via == "parent_id":
                continue  # child rows are written with their parent, which recomputes itself
            if dependent.kind == "aggregate":
                ids = {v.get(dependent.via) for v in (before, after) if v is not None}
            else:
                table = self.tables[dependent.entity]
                ids = set(
                    ctx.conn.execute(
                        sa.select(table.c.id).where(table.c[dependent.via] == record_id)
                    ).scalars()
                )
            other = self.app.entity(dependent.entity)
            for other_id in sorted(int(i) for i in ids if i is not None):
                if self.recompute(ctx, other, other_id, user_id, now, "related_edit", depth + 1):
                    changed = True
        return changed

    def recompute(
        self,
        ctx: StoreContext,
        ent: Entity,
        record_id: int,
        user_id: int | None,
        now: dt.datetime,
        cause: str,
        depth: int = 0,
    ) -> dict[str, list[Any]]:
        """Recompute one record's derived values and store what changed; returns the changes."""
        table = self.tables[ent.name]
        row = ctx.conn.execute(sa.select(table).where(table.c.id == record_id)).mappings().first()
        if row is None:
            return {}
        stored = {f.name: row[f.name] for f in ent.stored_fields()}
        view = formula_view(ent, stored, record_id)
        updates = self.derive(
            ctx, ent, self.book[ent.name], view, stored, record_id, user_id, now, cause
        )
        if not updates:
            return {}
        ctx.conn.execute(table.update().where(table.c.id == record_id), db_values(table, updates))
        ctx.forget(ent.name, record_id)
        changes = diff(stored, updates)
        record_audit(
            ctx.conn,
            self.tables,
            at=now,
            user_id=user_id,
            entity=ent.name,
            record_id=record_id,
            action="recompute",
            changes=changes,
        )
        self.propagate(ctx, ent, record_id, stored, {**stored, **updates}, user_id, now, depth)
        return changes


def active_override(
    conn: Connection,
    tables: Tables,
    grading: str,
    entity: str,
    record_id: int,
    now: dt.datetime,
) -> dict[str, Any] | None:
    """The manual grade of a record, unless there is none or it has expired."""
    table = tables.system(GRADE_OVERRIDE_TABLE)
    row = (
        conn.execute(
            sa.select(
                table.c.grade, table.c.reason, table.c.user_id, table.c.at, table.c.expires_at
            )
            .where(
                table.c.grading == grading, table.c.entity == entity, table.c.record_id == record_id
            )
            .where(sa.or_(table.c.expires_at.is_(None), table.c.expires_at > now))
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def to_column(field: Field, value: Any) -> Any:
    """A formula's result as the field's column holds it (None when it cannot hold it)."""
    return None if value is None else field.kind.from_formula(value, field)


def _formula_value(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value
