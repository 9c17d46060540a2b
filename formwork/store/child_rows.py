"""Rows of child tables (a `table` field): read, checked and written with their parent.

A child entity's table has `parent_id` and `position`. The list a caller sends replaces the
rows: rows with an `id` are updated (only the keys sent change), rows without one are
inserted, and rows left out are deleted. Errors are keyed `milestones[2].due_date`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..metamodel.model import App, Entity, Field
from .attachments import AttachmentStore, FileChanges
from .errors import message
from .input_schema import RowInput
from .numbering import assign_numbers
from .record import child_row, db_values
from .references import check_links, check_unique
from .tables import Tables

Errors = dict[str, list[str]]


class ChildRows:
    def __init__(self, app: App, tables: Tables, files: AttachmentStore) -> None:
        self.app = app
        self.tables = tables
        self.files = files

    def child(self, field: Field) -> Entity:
        return self.app.entity(field.setting("to"))

    def read(self, conn: Connection, field: Field, parent_id: int) -> list[dict[str, Any]]:
        child = self.child(field)
        table = self.tables[child.name]
        rows = conn.execute(
            sa.select(table)
            .where(table.c.parent_id == parent_id)
            .order_by(table.c.position, table.c.id)
        ).mappings()
        return [child_row(child, row) for row in rows]

    def check(
        self,
        conn: Connection,
        field: Field,
        parent_id: int | None,
        rows: Sequence[RowInput],
        errors: Errors,
    ) -> None:
        """Row ids must belong to this parent; links must resolve; unique values be free."""
        child = self.child(field)
        existing = set() if parent_id is None else self._ids(conn, child, parent_id)
        for index, row in enumerate(rows):
            prefix = f"{field.name}[{index}]."
            if row.id is not None and row.id not in existing:
                errors.setdefault(prefix + "id", []).append(message("no_such_row"))
            check_links(conn, self.tables, child, row.values, prefix, errors)
            check_unique(conn, self.tables, child, row.values, row.id, prefix, errors)

    def write(
        self,
        conn: Connection,
        files: FileChanges,
        field: Field,
        parent_id: int,
        rows: Sequence[RowInput],
        old_rows: Sequence[Mapping[str, Any]],
        user_id: int | None,
        now: dt.datetime,
    ) -> None:
        """Make the parent's rows what `rows` says (checked by `check` beforehand)."""
        child = self.child(field)
        table = self.tables[child.name]
        old_by_id = {row["id"]: row for row in old_rows}
        kept = {row.id for row in rows if row.id is not None}
        gone = [row_id for row_id in old_by_id if row_id not in kept]
        if gone:
            for row_id in gone:
                files.to_remove.append(self.files.record_folder(child.name, row_id))
            conn.execute(table.delete().where(table.c.id.in_(gone)))
        for position, row in enumerate(rows):
            values = dict(row.values)
            if row.id is None:
                values.update(assign_numbers(conn, self.tables, child, now.date()))
                attachments = self._attachment_names(child, values)
                stored = {name: values.pop(name) for name in attachments}
                inserted = conn.execute(
                    table.insert().values(
                        **db_values(table, values),
                        parent_id=parent_id,
                        position=position,
                        created_at=now,
                        updated_at=now,
                        created_by=user_id,
                        updated_by=user_id,
                        version=1,
                    )
                )
                row_id = int(inserted.inserted_primary_key[0])
                key = f"{field.name}[{position}]."
                changed = self._store_files(files, key, child, row_id, stored, {})
                if changed:
                    conn.execute(
                        table.update()
                        .where(table.c.id == row_id)
                        .values(**db_values(table, changed))
                    )
                continue
            old = old_by_id[row.id]
            stored = {name: values[name] for name in self._attachment_names(child, values)}
            key = f"{field.name}[{position}]."
            values.update(self._store_files(files, key, child, row.id, stored, old))
            changed = {k: v for k, v in values.items() if old.get(k) != v}
            if not changed and old_position(old_rows, row.id) == position:
                continue
            conn.execute(
                table.update()
                .where(table.c.id == row.id)
                .values(
                    **db_values(table, changed),
                    position=position,
                    updated_at=now,
                    updated_by=user_id,
                    version=table.c.version + 1,
                )
            )

    def forget_files(
        self, field: Field, rows: Sequence[Mapping[str, Any]] | None, files: FileChanges
    ) -> None:
        """Queue the files of rows that are going away (their parent is deleted)."""
        child = self.child(field)
        for row in rows or ():
            files.to_remove.append(self.files.record_folder(child.name, row["id"]))

    def _ids(self, conn: Connection, child: Entity, parent_id: int) -> set[int]:
        table = self.tables[child.name]
        query = sa.select(table.c.id).where(table.c.parent_id == parent_id)
        return {row.id for row in conn.execute(query)}

    def _attachment_names(self, child: Entity, values: Mapping[str, Any]) -> list[str]:
        return [k for k in values if child.fields[k].type == "attachment"]

    def _store_files(
        self,
        files: FileChanges,
        prefix: str,
        child: Entity,
        row_id: int,
        items: Mapping[str, Any],
        old: Mapping[str, Any],
    ) -> dict[str, Any]:
        return {
            name: self.files.apply(prefix + name, child.name, row_id, value, old.get(name), files)
            for name, value in items.items()
        }


def old_position(rows: Sequence[Mapping[str, Any]], row_id: int) -> int:
    return next(i for i, row in enumerate(rows) if row["id"] == row_id)
