"""SQLAlchemy Core tables from the model: one real table per entity, one column per field.

Every entity table has the system columns (id, created/updated at and by, version); a child
entity's table also has parent_id and position. Link fields become foreign keys. Columns are
nullable: "required" is enforced by the record service, so that a required field can be added
to a table that already has rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from ..metamodel.fieldtypes.columns import UtcDateTime
from ..metamodel.model import USER_ENTITY, App, Entity, Field
from .system import ID_TYPE, NAMING_CONVENTION, USER_TABLE, add_system_tables

ON_DELETE = {"restrict": "RESTRICT", "set_null": "SET NULL", "cascade": "CASCADE"}


@dataclass(frozen=True)
class Tables:
    """The MetaData of an app and its tables, looked up by entity name."""

    metadata: sa.MetaData
    entities: Mapping[str, sa.Table]

    def __getitem__(self, entity: str) -> sa.Table:
        return self.entities[entity]

    def system(self, name: str) -> sa.Table:
        return self.metadata.tables[name]


def table_name_of(target: str) -> str:
    return USER_TABLE if target == USER_ENTITY else target


def build_tables(app: App) -> Tables:
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    add_system_tables(metadata)
    entities = {name: _entity_table(metadata, app, entity) for name, entity in app.entities.items()}
    return Tables(metadata, entities)


def _entity_table(metadata: sa.MetaData, app: App, entity: Entity) -> sa.Table:
    columns: list[sa.Column] = [
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column(
            "created_by", sa.BigInteger(), sa.ForeignKey(f"{USER_TABLE}.id", ondelete="SET NULL")
        ),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column(
            "updated_by", sa.BigInteger(), sa.ForeignKey(f"{USER_TABLE}.id", ondelete="SET NULL")
        ),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    ]
    if entity.child_of:
        columns.append(
            sa.Column(
                "parent_id",
                sa.BigInteger(),
                sa.ForeignKey(f"{entity.child_of}.id", ondelete="CASCADE"),
                nullable=False,
                index=True,
            )
        )
        columns.append(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
    indexed = set(entity.list.filters) | {k.field for k in entity.list.sort}
    for field in entity.stored_fields():
        columns.append(field_column(field, index=field.name in indexed))
    return sa.Table(entity.table_name, metadata, *columns)


def field_column(field: Field, index: bool = False) -> sa.Column:
    """The column of one stored field."""
    args: list[sa.SchemaItem] = []
    if field.type == "link":
        target = table_name_of(field.setting("to"))
        on_delete = ON_DELETE[field.setting("on_delete", "restrict")]
        args.append(sa.ForeignKey(f"{target}.id", ondelete=on_delete))
    wants_index = not field.unique and (index or field.indexed or field.kind.indexed(field))
    return sa.Column(
        field.name,
        field.kind.column_type(field),
        *args,
        nullable=True,
        unique=field.unique or None,
        index=wants_index or None,
    )
