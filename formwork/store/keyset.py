"""Keyset pagination: stable order, opaque cursors, and the "after this row" condition.

Rows are ordered by the sort keys and then by id, in the direction of the last key, so the
order is total and an index on (filter, sort key, id) serves it as it stands (a tie-breaker
going the other way makes the database sort every run of equal values). NULLs come last in
both directions on every database: `NULLS LAST` is spelled out only where the database would
put them first (PostgreSQL and SQLite disagree by default) and the column can hold NULL, since
a spelled-out order an index does not have means a sort. The condition that continues after a
row spells NULLs out instead of trusting `>`. A cursor is base64 JSON of the last row's sort
values and id plus the sort it belongs to; anything that does not decode to exactly that shape
is refused as a QueryError, never a crash.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .errors import QueryError, message

#: Dialects whose NULLs sort last in a descending order by themselves (they sort them as the
#: smallest value); on the others they come last in an ascending one. An unknown dialect gets
#: `NULLS LAST` spelled out both ways.
NULLS_SMALLEST = frozenset({"sqlite", "mysql", "mariadb"})
NULLS_LARGEST = frozenset({"postgresql", "oracle"})


@dataclass(frozen=True, slots=True)
class Key:
    """One column of the order: its column, direction and how to read a value from a cursor."""

    name: str
    column: sa.ColumnElement[Any]
    descending: bool
    decode: Callable[[Any], Any]
    #: False when the column cannot hold NULL (the id, a NOT NULL system column).
    nullable: bool = True

    def order_by(self, dialect: str = "") -> sa.ColumnElement[Any]:
        order = self.column.desc() if self.descending else self.column.asc()
        if not self.nullable:
            return order
        natural = NULLS_SMALLEST if self.descending else NULLS_LARGEST
        return order if dialect in natural else order.nulls_last()


def nullable(column: sa.ColumnElement[Any]) -> bool:
    """Whether a sort column may hold NULL: a table column says so; an expression may."""
    return column.nullable if isinstance(column, sa.Column) else True


def signature(keys: Sequence[Key]) -> str:
    return ",".join(("-" if k.descending else "") + k.name for k in keys)


def encode_cursor(keys: Sequence[Key], row: Mapping[str, Any]) -> str:
    payload = {"s": signature(keys), "v": [_json_value(row[k.name]) for k in keys]}
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(keys: Sequence[Key], cursor: str) -> list[Any]:
    """The row values a cursor carries, converted back; QueryError if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(payload, dict) or payload.get("s") != signature(keys):
            raise ValueError("another sort")
        values = payload.get("v")
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError("wrong length")
        decoded = [None if v is None else k.decode(v) for k, v in zip(keys, values, strict=True)]
        if decoded[-1] is None:
            raise ValueError("no id")
        return decoded
    except (ValueError, TypeError, UnicodeError, binascii.Error, json.JSONDecodeError):
        raise QueryError({"after": [message("bad_cursor")]}) from None
    except Exception as exc:  # a converter's own error (marshmallow.ValidationError, …)
        raise QueryError({"after": [message("bad_cursor")]}) from exc


def after_condition(keys: Sequence[Key], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """Rows that come after the row with `values` in the order of `keys`."""
    alternatives = []
    for index, key in enumerate(keys):
        equal_before = [_same(k.column, v) for k, v in zip(keys[:index], values, strict=False)]
        later = _later(key, values[index])
        if later is not None:
            alternatives.append(sa.and_(*equal_before, later))
    if not alternatives:
        return sa.false()
    condition = sa.or_(*alternatives)
    first, value = keys[0], values[0]
    if len(alternatives) > 1 and not first.nullable and value is not None:
        # The same rows, with a range on the first key the database can start its index walk
        # at (the OR alone makes it read from the top of the order and skip).
        bound = _bound(first.column, value)
        start = first.column <= bound if first.descending else first.column >= bound
        condition = sa.and_(start, condition)
    return condition


def _same(column: sa.ColumnElement[Any], value: Any) -> sa.ColumnElement[bool]:
    return column.is_(None) if value is None else column == _bound(column, value)


def _later(key: Key, value: Any) -> sa.ColumnElement[bool] | None:
    if value is None:
        return None  # NULLs are last: nothing sorts after them on this key
    bound = _bound(key.column, value)
    beyond = key.column < bound if key.descending else key.column > bound
    return sa.or_(beyond, key.column.is_(None)) if key.nullable else beyond


def _bound(column: sa.ColumnElement[Any], value: Any) -> sa.ColumnElement[Any]:
    # A bound parameter even for True/False, which SQLAlchemy would otherwise inline.
    return sa.literal(value, type_=column.type)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
