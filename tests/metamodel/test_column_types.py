"""The custom column types read values back as their `process_result_value` defines: the one-call
result processors they hand SQLAlchemy (`columns.py`) give the same values, types and time
zones as SQLAlchemy's own chain of the driver's conversion and `process_result_value`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from formwork.metamodel.fieldtypes.columns import ExactDecimal, UtcDateTime

DIALECTS = [sqlite.dialect(), postgresql.dialect()]
BEIJING = dt.timezone(dt.timedelta(hours=8))

DATETIMES: list[Any] = [
    None,
    "2026-12-07 16:58:19.566384",  # what SQLAlchemy writes on SQLite
    "2026-12-07 16:58:19.000000",
    "2026-12-07 16:58:19",
    "2026-12-07T16:58:19.566384",
    "2026-12-07 16:58:19.5",
    "2026-12-07 16:58:19.12+01",  # an offset, other lengths: not the fast path
    "2026-12-07 16:58:19.1+0100",  # 26 characters, a "." at 19, but an offset
    "2026-12-07",
    dt.datetime(2026, 12, 7, 16, 58, 19, 566384),
    dt.datetime(2026, 12, 7, 16, 58, 19, tzinfo=BEIJING),
    dt.datetime(2026, 12, 7, 16, 58, 19, tzinfo=dt.UTC),
]
DECIMALS: list[Any] = [
    None,
    0.0,
    45.15,
    45.1,
    1.005,
    -2.675,
    1e15,
    123456789012.34,
    7,
    "12.345",
    Decimal("3.14159"),
    Decimal("-0.005"),
]


#: The type codes the drivers report for NUMERIC and TIMESTAMPTZ columns (PostgreSQL's OIDs).
COLTYPES = {("postgresql", "decimal"): 1700, ("postgresql", "datetime"): 1184}


def processors(kind: sa.types.TypeDecorator[Any], dialect: Dialect, what: str) -> tuple[Any, Any]:
    """The type's own result processor, and SQLAlchemy's chain it stands for: the driver's
    conversion, then `process_result_value`."""
    coltype = COLTYPES.get((dialect.name, what))
    impl = kind.dialect_impl(dialect)
    fused = impl.result_processor(dialect, coltype)
    inner = impl.impl_instance.result_processor(dialect, coltype)  # type: ignore[attr-defined]

    def process(value: Any) -> Any:
        return kind.process_result_value(inner(value) if inner else value, dialect)

    assert fused is not None
    return fused, process


def same(a: Any, b: Any) -> bool:
    """Equal, of one type, and (for datetimes) in the same zone; (for decimals) to the digit."""
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a == b and a.tzinfo is b.tzinfo and a.utcoffset() == b.utcoffset()
    return type(a) is type(b) and str(a) == str(b)


def outcome(process: Any, value: Any) -> Any:
    try:
        return process(value)
    except (ValueError, TypeError, AttributeError) as exc:
        return type(exc)


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@pytest.mark.parametrize("value", DATETIMES, ids=repr)
def test_datetimes_read_as_process_result_value_defines(dialect: Dialect, value: Any) -> None:
    fused, chain = processors(UtcDateTime(), dialect, "datetime")
    got, want = outcome(fused, value), outcome(chain, value)
    assert same(got, want), (got, want)
    if isinstance(got, dt.datetime):
        assert got.tzinfo is dt.UTC


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@pytest.mark.parametrize("scale", [0, 1, 2, 4])
@pytest.mark.parametrize("value", DECIMALS, ids=repr)
def test_decimals_read_as_process_result_value_defines(
    dialect: Dialect, scale: int, value: Any
) -> None:
    fused, chain = processors(ExactDecimal(20, scale), dialect, "decimal")
    got, want = outcome(fused, value), outcome(chain, value)
    assert same(got, want), (got, want)


def test_a_subclass_that_reads_otherwise_is_followed() -> None:
    class Shifted(UtcDateTime):
        def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
            found = super().process_result_value(value, dialect)
            return None if found is None else found + dt.timedelta(hours=1)

    dialect = sqlite.dialect()
    process = Shifted().dialect_impl(dialect).result_processor(dialect, None)
    assert process is not None
    assert process("2026-12-07 16:58:19.566384") == dt.datetime(
        2026, 12, 7, 17, 58, 19, 566384, tzinfo=dt.UTC
    )


def test_values_round_trip_through_sqlite() -> None:
    engine = sa.create_engine("sqlite://")
    table = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UtcDateTime()),
        sa.Column("amount", ExactDecimal(20, 2)),
    )
    table.metadata.create_all(engine)
    written = [
        {"at": dt.datetime(2026, 12, 7, 16, 58, 19, 566384, tzinfo=BEIJING), "amount": "45.1"},
        {"at": dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC), "amount": Decimal("1.005")},
        {"at": None, "amount": None},
    ]
    with engine.begin() as conn:
        conn.execute(table.insert(), written)
        rows = conn.execute(sa.select(table.c.at, table.c.amount).order_by(table.c.id)).all()
    assert [tuple(r) for r in rows] == [
        (dt.datetime(2026, 12, 7, 8, 58, 19, 566384, tzinfo=dt.UTC), Decimal("45.10")),
        (dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC), Decimal("1.00")),
        (None, None),
    ]
    assert all(r.at.tzinfo is dt.UTC for r in rows[:2])
    assert str(rows[0].amount) == "45.10"
