"""The functions formulas may call: a registry of whitelisted functions, each with its arity,
argument types, result type, Python implementation and (where it has one) SQL form.

Null in, null out: unless a function says it handles nulls itself, any null argument makes
the result null (false for a function that answers true/false), in Python and SQL alike.
Apps get their own registry (`default_functions()`) and may register more. A function must be
pure: its result depends on its arguments alone (a function that needs the date asks for the
evaluation's `today` with `uses_today`, never reads the clock). Bulk writes rely on it: a
rollup over no related records gives every new record of a batch the same value, so it is
evaluated once for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from .ir import BOOL, DATE, LIST, NULL, NUMBER, TEXT

ANY = "any"
SqlBuilder = Callable[[list[ColumnElement[Any]], "SqlContext"], ColumnElement[Any]]


@dataclass(frozen=True, slots=True)
class SqlContext:
    dialect: str  # "sqlite" or "postgresql"
    today: dt.date


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    #: Accepted types per parameter: a type name, "any", or "a|b" alternatives.
    params: tuple[str, ...]
    #: The result type; "arg0" means "the type of the first argument".
    returns: str
    python: Callable[..., Any]
    doc: str
    sql: SqlBuilder | None = None
    #: Parameters from this index on are optional.
    optional_from: int | None = None
    #: The last parameter repeats (min, max, coalesce).
    variadic: bool = False
    #: The function handles null arguments itself (coalesce, is_empty).
    takes_nulls: bool = False
    #: Needs the evaluation's "today" (passed as the `today` keyword).
    uses_today: bool = False

    def arity(self) -> tuple[int, int | None]:
        low = self.optional_from if self.optional_from is not None else len(self.params)
        return low, None if self.variadic else len(self.params)

    def accepts(self, index: int, type_: str) -> bool:
        spec = self.params[min(index, len(self.params) - 1)]
        return type_ == NULL or spec == ANY or type_ in spec.split("|")

    def result_type(self, arg_types: list[str]) -> str:
        if self.returns == "arg0":
            known = [t for t in arg_types if t != NULL]
            return known[0] if known else NULL
        return self.returns


class FunctionRegistry:
    def __init__(self) -> None:
        self._functions: dict[str, Function] = {}

    def register(self, function: Function) -> None:
        if function.name in self._functions:
            raise ValueError(f"function {function.name!r} is already registered")
        self._functions[function.name] = function

    def get(self, name: str) -> Function | None:
        return self._functions.get(name)

    def __iter__(self) -> Iterator[Function]:
        return iter(self._functions.values())

    def names(self) -> list[str]:
        return sorted(self._functions)


# -- Python implementations ------------------------------------------------------------------
def round_half_up(value: float, digits: float = 0) -> float:
    """Round half away from zero (as SQL does), not to even (as Python's round does)."""
    places = int(digits)
    if not -10 <= places <= 10:
        places = max(-10, min(10, places))
    quantum = Decimal(1).scaleb(-places)
    result = Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)
    return float(result)


def _min(*values: Any) -> Any:
    if len(values) == 2:  # the usual call, done as `min` does it (the first of equals)
        first, second = values
        if first is None or second is None:
            return second if first is None else first
        return second if second < first else first
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _max(*values: Any) -> Any:
    if len(values) == 2:  # the usual call, done as `max` does it (the first of equals)
        first, second = values
        if first is None or second is None:
            return second if first is None else first
        return second if second > first else first
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _coalesce(*values: Any) -> Any:
    for value in values:
        if value is not None:
            return value
    return None


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _days_between(start: dt.date, end: dt.date) -> int:
    return (end - start).days


def _add_days(day: dt.date, days: float) -> dt.date | None:
    try:
        return day + dt.timedelta(days=int(days))
    except OverflowError:
        return None


# -- SQL forms -------------------------------------------------------------------------------
def _sql_round(args: list[ColumnElement[Any]], ctx: SqlContext) -> ColumnElement[Any]:
    digits = args[1] if len(args) > 1 else sa.literal(0)
    if ctx.dialect == "postgresql":
        value = sa.cast(args[0], sa.Numeric)
        return sa.cast(sa.func.round(value, sa.cast(digits, sa.Integer)), sa.Float)
    return sa.func.round(args[0], digits)


def _sql_extreme(pick: str) -> SqlBuilder:
    def build(args: list[ColumnElement[Any]], ctx: SqlContext) -> ColumnElement[Any]:
        result = args[0]
        for arg in args[1:]:
            better = arg > result if pick == "max" else arg < result
            result = sa.case(
                (result.is_(None), arg), (arg.is_(None), result), (better, arg), else_=result
            )
        return result

    return build


def _sql_days_between(args: list[ColumnElement[Any]], ctx: SqlContext) -> ColumnElement[Any]:
    start, end = args
    if ctx.dialect == "postgresql":
        return sa.cast(end, sa.Date) - sa.cast(start, sa.Date)
    return sa.cast(sa.func.julianday(end) - sa.func.julianday(start), sa.Integer)


def _sql_date_part(part: str) -> SqlBuilder:
    sqlite_format = {"year": "%Y", "month": "%m", "day": "%d"}[part]

    def build(args: list[ColumnElement[Any]], ctx: SqlContext) -> ColumnElement[Any]:
        if ctx.dialect == "postgresql":
            return sa.cast(sa.extract(part, args[0]), sa.Integer)
        return sa.cast(sa.func.strftime(sqlite_format, args[0]), sa.Integer)

    return build


def _sql_add_days(args: list[ColumnElement[Any]], ctx: SqlContext) -> ColumnElement[Any]:
    day, count = args
    if ctx.dialect == "postgresql":
        return sa.cast(day, sa.Date) + sa.cast(count, sa.Integer)
    return sa.func.date(day, sa.cast(sa.cast(count, sa.Integer), sa.String) + " days")


def _sql_is_empty(args: list[ColumnElement[Any]], ctx: SqlContext) -> ColumnElement[Any]:
    return sa.or_(args[0].is_(None), sa.cast(args[0], sa.String) == "")


def _sql_contains(args: list[ColumnElement[Any]], ctx: SqlContext) -> ColumnElement[Any]:
    return (
        sa.func.instr(args[0], args[1]) > 0
        if ctx.dialect == "sqlite"
        else (sa.func.strpos(args[0], args[1]) > 0)
    )


def _sql_startswith(args: list[ColumnElement[Any]], ctx: SqlContext) -> ColumnElement[Any]:
    return sa.func.substr(args[0], 1, sa.func.length(args[1])) == args[1]


def default_functions() -> FunctionRegistry:
    registry = FunctionRegistry()
    for function in BUILTIN_FUNCTIONS:
        registry.register(function)
    return registry


def _one(name: str) -> SqlBuilder:
    return lambda args, ctx: getattr(sa.func, name)(args[0])


BUILTIN_FUNCTIONS: tuple[Function, ...] = (
    Function("abs", (NUMBER,), NUMBER, abs, "The absolute value.", _one("abs")),
    Function(
        "round",
        (NUMBER, NUMBER),
        NUMBER,
        round_half_up,
        "Round to n places (default 0), halves away from zero.",
        _sql_round,
        optional_from=1,
    ),
    Function(
        "min",
        (NUMBER, NUMBER),
        NUMBER,
        _min,
        "The smallest value; empty values are skipped.",
        _sql_extreme("min"),
        variadic=True,
        takes_nulls=True,
    ),
    Function(
        "max",
        (NUMBER, NUMBER),
        NUMBER,
        _max,
        "The largest value; empty values are skipped.",
        _sql_extreme("max"),
        variadic=True,
        takes_nulls=True,
    ),
    Function(
        "coalesce",
        (ANY, ANY),
        "arg0",
        _coalesce,
        "The first value that is not empty.",
        lambda args, ctx: sa.func.coalesce(*args),
        variadic=True,
        takes_nulls=True,
    ),
    Function(
        "is_empty",
        (ANY,),
        BOOL,
        _is_empty,
        "True when the value is empty.",
        _sql_is_empty,
        takes_nulls=True,
    ),
    Function(
        "len", (f"{TEXT}|{LIST}",), NUMBER, len, "The number of characters (or of choices).", None
    ),
    Function("lower", (TEXT,), TEXT, str.lower, "Text in lower case.", _one("lower")),
    Function("upper", (TEXT,), TEXT, str.upper, "Text in upper case.", _one("upper")),
    Function(
        "contains",
        (TEXT, TEXT),
        BOOL,
        lambda text, part: part in text,
        "Whether the text contains the part (case-sensitive).",
        _sql_contains,
    ),
    Function(
        "startswith",
        (TEXT, TEXT),
        BOOL,
        str.startswith,
        "Whether the text starts with the part.",
        _sql_startswith,
    ),
    Function(
        "today",
        (),
        DATE,
        lambda *, today: today,
        "Today's date.",
        lambda args, ctx: sa.literal(ctx.today, sa.Date),
        uses_today=True,
    ),
    Function(
        "days_between",
        (DATE, DATE),
        NUMBER,
        _days_between,
        "Days from the first date to the second (negative if the second is earlier).",
        _sql_days_between,
    ),
    Function("add_days", (DATE, NUMBER), DATE, _add_days, "The date n days later.", _sql_add_days),
    Function(
        "year", (DATE,), NUMBER, lambda d: d.year, "The year of a date.", _sql_date_part("year")
    ),
    Function(
        "month",
        (DATE,),
        NUMBER,
        lambda d: d.month,
        "The month (1–12) of a date.",
        _sql_date_part("month"),
    ),
)
