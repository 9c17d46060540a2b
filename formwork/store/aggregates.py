"""Grouped counts and sums over one entity's records: what dashboards show.

An `Aggregate` is a measure (how many records, or the sum, average, minimum or maximum of a
number field) over the records that match some filters, optionally split into groups: by the
value of a field, by period of a date field (day … year), or by how many days a date lies
before today (aging buckets). `compile_aggregate` builds ONE grouped SELECT for it, with the
filters compiled exactly as a list's (`query.compile_query`) and inside the same row scope, so
a group's count is the count of the list filtered to it. The record service runs it for a
user (`RecordService.aggregate`), which supplies the scope and the fields they may not see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ..metamodel.model import App, Entity
from .errors import QueryError
from .query import Filter, Query, compile_query
from .tables import Tables

FUNCTIONS = ("count", "sum", "avg", "min", "max")
PERIODS = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True, slots=True)
class ByValue:
    """One group per value of a field; with `limit`, only the largest groups."""

    field: str
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class ByPeriod:
    """One group per period (day, week from Monday, month, quarter, year) of a date field;
    the key is the period's first day."""

    field: str
    period: str = "month"


@dataclass(frozen=True, slots=True)
class ByAge:
    """One group per bucket of days from a date field to `today`: `starts` (0, 30, 60) make
    0–29, 30–59 and 60+ days; the key is the bucket's index. Dates after today - starts[0]
    (not yet that old) are left out."""

    field: str
    starts: tuple[int, ...]
    today: dt.date


Grouping = ByValue | ByPeriod | ByAge


@dataclass(frozen=True, slots=True)
class Aggregate:
    filters: tuple[Filter, ...] = ()
    #: count, or sum / avg / min / max of `field`.
    function: str = "count"
    field: str | None = None
    group: Grouping | None = None


@dataclass(frozen=True, slots=True)
class Bucket:
    """One group's figures: its key (None without grouping), the measure and the records."""

    key: Any
    value: Decimal | int | float | None
    count: int


def compile_aggregate(
    app: App,
    tables: Tables,
    entity: Entity,
    aggregate: Aggregate,
    dialect: str = "sqlite",
    hidden: frozenset[str] = frozenset(),
    scope: Any = None,
    computed: Mapping[str, sa.ColumnElement[Any]] | None = None,
) -> sa.Select[Any]:
    """The grouped SELECT (key, measure, count) of `aggregate`; QueryError before any SQL for
    a field that is unknown, hidden from the user or of the wrong kind."""
    where = compile_query(
        app,
        tables,
        entity,
        Query(filters=aggregate.filters, sort=("id",), page_size=1, count=False),
        dialect,
        hidden=hidden,
        scope=scope,
        computed=computed,
    ).statement.whereclause
    table = tables[entity.name]
    conditions = [] if where is None else [where]
    measure = _measure(entity, table, aggregate, hidden).label("value")
    count = sa.func.count().label("count")
    group = aggregate.group
    if group is None:
        return (
            sa.select(sa.null().label("key"), measure, count).select_from(table).where(*conditions)
        )
    column = _column(entity, table, group.field, hidden)
    if isinstance(group, ByValue):
        key: sa.ColumnElement[Any] = column
    elif isinstance(group, ByPeriod):
        _need_date(entity, group.field)
        key = period_start(column, group.period, dialect)
    else:
        _need_date(entity, group.field)
        key = _age_bucket(column, group)
        conditions.append(column <= group.today - dt.timedelta(days=group.starts[0]))
    statement = (
        sa.select(key.label("key"), measure, count)
        .where(*conditions, column.is_not(None))
        .group_by(key)
    )
    if isinstance(group, ByValue) and group.limit:
        statement = statement.order_by(measure.desc(), key).limit(group.limit)
    return statement


def read_buckets(aggregate: Aggregate, rows: Sequence[Any]) -> list[Bucket]:
    """The buckets of the fetched rows; period keys as dates on every database."""
    period = isinstance(aggregate.group, ByPeriod)
    return [
        Bucket(
            _as_date(row.key) if period else row.key,
            _number(row.value, aggregate.function),
            int(row.count),
        )
        for row in rows
    ]


def period_start(column: Any, period: str, dialect: str) -> sa.ColumnElement[Any]:
    """The first day of the period each date of `column` falls in."""
    if period not in PERIODS:
        raise QueryError.one("period", f"Not a period: {period!r}; use {', '.join(PERIODS)}.")
    if dialect != "sqlite":
        return sa.cast(sa.func.date_trunc(period, column), sa.Date)
    # SQLite keeps dates as ISO text; its date() modifiers move to a period's start.
    if period == "day":
        return sa.func.date(column)
    if period == "week":  # to the next Sunday (or stay on one), then back to its Monday
        return sa.func.date(column, "weekday 0", "-6 days")
    if period == "quarter":
        months_in = (sa.cast(sa.func.strftime("%m", column), sa.Integer) - 1) % 3
        return sa.func.date(column, "start of month", sa.func.printf("-%d months", months_in))
    return sa.func.date(column, f"start of {period}")


def _age_bucket(column: Any, group: ByAge) -> sa.ColumnElement[Any]:
    """Which bucket of days (its index) lies between the date and today."""
    today = group.today
    whens = [
        (column > today - dt.timedelta(days=end), index)
        for index, end in enumerate(group.starts[1:])
    ]
    last = len(group.starts) - 1
    return sa.case(*whens, else_=last) if whens else sa.literal(last)


def _measure(
    entity: Entity, table: sa.Table, aggregate: Aggregate, hidden: frozenset[str]
) -> sa.ColumnElement[Any]:
    if aggregate.function == "count":
        return sa.func.count()
    if aggregate.function not in FUNCTIONS or aggregate.field is None:
        raise QueryError.one("function", f"Not a measure: {aggregate.function!r}.")
    column = _column(entity, table, aggregate.field, hidden)
    if entity.fields[aggregate.field].kind.value_type != "number":
        raise QueryError.one("field", f"{aggregate.field} is not a number field.")
    if aggregate.function == "avg":
        return sa.func.avg(column, type_=sa.Float())
    return getattr(sa.func, aggregate.function)(column, type_=column.type)


def _column(entity: Entity, table: sa.Table, name: str, hidden: frozenset[str]) -> Any:
    """The column of a stored field the user may see; QueryError for any other name."""
    if name in hidden or name not in entity.fields or name not in table.c:
        raise QueryError.one("field", f"No field named {name!r} in {entity.name}.")
    return table.c[name]


def _need_date(entity: Entity, name: str) -> None:
    if entity.fields[name].kind.value_type != "date":
        raise QueryError.one("field", f"{name} is not a date field.")


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    return dt.date.fromisoformat(str(value)[:10])


def _number(value: Any, function: str) -> Decimal | int | float | None:
    if function == "count":
        return int(value or 0)
    if function == "sum" and value is None:
        return 0
    return value
