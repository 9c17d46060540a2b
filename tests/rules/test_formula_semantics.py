"""What formulas mean, checked in all three forms: reference, compiled Python and SQL.

Empty values (None) follow fixed rules: arithmetic with an empty value is empty, division by
zero is empty, comparisons with an empty value are false, `not` of an empty value is true,
min/max skip empty values, sum and count of nothing are 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formwork.rules import functions
from tests.rules.harness import ThreeWays, same

BASE: dict[str, Any] = {
    "title": "Tower A",
    "stage": "quote",
    "amount": 1500000.0,
    "qty": 3,
    "rate": 0.25,
    "flag": True,
    "due": dt.date(2026, 12, 31),
    "opened": dt.date(2026, 1, 1),
    "tags": ["hot"],
    "account": None,
    "owner": None,
}

CASES = [
    ("amount * qty", {}, 4500000.0),
    ("amount / 0", {}, None),
    ("amount / qty", {"qty": None}, None),
    ("qty + 1", {"qty": None}, None),
    ("-qty", {}, -3),
    ("qty ** 2", {}, 9.0),
    ("(0 - qty) ** 0.5", {}, None),
    ("qty ** 101", {"qty": 2}, None) if False else ("2 ** 10", {}, 1024.0),
    ("qty > 2", {}, True),
    ("qty > 2", {"qty": None}, False),
    ("not (qty > 2)", {"qty": None}, True),
    ("qty != 2", {"qty": None}, False),
    ("1 < qty <= 3", {}, True),
    ("flag and qty > 1", {"flag": None}, False),
    ("flag or qty > 1", {"flag": None}, True),
    ("not flag", {"flag": None}, True),
    ("'big' if amount >= 1000000 else 'small'", {}, "big"),
    ("'big' if amount >= 1000000 else 'small'", {"amount": None}, "small"),
    ("title + '/' + stage", {}, "Tower A/quote"),
    ("title + '/' + stage", {"title": None}, None),
    ("stage in ['won', 'quote']", {}, True),
    ("stage not in ['won', 'quote']", {}, False),
    ("stage not in ['won', 'quote']", {"stage": None}, False),
    ("'hot' in tags", {}, True),
    ("'key' in tags", {}, False),
    ("'hot' not in tags", {"tags": None}, False),
    ("'Tow' in title", {}, True),
    ("min(qty, 10, amount)", {}, 3),
    ("max(qty, None, 2)", {}, 3),
    ("min(qty, qty)", {"qty": None}, None),
    ("round(rate * 10 / 3, 2)", {}, 0.83),
    ("round(2.5)", {}, 3.0),
    ("round(-2.5)", {}, -3.0),
    ("round(2.675, 2)", {}, 2.68),
    ("abs(0 - amount)", {}, 1500000.0),
    ("max(amount, abs(amount * amount))", {"amount": -0.01}, 0.0001),
    ("coalesce(qty, 0) + 1", {"qty": None}, 1),
    ("is_empty(title)", {"title": None}, True),
    ("is_empty(title)", {}, False),
    ("upper(stage)", {}, "QUOTE"),
    ("startswith(title, 'Tow')", {}, True),
    ("contains(title, 'er')", {}, True),
    ("days_between(opened, due)", {}, 364),
    ("days_between(due, today())", {}, -38),
    ("year(due) * 100 + month(due)", {}, 202612),
    ("due < today()", {}, False),
    ("due > opened", {}, True),
    ("days_between(opened, add_days(opened, 45))", {}, 45),
]


@pytest.mark.parametrize(
    ("formula", "changes", "expected"), CASES, ids=[f"{c[0]}|{c[1]}" for c in CASES]
)
def test_formula_means_the_same_in_every_form(
    three_ways: ThreeWays, formula: str, changes: dict[str, Any], expected: Any
) -> None:
    record = {**BASE, **changes}
    for form in (three_ways.reference, three_ways.compiled, three_ways.sql):
        result = form(formula, record)
        assert same(expected, result), (
            f"{form.__name__}: {formula} gave {result!r}, not {expected!r}"
        )


LINES = [
    {"product": "pump", "price": 1000.0, "quantity": 2, "open": True},
    {"product": "valve", "price": 250.5, "quantity": 4, "open": False},
    {"product": "pipe", "price": None, "quantity": 10, "open": None},
]

AGGREGATE_CASES = [
    ("sum(lines.price)", LINES, 1250.5),
    ("sum(lines.price)", [], 0),
    ("count(lines)", LINES, 3),
    ("count(lines, open)", LINES, 1),
    ("count(lines, not open)", LINES, 2),
    ("sum(lines.quantity, price > 500)", LINES, 2),
    ("max(lines.price)", LINES, 1000.0),
    ("min(lines.price)", [], None),
    ("avg(lines.quantity)", LINES, 16 / 3),
    ("count(lines, product in ['pump', 'pipe'])", LINES, 2),
]


@pytest.mark.parametrize(
    ("formula", "lines", "expected"),
    AGGREGATE_CASES,
    ids=[f"{c[0]}|{len(c[1])}" for c in AGGREGATE_CASES],
)
def test_aggregates_over_child_rows(
    three_ways: ThreeWays, formula: str, lines: list, expected: Any
) -> None:
    for form in (three_ways.reference, three_ways.compiled, three_ways.sql):
        result = form(formula, BASE, lines=lines)
        assert same(expected, result), f"{form.__name__}: {formula} gave {result!r}"


@pytest.mark.parametrize(
    ("formula", "account", "expected"),
    [
        ("account.credit - amount", {"name": "Acme", "tier": "A", "credit": 2000000.0}, 500000.0),
        ("account.tier == 'A'", {"name": "Acme", "tier": "A", "credit": None}, True),
        ("account.tier == 'A'", None, False),
        ("coalesce(account.name, 'none')", None, "none"),
    ],
)
def test_fields_through_links(
    three_ways: ThreeWays, formula: str, account: dict | None, expected: Any
) -> None:
    for form in (three_ways.reference, three_ways.compiled, three_ways.sql):
        result = form(formula, BASE, account=account)
        assert same(expected, result), f"{form.__name__}: {formula} gave {result!r}"


NUMBERS = st.one_of(st.none(), st.integers(-3, 3), st.floats(-3, 3), st.sampled_from([1, 1.0]))


@given(values=st.lists(NUMBERS, min_size=1, max_size=4))
def test_min_max_and_coalesce_are_python_s_over_the_present_values(values: list) -> None:
    """The two-value shortcuts of `min`, `max` and `coalesce` give the general results (the
    first of equal values, as Python's `min` and `max` do)."""
    present = [v for v in values if v is not None]
    for function, general in ((functions._min, min), (functions._max, max)):
        got = function(*values)
        expected = general(present) if present else None
        assert got is expected or (got == expected and type(got) is type(expected))
    assert functions._coalesce(*values) is next(iter(present), None)
