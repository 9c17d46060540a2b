"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no exact decimal and no time zones; these decorators make money and timestamps
round-trip exactly (decimals quantized to their scale, datetimes always timezone-aware UTC).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect


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
        if value is None:
            return None
        return Decimal(repr(value) if isinstance(value, float) else value).quantize(self._quantum)

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
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def json_column() -> sa.types.TypeEngine[Any]:
    """JSON everywhere, JSONB on PostgreSQL (indexable, compact)."""
    return sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
