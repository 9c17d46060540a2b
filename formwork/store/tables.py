"""SQLAlchemy Core tables from the model: one real table per entity, one column per field.

Every entity table has the system columns (id, created/updated at and by, version); a child
entity's table also has parent_id and position. Link fields become foreign keys. Columns are
nullable: "required" is enforced by the record service, so that a required field can be added
to a table that already has rows.

Indexes follow the list (see `list_indexes`): a list page filters on its configured filters
and orders by its sort then id, and its indexes are what lets the database return the first
rows of that order without sorting every match.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from ..metamodel.fieldtypes.columns import UtcDateTime
from ..metamodel.model import USER_ENTITY, App, Entity, Field
from .system import ID_TYPE, NAMING_CONVENTION, USER_TABLE, add_system_tables

ON_DELETE = {"restrict": "RESTRICT", "set_null": "SET NULL", "cascade": "CASCADE"}
#: Value types filtered by a range (min/max) rather than by equality.
RANGE_VALUE_TYPES = frozenset({"number", "date", "datetime"})
#: The longest index name every supported database keeps whole (PostgreSQL: 63).
MAX_NAME = 63


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
    composite, single = list_indexes(entity)
    for field in entity.stored_fields():
        columns.append(field_column(field, index=field.name in single))
    table = sa.Table(entity.table_name, metadata, *columns)
    for names in composite:
        sa.Index(index_name(table.name, names), *(table.c[n] for n in names))
    for name in contained_filters(entity):
        gin_index(index_name(table.name, (name,)), table.c[name])
    return table


def contained_filters(entity: Entity) -> list[str]:
    """The list's filters on JSON values (a multiselect's choices): each is matched by
    containment (`@>` on PostgreSQL), which a GIN index serves and no B-tree index does."""
    fields = entity.fields
    return [
        name
        for name in entity.list.filters
        if _short_column(field := fields.get(name)) and _holds_json(field)
    ]


#: `Index.info` key naming the only dialect an index is made on (schema sync reads it).
DIALECT_KEY = "formwork_dialect"


def gin_index(name: str, column: sa.Column) -> sa.Index:
    """A GIN index of a JSONB column, made on PostgreSQL only (SQLite has no such index)."""
    index = sa.Index(name, column, postgresql_using="gin", info={DIALECT_KEY: "postgresql"})
    return index.ddl_if(dialect="postgresql")


def index_using(index: sa.Index) -> str | None:
    """The index method of `index` when it is not the default B-tree ("gin")."""
    return index.dialect_options["postgresql"].get("using") or None


def made_on(index: sa.Index, dialect: str) -> bool:
    """Whether schema sync makes `index` on `dialect`."""
    return index.info.get(DIALECT_KEY, dialect) == dialect


def list_indexes(entity: Entity) -> tuple[list[tuple[str, ...]], set[str]]:
    """The entity's indexes: (composite indexes as column names, fields that get a
    single-column index).

    With S the list's first sort key and its column, an equality filter F (choices, yes/no,
    links) gets (F, S, id): the matches of F come out of the index already in S order, so a
    page reads about one page of rows instead of sorting every match (ties on S are sorted by
    id). The list's order itself gets (S, id). Range filters (numbers, dates) keep an index of
    their own — a range on F and an order on S cannot share one. The other sort keys keep
    theirs, for a list sorted by a column header. Each of these replaces the single-column
    index its field had, so a list never costs more than one index per filter and sort key.
    Fields indexed for their own sake (`indexed: true`, links) keep a single-column index
    unless a composite index starts with them. A filter on a JSON value (a multiselect, whose
    filter matches one choice inside the value) gets no B-tree index, which could not serve
    it: on PostgreSQL a GIN index instead (`contained_filters`), on SQLite none.
    """
    fields = entity.fields
    first = entity.list.sort[0].field if entity.list.sort else None
    lead = first if first is not None and _orderable(fields.get(first)) else None
    single = {k.field for k in entity.list.sort if k.field != lead}
    single |= {f.name for f in entity.stored_fields() if f.indexed or f.kind.indexed(f)}
    composite: list[tuple[str, ...]] = []
    if lead is not None:
        composite.append((lead, "id"))
    for name in entity.list.filters:
        field = fields.get(name)
        if field is not None and field.unique:
            continue  # its unique constraint finds the one match
        if not _orderable(field):
            continue
        if lead is None or name == lead or _is_range(field):
            single.add(name)
        else:
            composite.append((name, lead, "id"))
    leading = {c[0] for c in composite}
    return composite, single - leading


def index_name(table: str, columns: tuple[str, ...]) -> str:
    """`ix_<table>_<columns>`, shortened with a hash to a length every database keeps."""
    name = f"ix_{table}_{'_'.join(columns)}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}_{digest}"


def _orderable(field: Field | None) -> bool:
    """Whether an index on the field's column can serve equality or order (not JSON)."""
    return _short_column(field) and not _holds_json(field)


def _short_column(field: Field | None) -> bool:
    """Whether the field has a column of its own, of values short enough to index."""
    return field is not None and field.stored and not field.kind.bulky


def _holds_json(field: Field | None) -> bool:
    return field is not None and isinstance(field.kind.column_type(field), sa.JSON)


def _is_range(field: Field | None) -> bool:
    return field is not None and field.kind.value_type in RANGE_VALUE_TYPES


def field_column(field: Field, index: bool = False) -> sa.Column:
    """The column of one stored field, with a single-column index if `index`."""
    args: list[sa.SchemaItem] = []
    if field.type == "link":
        target = table_name_of(field.setting("to"))
        on_delete = ON_DELETE[field.setting("on_delete", "restrict")]
        args.append(sa.ForeignKey(f"{target}.id", ondelete=on_delete))
    wants_index = index and not field.unique
    return sa.Column(
        field.name,
        field.kind.column_type(field),
        *args,
        nullable=True,
        unique=field.unique or None,
        index=wants_index or None,
    )
