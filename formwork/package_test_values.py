"""Comparing what a package test expects with what a record holds, as a consultant means it.

Expected values come from YAML (numbers, text, true/false, lists); actual ones from the
record service (Decimal, int, date, bool, lists, child rows as dicts). Numbers compare as
decimals (`80` equals `Decimal("80.00")`), dates as ISO text, an expected list of rows checks
only the keys each row lists. A comparison (`{between: [60, 80]}`, `min`, `max`, `not`,
`empty`) replaces a plain value. `matches` returns None when the value fits, else the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

OPERATORS = ("equal", "not", "between", "min", "max", "empty")


def matches(expected: Any, actual: Any) -> str | None:
    """None when `actual` fits `expected` (a value or a comparison), else why not."""
    if isinstance(expected, Mapping) and expected and set(expected) <= set(OPERATORS):
        for op, operand in expected.items():
            problem = _compare(op, operand, actual)
            if problem:
                return problem
        return None
    return None if equal(expected, actual) else f"expected {show(expected)}, got {show(actual)}"


def _compare(op: str, operand: Any, actual: Any) -> str | None:
    if op == "equal":
        return matches(operand, actual)
    if op == "not":
        return f"expected anything but {show(operand)}" if equal(operand, actual) else None
    if op == "empty":
        return (
            None
            if _is_empty(actual) == bool(operand)
            else (f"expected {'no value' if operand else 'a value'}, got {show(actual)}")
        )
    if op == "between":
        low, high = operand
    elif op == "min":
        low, high = operand, None
    else:
        low, high = None, operand
    value = _ordered(actual)
    inside = (
        value is not None
        and (low is None or _before(_ordered(low), value))
        and (high is None or _before(value, _ordered(high)))
    )
    if inside:
        return None
    wanted = {
        "between": f"between {show(low)} and {show(high)}",
        "min": f"at least {show(low)}",
        "max": f"at most {show(high)}",
    }[op]
    return f"expected {wanted}, got {show(actual)}"


def equal(expected: Any, actual: Any) -> bool:
    if _is_empty(actual) or expected is None:
        return _is_empty(actual) and (expected is None or expected == "" or expected == [])
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(actual, list):
        return (
            isinstance(expected, list)
            and len(expected) == len(actual)
            and all(_item_equal(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(actual, Decimal | int | float):
        other = _number(expected)
        return other is not None and other == Decimal(str(actual))
    if isinstance(actual, dt.date):
        return str(expected) == actual.isoformat()
    return str(expected) == str(actual)


def _item_equal(expected: Any, actual: Any) -> bool:
    """A list item; an expected row (mapping) checks only the keys it lists."""
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        return all(matches(v, actual.get(k)) is None for k, v in expected.items())
    return equal(expected, actual)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.replace(",", "").replace("_", ""))
        except InvalidOperation:
            return None
    return None


def _ordered(value: Any) -> Decimal | str | None:
    """A value that can be put in order: a number, or text (ISO dates order as text)."""
    if value is None:
        return None
    number = _number(value)
    if number is not None:
        return number
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _before(low: Decimal | str | None, high: Decimal | str | None) -> bool:
    if low is None or high is None or type(low) is not type(high):
        return False
    return low <= high  # type: ignore[operator]


def show(value: Any) -> str:
    """A value as the report prints it: numbers plainly (80.00, 5,000,000 stays 5000000)."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(Decimal(str(value)).normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return repr(value)
