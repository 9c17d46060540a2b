"""`insert_many` stores what Core's executemany of the same rows stores, on SQLite and
PostgreSQL: converted by the column types, shared values included, NULLs left NULL — and where
Core would add values of its own, it is Core that inserts. What bulk writes work out in their
own way is held to the general conversions: amounts as their column hands them back."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from formwork.metamodel.fieldtypes.columns import ExactDecimal, UtcDateTime, json_column
from formwork.store import bulk_insert
from formwork.store.bulk_insert import insert_many
from formwork.store.database import Database

NOW = dt.datetime(2026, 3, 14, 9, 30, 15, 123456, tzinfo=dt.UTC)


def _tables() -> tuple[sa.Table, sa.Table]:
    """The same table twice: one filled by Core, one by `insert_many`."""
    metadata = sa.MetaData()

    def table(name: str) -> sa.Table:
        return sa.Table(
            name,
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("at", UtcDateTime(), nullable=False),
            sa.Column("amount", ExactDecimal(20, 2)),
            sa.Column("flag", sa.Boolean(create_constraint=False)),
            sa.Column("tags", json_column()),
            sa.Column("raw", sa.JSON()),  # stores None as JSON null
            sa.Column("title", sa.String(50)),
            sa.Column("kind", sa.String(10), default="plain"),  # a Python-side default
        )

    return table("by_core"), table("by_insert_many")


def _contents(conn: sa.Connection, table: sa.Table) -> list[tuple[Any, ...]]:
    rows = conn.execute(sa.select(table).order_by(table.c.id)).all()
    typed = [tuple(r) for r in rows]
    # The stored text too: JSON null is not SQL NULL, and SQLite keeps timestamps as text.
    kind = sa.String() if conn.dialect.name == "sqlite" else sa.Text()
    columns = (table.c.raw, table.c.tags, table.c.at, table.c.amount)
    text = conn.execute(sa.select(*(sa.cast(c, kind) for c in columns)).order_by(table.c.id)).all()
    return [(*t, *s) for t, s in zip(typed, text, strict=True)]


ROWS: list[dict[str, Any]] = [
    {"id": 1, "amount": Decimal("12.5"), "flag": True, "tags": ["a"], "raw": {"x": 1}},
    {"id": 2, "amount": None, "flag": False, "tags": None, "raw": None, "title": "二"},
    {"id": 3, "amount": 7, "flag": None, "tags": [], "raw": [1, "b"], "kind": "k"},
]


def _same_as_core(db: Database, names: list[str], fast_path: bool) -> None:
    core, fast = _tables()
    core.metadata.create_all(db.engine)
    # Core takes the columns of an executemany from its first row: give every row them all.
    rows = [{n: r.get(n) for n in names} for r in ROWS]
    shared = {"at": NOW}
    with db.write() as conn:
        conn.execute(core.insert(), [{**shared, **r} for r in rows])
        insert_many(conn, fast, names, rows, shared)
        plan = bulk_insert._plan(fast, conn.dialect, tuple(names), tuple(shared))
        assert (plan is not None) == fast_path
    with db.read() as conn:
        assert _contents(conn, fast) == _contents(conn, core)


def test_rows_are_stored_as_core_stores_them(any_db: Database) -> None:
    _same_as_core(any_db, ["id", "amount", "flag", "tags", "title", "kind"], fast_path=True)


def test_a_column_core_fills_in_is_left_to_core(any_db: Database) -> None:
    # "kind" is not given: its Python-side default must still be written.
    _same_as_core(any_db, ["id", "amount", "flag", "tags", "title"], fast_path=False)


def test_json_null_is_left_to_core(any_db: Database) -> None:
    # "raw" turns None into JSON null, which insert_many does not do itself.
    _same_as_core(any_db, ["id", "raw", "kind"], fast_path=False)


# -- what bulk writes work out once and remember ---------------------------------------------
AMOUNTS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.decimals(-(10**14), 10**14, places=2),
    st.sampled_from([Decimal("-0"), Decimal("-0.001"), Decimal("9999999999999.995")]),
    st.sampled_from([Decimal("10000000000000"), Decimal("123456789012345.67"), Decimal("1E-9")]),
    st.integers(-(10**16), 10**16),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
@settings(max_examples=400, deadline=None)
@given(value=AMOUNTS, scale=st.integers(0, 4))
def test_an_amount_round_trips_as_the_column_converts_it(dialect: Any, value: Any, scale: int):
    kind = ExactDecimal(20, scale)
    try:
        expected = kind.process_result_value(kind.process_bind_param(value, dialect), dialect)
    except decimal.InvalidOperation:
        with pytest.raises(decimal.InvalidOperation):
            kind.round_trip(value, dialect)
        return
    got = kind.round_trip(value, dialect)
    assert got == expected and got.as_tuple() == expected.as_tuple()


def test_a_remembered_conversion_gives_the_conversion_s_results() -> None:
    calls: list[Any] = []

    def convert(value: Any) -> Any:
        calls.append(value)
        return float(value)

    remembered = bulk_insert.remembered(convert)
    assert [remembered(Decimal("1.50")), remembered(Decimal("1.5")), remembered(2)] == [1.5, 1.5, 2]
    assert calls == [Decimal("1.50"), 2]  # equal numbers convert once


def test_many_rows_are_stored_as_core_stores_them(any_db: Database) -> None:
    # More distinct amounts than a remembered conversion keeps, recurring ones, and NULLs:
    # the column-at-a-time conversions must give what Core gives row by row.
    count = bulk_insert.REMEMBERED + 300
    rows = [
        {
            "id": i + 1,
            "amount": None if i % 7 == 0 else Decimal(i % 5) if i % 2 else Decimal(i) / 8,
            "flag": None if i % 11 == 0 else i % 3 == 0,
            "tags": None if i % 4 else ["x", str(i)],
            "title": None if i % 6 == 0 else f"行{i}",
            "kind": "k",
        }
        for i in range(count)
    ]
    core, fast = _tables()
    core.metadata.create_all(any_db.engine)
    names = ["id", "amount", "flag", "tags", "title", "kind"]
    with any_db.write() as conn:
        conn.execute(core.insert(), [{"at": NOW, **r} for r in rows])
        insert_many(conn, fast, names, rows, {"at": NOW})
    with any_db.read() as conn:
        assert _contents(conn, fast) == _contents(conn, core)


def test_a_remembered_conversion_of_a_column_gives_each_value_s_conversion() -> None:
    remembered = bulk_insert.remembered(lambda value: ("converted", value))
    values = [None, *range(bulk_insert.REMEMBERED + 50), None, 3, 3, *range(2000, 1990, -1)]
    expected = [None if v is None else ("converted", v) for v in values]
    assert remembered.many(values) == expected  # type: ignore[attr-defined]
    assert remembered.many(values) == expected  # type: ignore[attr-defined]  # now remembered
