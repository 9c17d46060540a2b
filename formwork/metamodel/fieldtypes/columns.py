"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no exact decimal and no time zones; these decorators make money and timestamps
round-trip exactly (decimals quantized to their scale, datetimes always timezone-aware UTC).

Reading is on every page's path (a list page converts a few hundred of these values), so
each decorator hands SQLAlchemy one function per column that does the database driver's
conversion and its own in one call (`result_processor`), instead of SQLAlchemy's chain of
two; it gives what `process_result_value` of the driver's value gives, which stays the
definition (and what a subclass that overrides it gets).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.processors import str_to_datetime


class ExactDecimal(sa.types.TypeDecorator[Decimal]):
    """NUMERIC(precision, scale); values come back as `Decimal` quantized to the scale."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = 20, scale: int = 2) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)
        #: Values below this quantize to at most 15 digits (or to this, which has one).
        self._exact_below = Decimal(10) ** (15 - scale)

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            # SQLite stores REAL; we convert ourselves (and avoid SQLAlchemy's lossy-float warning).
            return dialect.type_descriptor(sa.Numeric(asdecimal=False))
        return dialect.type_descriptor(sa.Numeric(self.impl.precision, self.scale))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = Decimal(value).quantize(self._quantum)
        return float(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return _decimal(value, self._quantum)

    def result_processor(
        self, dialect: Dialect, coltype: Any
    ) -> Callable[[Any], Decimal | None] | None:
        """`process_result_value` of the driver's value, in one call (see the module)."""
        if type(self).process_result_value is not ExactDecimal.process_result_value:
            return super().result_processor(dialect, coltype)
        inner = self.impl_instance.result_processor(dialect, coltype)
        quantum = self._quantum
        if inner is None:
            return lambda value: _decimal(value, quantum)
        return lambda value: _decimal(inner(value), quantum)

    def round_trip(self, value: Any, dialect: Dialect) -> Decimal | None:
        """`value` as the column hands it back once written: `process_result_value` of
        `process_bind_param`. A decimal of at most 15 digits survives SQLite's float
        unchanged (DBL_DIG), so it comes back quantized, as it does from a NUMERIC."""
        exact = type(value) is Decimal and value.is_finite()
        if exact and (dialect.name != "sqlite" or abs(value) < self._exact_below):
            return value.quantize(self._quantum)
        return self.process_result_value(self.process_bind_param(value, dialect), dialect)


class UtcDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and returned timezone-aware, on every database."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        return _utc(value)

    def result_processor(
        self, dialect: Dialect, coltype: Any
    ) -> Callable[[Any], dt.datetime | None] | None:
        """`process_result_value` of the driver's value, in one call (see the module)."""
        if type(self).process_result_value is not UtcDateTime.process_result_value:
            return super().result_processor(dialect, coltype)
        inner = self.impl_instance.result_processor(dialect, coltype)
        parse = dt.datetime.fromisoformat
        # SQLite hands back the text SQLAlchemy wrote, "YYYY-MM-DD HH:MM:SS.ffffff", which
        # its driver conversion parses with `fromisoformat`: parsed with "+00:00" after it,
        # it comes out as UTC at once (`replace(tzinfo=…)` costs four times the parsing).
        exact_text = inner is str_to_datetime

        def process(value: Any) -> dt.datetime | None:
            if (
                exact_text
                and type(value) is str
                and len(value) == 26
                and value[19] == "."
                and value[20:].isdigit()
            ):
                return parse(value + "+00:00")
            return _utc(value if inner is None else inner(value))

        return process


def _decimal(value: Any, quantum: Decimal) -> Decimal | None:
    """A value read from a NUMERIC or (SQLite) REAL column as a Decimal of `quantum`."""
    if value is None:
        return None
    return Decimal(repr(value) if isinstance(value, float) else value).quantize(quantum)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """A datetime read from the database as timezone-aware UTC (naive ones are UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def json_column() -> sa.types.TypeEngine[Any]:
    """JSON everywhere, JSONB on PostgreSQL (indexable, compact)."""
    return sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
