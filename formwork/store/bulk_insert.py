"""Many rows into one table with one `executemany`, their values converted as Core converts them.

`conn.execute(table.insert(), rows)` spends most of its time per row in Python: it builds the
parameters of each row from the compiled statement and runs every column type's bind
conversion on every value, the timestamps that are the same for every row of a batch included.
`insert_many` compiles the INSERT once per table and set of columns, converts the values that
all rows share once, and converts a row's other values with the very conversions Core would
use (the column types' bind processors for the dialect), skipping NULLs; the statement and
the converted rows then go to the driver's `executemany` as they are. The work is done a
column at a time (`insert_columns`): each conversion over its column, its remembered results
looked up for the whole column at once, and the rows put together by `zip`.

Where Core would do more than that — Python-side column defaults for columns the rows leave
out, parameter names it has to escape, a type that stores NULL as a value — the rows get the
plain Core INSERT.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from ..metamodel.fieldtypes.columns import ExactDecimal


@dataclass(frozen=True)
class _Plan:
    """One compiled INSERT: its SQL and how to turn a row into the driver's parameters."""

    sql: str
    #: The columns of the rows' values (then of the shared ones), in the order of the
    #: statement's parameters.
    order: Callable[[Sequence[Any]], tuple[Any, ...]]
    #: (position among the names, conversion) of the rows' values that have a conversion.
    conversions: tuple[tuple[int, Callable[[Any], Any]], ...]
    #: The parameter names of a named paramstyle, None for a positional one.
    keys: tuple[str, ...] | None


def insert_many(
    conn: Connection,
    table: sa.Table,
    names: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    shared: Mapping[str, Any] | None = None,
) -> None:
    """INSERT a row into `table` for each of `rows` with the values of its keys `names`, and
    the values `shared` by every row."""
    if not rows:
        return
    pick = operator.itemgetter(*names) if len(names) > 1 else (lambda r: (r[names[0]],))
    insert_columns(conn, table, names, list(zip(*map(pick, rows), strict=True)), shared)


def insert_columns(
    conn: Connection,
    table: sa.Table,
    names: Sequence[str],
    columns: Sequence[Sequence[Any]],
    shared: Mapping[str, Any] | None = None,
) -> None:
    """`insert_many` of rows given by column: `columns[i]` holds every row's value of
    `names[i]` (all of the same length, at least one)."""
    if not columns or not columns[0]:
        return
    shared = shared or {}
    dialect = conn.dialect
    plan = _plan(table, dialect, tuple(names), tuple(shared))
    if plan is None:
        rows = zip(*columns, strict=True)
        conn.execute(table.insert(), [{**shared, **dict(zip(names, r, strict=True))} for r in rows])
        return
    count = len(columns[0])
    # A column at a time: the conversions run over a whole column (see `remembered`), and
    # the driver's rows are put together by `zip`, without a Python step per row.
    given: list[Sequence[Any]] = list(columns)
    for index, convert in plan.conversions:
        given[index] = _converted(convert, given[index])
    given.extend(repeat(_convert(table, dialect, k, v), count) for k, v in shared.items())
    params: list[Any] = list(zip(*plan.order(given), strict=True))
    if plan.keys is not None:
        params = [dict(zip(plan.keys, p, strict=True)) for p in params]
    conn.exec_driver_sql(plan.sql, params)


def _converted(convert: Callable[[Any], Any], values: Sequence[Any]) -> Sequence[Any]:
    """`convert` of each of `values`, NULLs left as they are."""
    many = getattr(convert, "many", None)
    if many is not None:
        return many(values)  # type: ignore[no-any-return]
    return [None if value is None else convert(value) for value in values]


@functools.lru_cache(maxsize=256)  # bounded: a published config brings new tables
def _plan(
    table: sa.Table, dialect: Dialect, names: tuple[str, ...], shared: tuple[str, ...]
) -> _Plan | None:
    columns = (*names, *shared)
    compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
    if (
        compiled.insert_prefetch
        or compiled.escaped_bind_names
        or set(compiled.binds) != set(columns)
    ):
        return None  # Core has values of its own to add, or renames parameters: leave it to Core
    keys = compiled.positiontup if compiled.positional else list(compiled.binds)
    assert keys is not None
    where = {name: i for i, name in enumerate(columns)}
    indexes = [where[k] for k in keys]
    processors = {n: _processor(table, dialect, n) for n in names}
    if any(p is not None and p(None) is not None for p in processors.values()):
        return None  # a NULL the type turns into a value (JSON 'null'): leave it to Core
    return _Plan(
        compiled.string,
        operator.itemgetter(*indexes) if len(indexes) > 1 else (lambda v: (v[indexes[0]],)),
        tuple(
            (position, processor)
            for position, name in enumerate(names)
            if (processor := processors[name]) is not None
        ),
        None if compiled.positional else tuple(keys),
    )


def _processor(table: sa.Table, dialect: Dialect, name: str) -> Callable[[Any], Any] | None:
    """The column type's bind conversion on `dialect` (what Core runs on each value); an
    exact decimal's results remembered (they depend on the number alone, and amounts recur)."""
    kind = table.c[name].type
    processor = kind.dialect_impl(dialect).bind_processor(dialect)
    if processor is not None and isinstance(kind, ExactDecimal):
        return remembered(processor)
    return processor


#: Most results a `remembered` conversion keeps.
REMEMBERED = 1024


def remembered(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`convert`, for a conversion that depends on nothing but the value (and never gives
    None for a value), with its first results kept."""
    results: dict[Any, Any] = {}

    def conversion(value: Any) -> Any:
        result = results.get(value)
        if result is None:
            result = convert(value)
            if len(results) < REMEMBERED:
                results[value] = result
        return result

    def many(values: Sequence[Any]) -> list[Any]:
        """`conversion` of each of `values` (None for None): the kept results are looked up
        for the whole column at once, and only the others converted one by one."""
        converted = list(map(results.get, values, repeat(_MISSING)))
        # By identity: `in` would compare each value with `==` (slow for decimals).
        if any(map(operator.is_, converted, repeat(_MISSING))):
            for index, value in enumerate(values):
                if converted[index] is _MISSING:
                    converted[index] = None if value is None else conversion(value)
        return converted

    conversion.many = many  # type: ignore[attr-defined]
    return conversion


_MISSING: Any = object()


def _convert(table: sa.Table, dialect: Dialect, name: str, value: Any) -> Any:
    processor = _processor(table, dialect, name)
    return value if processor is None or value is None else processor(value)
