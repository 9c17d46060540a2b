"""What the record service hands out: `Record`, an immutable snapshot of one row.

`values` holds the entity's stored fields (and, from `get`, its child-table rows as lists of
dicts); the system columns are attributes. Callers pass `version` back on update and delete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..metamodel.model import Entity, frozen_map


@dataclass(frozen=True, slots=True)
class Record:
    entity: str
    id: int
    version: int
    values: Mapping[str, Any]
    created_at: dt.datetime
    created_by: int | None
    updated_at: dt.datetime
    updated_by: int | None
    #: The value of the entity's title field as text (None when it has none or it is empty).
    title: str | None = None

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


def record_from_row(
    entity: Entity, row: sa.RowMapping, extra: Mapping[str, Any] | None = None
) -> Record:
    """A Record from a row of the entity's table (plus e.g. child rows in `extra`)."""
    values = {f.name: row[f.name] for f in entity.stored_fields()}
    values.update(extra or {})
    title = values.get(entity.title_field) if entity.title_field else None
    return Record(
        entity=entity.name,
        id=row["id"],
        version=row["version"],
        values=frozen_map(values),
        created_at=row["created_at"],
        created_by=row["created_by"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        title=None if title is None else str(title),
    )


def child_row(entity: Entity, row: sa.RowMapping) -> dict[str, Any]:
    """One row of a child table as the parent record shows it: its id and field values."""
    return {"id": row["id"], **{f.name: row[f.name] for f in entity.stored_fields()}}


def db_values(table: sa.Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """Values ready to bind: None in a JSON column is SQL NULL, not the JSON text 'null'."""
    return {
        k: sa.null() if v is None and isinstance(table.c[k].type, sa.JSON) else v
        for k, v in values.items()
    }
