"""Queries over one entity: filters, text search, sort and keyset pagination.

`compile_query` checks a `Query` against the model and builds its SQL without running any:
every field must be declared (or be a system column), every operator must suit the field's
type, and every value is converted by the field's input field and bound as a parameter. A
mistake is a QueryError naming the filter, before the database is touched.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from cachetools import LRUCache
from sqlalchemy.dialects.postgresql import JSONB

from ..metamodel.model import SYSTEM_COLUMNS, App, Entity, Field, Label, SortKey, frozen_map
from .database import json_text
from .errors import QueryError, message
from .keyset import Key, after_condition, decode_cursor, encode_cursor, nullable
from .record import Record, record_from_row
from .tables import Tables

COUNT_CAP = 10_000
MAX_PAGE_SIZE = 500

OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "contains", "between", "empty", "not_empty")
ALIASES = {"=": "eq", "!=": "ne", "≠": "ne", "<": "lt", "<=": "le", "≤": "le"}
ALIASES |= {">": "gt", ">=": "ge", "≥": "ge"}
ORDERED_OPS = ("lt", "le", "gt", "ge", "between")
#: System columns that may be filtered and sorted on, with the field type they behave as.
SYSTEM_FIELDS = {
    "id": "integer",
    "created_at": "datetime",
    "updated_at": "datetime",
    "created_by": "link",
    "updated_by": "link",
}


@dataclass(frozen=True, slots=True)
class Filter:
    field: str
    op: str = "eq"
    value: Any = None


@dataclass(frozen=True, slots=True)
class Query:
    filters: tuple[Filter, ...] = ()
    #: Words that must each appear in one of the entity's search fields.
    search: str | None = None
    #: Field names, "-" in front for descending; None means the entity's list sort.
    sort: tuple[str, ...] | None = None
    page_size: int | None = None
    #: The `next_cursor` of the previous page.
    after: str | None = None
    #: Whether to count the matching records (up to COUNT_CAP).
    count: bool = True
    #: The fields whose values the caller needs (a list page: its columns); the records then
    #: hold those and the title field only, which makes wide tables cheaper to page through.
    #: None reads every stored field. (An entity with virtual computed fields always reads
    #: them all: their formulas may need any of them.)
    fields: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Page:
    records: tuple[Record, ...]
    next_cursor: str | None
    total: int | None
    #: True when there are more than `total` matches (counting stopped at the cap).
    total_capped: bool = False


@dataclass(frozen=True)
class CompiledQuery:
    statement: sa.Select[Any]
    count_statement: sa.Select[Any] | None
    keys: tuple[Key, ...]
    page_size: int
    #: The stored fields the statement reads, when not all of them (see `Query.fields`).
    fields: tuple[str, ...] | None = None

    def records(self, entity: Entity, rows: Sequence[sa.Row[Any]]) -> list[Record]:
        """The fetched rows as records, holding the fields the statement read."""
        if self.fields is None:
            return [record_from_row(entity, row._mapping) for row in rows]
        return _narrow_records(entity, self.fields, rows)

    def page(
        self, records: Sequence[Record], rows: Sequence[sa.Row[Any]], total: int | None
    ) -> Page:
        """The page from the fetched rows (one more than the page size, if there are more)."""
        more = len(rows) > self.page_size
        cursor = encode_cursor(self.keys, rows[self.page_size - 1]._mapping) if more else None
        capped = total is not None and total > COUNT_CAP
        return Page(
            tuple(records[: self.page_size]),
            cursor,
            None if total is None else min(total, COUNT_CAP),
            capped,
        )


def compile_query(
    app: App,
    tables: Tables,
    entity: Entity,
    query: Query,
    dialect: str = "sqlite",
    hidden: frozenset[str] = frozenset(),
    scope: Any = None,
    computed: Mapping[str, sa.ColumnElement[Any]] | None = None,
) -> CompiledQuery:
    """The SQL of `query`; QueryError (before any SQL runs) if it does not fit the model.

    `hidden` fields are unknown to this query (no filter, sort or search on them); `scope` is
    the permission condition every row must meet; `computed` holds the SQL form of virtual
    computed fields (by name), so they can be filtered and sorted on like columns.

    Without a scope or computed fields the result depends on its arguments alone, and the
    same query is asked again and again (every visit of a list's first page): it is kept
    (`_compiled`), which also lets SQLAlchemy reuse its cache key instead of working out a
    new statement's. A query whose values cannot be a key (a list) is built every time.
    """
    key = None
    if scope is None and not computed:
        try:
            key = (id(app), id(tables), entity.name, _typed(query), dialect, hidden)
            with _compiled_lock:
                kept = _compiled.get(key)
        except TypeError:  # an unhashable filter value
            key, kept = None, None
        if kept is not None and kept[0] is app and kept[1] is tables:
            return kept[2]
    compiled = _compile(app, tables, entity, query, dialect, hidden, scope, computed)
    if key is not None:
        with _compiled_lock:
            _compiled[key] = (app, tables, compiled)
    return compiled


MAX_COMPILED = 256
#: Compiled queries kept by `compile_query`, least recently used dropped first (with the
#: model and tables they were made for, checked by identity: a new config is a new model).
_compiled: LRUCache[Any, tuple[App, Tables, CompiledQuery]] = LRUCache(MAX_COMPILED)
_compiled_lock = threading.Lock()  # cachetools' caches are not thread-safe


def _typed(value: Any) -> Any:
    """`value` (a query, or a part of one) as a key that tells apart equal values of other
    types (1, 1.0 and True are equal, but a field may take one and refuse another)."""
    if isinstance(value, Query):
        return (Query, *(_typed(getattr(value, name)) for name in Query.__slots__))
    if isinstance(value, Filter):
        return (Filter, _typed(value.field), _typed(value.op), _typed(value.value))
    if isinstance(value, tuple | list):
        return (type(value), *(_typed(item) for item in value))
    return (type(value), value)


def _compile(
    app: App,
    tables: Tables,
    entity: Entity,
    query: Query,
    dialect: str,
    hidden: frozenset[str],
    scope: Any,
    computed: Mapping[str, sa.ColumnElement[Any]] | None,
) -> CompiledQuery:
    builder = _Builder(app, tables, entity, dialect, hidden, computed or {})
    errors: dict[str, list[str]] = {}
    conditions = []
    for index, item in enumerate(query.filters):
        try:
            conditions.append(builder.filter(item))
        except QueryError as exc:
            errors[f"filters[{index}]"] = [t for v in exc.errors.values() for t in v]
    if query.search and query.search.strip():
        conditions.append(builder.search(query.search))
    try:
        keys = builder.keys(query.sort)
    except QueryError as exc:
        errors.update(exc.errors)
        keys = ()
    fields = builder.read_fields(query.fields, errors)
    size = entity.list.page_size if query.page_size is None else query.page_size
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_PAGE_SIZE:
        errors["page_size"] = [message("bad_page_size", max=MAX_PAGE_SIZE)]
    if errors:
        raise QueryError(errors)
    table = tables[entity.name]
    if scope is not None:
        conditions.append(scope)
    # Virtual fields sorted on are selected too: the page cursor reads their values.
    sorted_on = [builder.computed[k.name].label(k.name) for k in keys if k.name in builder.computed]
    columns = [table] if fields is None else [table.c[n] for n in (*SYSTEM_COLUMNS, *fields)]
    base = sa.select(*columns, *sorted_on).where(*conditions)
    count = None
    if query.count:
        capped = base.with_only_columns(table.c.id).limit(COUNT_CAP + 1).subquery()
        count = sa.select(sa.func.count()).select_from(capped)
    statement = base.order_by(*(k.order_by(dialect) for k in keys)).limit(size + 1)
    if query.after:
        statement = statement.where(after_condition(keys, decode_cursor(keys, query.after)))
    return CompiledQuery(statement, count, keys, size, fields)


class _Builder:
    def __init__(
        self,
        app: App,
        tables: Tables,
        entity: Entity,
        dialect: str,
        hidden: frozenset[str],
        computed: Mapping[str, sa.ColumnElement[Any]],
    ) -> None:
        self.app = app
        self.hidden = hidden
        self.computed = computed
        self.entity = entity
        self.tables = tables
        self.table = tables[entity.name]
        self.dialect = dialect

    def field(self, name: Any) -> Field:
        if isinstance(name, str) and name in self.entity.fields and name not in self.hidden:
            return self.entity.fields[name]
        if isinstance(name, str) and name in SYSTEM_FIELDS:
            kind = self.app.types[SYSTEM_FIELDS[name]]
            settings = frozen_map({"to": "user"})
            return Field(
                name, self.entity.name, kind, Label({}), self.entity.location, settings=settings
            )
        raise QueryError.one("field", f"No field named {name!r} in {self.entity.name}.")

    def filter(self, item: Filter | Sequence[Any]) -> sa.ColumnElement[bool]:
        if not isinstance(item, Filter):
            try:
                item = Filter(*item)
            except TypeError:
                raise QueryError.one("filter", "Not a filter: use (field, op, value).") from None
        field = self.field(item.field)
        op = ALIASES.get(item.op, item.op) if isinstance(item.op, str) else item.op
        if op not in OPS:
            raise QueryError.one("op", message("unknown_op", op=item.op, ops=", ".join(OPS)))
        if op not in self.ops(field):
            raise QueryError.one("op", message("op_not_for_type", op=op, type=field.type))
        if field.type == "table":
            return self._rows_exist(field, negate=op == "empty")
        column = self.column(field)
        value = item.value
        if op in ("empty", "not_empty"):
            if value not in (None, True):
                raise QueryError.one("value", message("no_value", op=op))
            empty = column.is_(None)
            if isinstance(column.type, sa.String):
                empty = sa.or_(empty, column == "")
            return empty if op == "empty" else sa.not_(empty)
        if op == "contains":
            return self._contains(field, column, value)
        if op == "in":
            if isinstance(value, str) or not isinstance(value, Sequence):
                raise QueryError.one("value", message("needs_list", op=op))
            return column.in_([self.value(field, v) for v in value])
        if op == "between":
            if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
                raise QueryError.one("value", message("needs_pair"))
            low, high = (None if v in (None, "") else self.value(field, v) for v in value)
            if low is None and high is None:
                raise QueryError.one("value", message("needs_pair"))
            parts = [] if low is None else [column >= low]
            return sa.and_(*parts, *([] if high is None else [column <= high]))
        converted = self.value(field, value)
        if op == "ne":  # "not X" includes records without a value
            return sa.or_(column != converted, column.is_(None))
        compare = {"eq": "__eq__", "lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}
        return getattr(column, compare[op])(converted)

    def ops(self, field: Field) -> tuple[str, ...]:
        if field.type == "table" or field.type == "attachment":
            return ("empty", "not_empty")
        if field.type == "multiselect":
            return ("contains", "empty", "not_empty")
        ops = ["eq", "ne", "in", "empty", "not_empty"]
        if field.kind.ordered:
            ops += ORDERED_OPS
        if isinstance(self.column(field).type, sa.String):
            ops.append("contains")
        return tuple(ops)

    def column(self, field: Field) -> sa.ColumnElement[Any]:
        """The field's column, or the SQL form of a virtual computed field; QueryError for a
        virtual field whose formula has no SQL form (it is computed only as records are read)."""
        if field.name in self.table.c:
            return self.table.c[field.name]
        if field.name in self.computed:
            return self.computed[field.name]
        raise QueryError.one("field", message("not_in_sql", field=field.name))

    def value(self, field: Field, raw: Any) -> Any:
        """A filter value converted like input to the field, but without range checks."""
        converter = field.kind.input_field(field)
        converter.validators = []
        try:
            value = converter.deserialize(raw)
        except ma.ValidationError as exc:
            texts = exc.messages if isinstance(exc.messages, list) else [str(exc.messages)]
            raise QueryError({"value": [str(t) for t in texts]}) from None
        if value is None:
            raise QueryError.one("value", message("needs_value"))
        return value

    def _contains(
        self, field: Field, column: sa.ColumnElement[Any], value: Any
    ) -> sa.ColumnElement[bool]:
        if not isinstance(value, str) or not value.strip():
            raise QueryError.one("value", message("needs_value"))
        if field.type != "multiselect":
            return column.ilike(f"%{like_escape(value.strip())}%", escape="\\")
        if self.dialect == "postgresql":
            return sa.type_coerce(column, JSONB).contains([value])
        if self.dialect == "sqlite":
            items = sa.func.json_each(column).table_valued("value")
            return (
                sa.select(sa.literal(1)).select_from(items).where(items.c.value == value).exists()
            )
        # Elsewhere: the choice's text as the column stores it (`json_text`).
        return sa.cast(column, sa.Text).like(f"%{like_escape(json_text(value))}%", escape="\\")

    def _rows_exist(self, field: Field, negate: bool) -> sa.ColumnElement[bool]:
        child = self.tables[field.setting("to")]
        exists = sa.select(child.c.id).where(child.c.parent_id == self.table.c.id).exists()
        return sa.not_(exists) if negate else exists

    def search(self, text: str) -> sa.ColumnElement[bool]:
        columns = [self.table.c[n] for n in self.entity.list.search if n not in self.hidden]
        if not columns:
            return sa.true()
        words = [
            sa.or_(*(c.ilike(f"%{like_escape(word)}%", escape="\\") for c in columns))
            for word in text.split()
        ]
        return sa.and_(*words)

    def keys(self, sort: tuple[str, ...] | None) -> tuple[Key, ...]:
        if sort is None:  # the list's own order, less what this user may not see
            wanted = [k for k in self.entity.list.sort if k.field not in self.hidden]
        else:
            wanted = [_sort_key(s) for s in sort]
        keys: list[Key] = []
        for item in wanted:
            try:
                field = self.field(item.field)
            except QueryError as exc:
                raise QueryError({"sort": exc.errors["field"]}) from None
            column = self.column(field) if field.type != "table" else None
            if column is None or isinstance(column.type, sa.JSON):
                raise QueryError.one("sort", message("not_sortable", type=field.type))
            if any(k.name == field.name for k in keys):
                continue
            decode = self._decoder(field, column)
            keys.append(Key(field.name, column, item.descending, decode, nullable(column)))
        if not any(k.name == "id" for k in keys):
            # The tie-breaker goes the way of the last key: one index walk serves the order.
            last = keys[-1].descending if keys else False
            keys.append(Key("id", self.table.c.id, last, _decode_id, nullable=False))
        return tuple(keys)

    def read_fields(
        self, names: tuple[str, ...] | None, errors: dict[str, list[str]]
    ) -> tuple[str, ...] | None:
        """The stored fields a query reads (see `Query.fields`); None for all of them."""
        if names is None or any(f.virtual for f in self.entity.fields.values()):
            return None
        fields = self.entity.fields
        if isinstance(names, str) or not all(isinstance(n, str) and n in fields for n in names):
            errors["fields"] = [f"Not a list of fields of {self.entity.name}: {names!r}."]
            return None
        title = self.entity.title_field
        wanted = (*names, title) if title else names
        return tuple(dict.fromkeys(n for n in wanted if fields[n].stored))

    def _decoder(self, field: Field, column: sa.ColumnElement[Any]) -> Any:
        if field.name == "id":
            return _decode_id
        if isinstance(column.type, sa.String):
            return _decode_text
        return lambda raw: self.value(field, raw)


#: Where `_compile` puts each system column in a statement that reads some fields only: they
#: come first, the fields after them.
_AT = {name: index for index, name in enumerate(SYSTEM_COLUMNS)}


def _narrow_records(
    entity: Entity, fields: tuple[str, ...], rows: Sequence[sa.Row[Any]]
) -> list[Record]:
    """Records of rows of a statement that reads the system columns and `fields`, in that
    order (by position: cheaper than by name for every value of a page)."""
    name, start = entity.name, len(SYSTEM_COLUMNS)
    title = fields.index(entity.title_field) if entity.title_field else None
    at_id, at_version = _AT["id"], _AT["version"]
    at_created, at_creator = _AT["created_at"], _AT["created_by"]
    at_updated, at_updater = _AT["updated_at"], _AT["updated_by"]
    records = []
    for row in rows:
        values = row[start:]
        named = None if title is None else values[title]
        records.append(
            Record(
                entity=name,
                id=row[at_id],
                version=row[at_version],
                values=MappingProxyType(dict(zip(fields, values, strict=True))),
                created_at=row[at_created],
                created_by=row[at_creator],
                updated_at=row[at_updated],
                updated_by=row[at_updater],
                title=None if named is None else str(named),
            )
        )
    return records


def _sort_key(text: Any) -> SortKey:
    if isinstance(text, SortKey):
        return text
    if not isinstance(text, str) or not text.lstrip("-"):
        raise QueryError.one("sort", f"Not a sort key: {text!r}.")
    return SortKey(text.lstrip("-"), text.startswith("-"))


def _decode_id(raw: Any) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise ValueError("not an id")
    return raw


def _decode_text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("not text")
    return raw


def like_escape(text: str) -> str:
    """`text` for use inside a LIKE pattern with `escape="\\"`: % and _ match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
