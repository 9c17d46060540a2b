"""Differential test: random formulas over random records agree in all three forms.

hypothesis builds well-typed formulas from a small grammar (numbers, text, true/false, dates,
tags, empty values everywhere) and records to go with them; the reference interpreter
(simpleeval), the compiled Python function and the SQL expression must give the same result.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rules.harness import ThreeWays, same

NUMBER_FIELDS = ["amount", "qty", "rate"]
TEXT_FIELDS = ["title", "stage"]


def _literal_number() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-1000, 1000).map(str),
        st.decimals(-1000, 1000, places=2, allow_nan=False).map(lambda d: str(float(d))),
    )


def _number(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.sampled_from(NUMBER_FIELDS), _literal_number(), st.just("days_between(opened, due)")
    )
    if depth <= 0:
        return leaf
    sub = _number(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/"]), sub).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        sub.map(lambda a: f"-({a})"),
        st.tuples(sub, sub).map(lambda t: f"min({t[0]}, {t[1]})"),
        st.tuples(sub, sub, sub).map(lambda t: f"max({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(sub, st.integers(0, 3)).map(lambda t: f"round({t[0]}, {t[1]})"),
        sub.map(lambda a: f"abs({a})"),
        st.tuples(sub, st.integers(0, 3)).map(lambda t: f"({t[0]}) ** {t[1]}"),
        st.tuples(sub, sub).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
        st.tuples(_boolean(depth - 1), sub, sub).map(lambda t: f"({t[1]} if {t[0]} else {t[2]})"),
        st.just("sum(lines.price)"),
        st.just("count(lines, open)"),
    )


def _text(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.sampled_from(TEXT_FIELDS), st.sampled_from(["'a'", "'quote'", "''", "'Ab'"])
    )
    if depth <= 0:
        return leaf
    sub = _text(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, sub).map(lambda t: f"({t[0]} + {t[1]})"),
        sub.map(lambda a: f"upper({a})"),
        sub.map(lambda a: f"lower({a})"),
    )


def _boolean(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.just("flag"),
        st.just("'hot' in tags"),
        st.just("is_empty(title)"),
        st.just("stage in ['won', 'quote']"),
        st.just("due < today()"),
    )
    if depth <= 0:
        return leaf
    num, txt, sub = _number(depth - 1), _text(depth - 1), _boolean(depth - 1)
    compare = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    return st.one_of(
        leaf,
        st.tuples(num, compare, num).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(txt, compare, txt).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(sub, st.sampled_from(["and", "or"]), sub).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        sub.map(lambda a: f"(not {a})"),
        st.tuples(txt, txt).map(lambda t: f"startswith({t[0]}, {t[1]})"),
    )


formulas = st.one_of(_number(3), _boolean(3), _text(2))

money = st.one_of(st.none(), st.decimals(-(10**6), 10**6, places=2, allow_nan=False).map(float))
records = st.fixed_dictionaries(
    {
        "title": st.one_of(st.none(), st.text(alphabet="abAB 中", max_size=5)),
        "stage": st.one_of(st.none(), st.sampled_from(["lead", "quote", "won", "lost"])),
        "amount": money,
        "qty": st.one_of(st.none(), st.integers(-1000, 1000)),
        "rate": st.one_of(st.none(), st.decimals(-100, 100, places=2, allow_nan=False).map(float)),
        "flag": st.one_of(st.none(), st.booleans()),
        "due": st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1))),
        "opened": st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1))),
        "tags": st.one_of(
            st.none(), st.lists(st.sampled_from(["hot", "cold", "key"]), unique=True)
        ),
    }
)
line_rows = st.lists(
    st.fixed_dictionaries(
        {
            "price": st.one_of(
                st.none(), st.decimals(0, 10**4, places=2, allow_nan=False).map(float)
            ),
            "open": st.one_of(st.none(), st.booleans()),
        }
    ),
    max_size=3,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(formula=formulas, record=records, lines=line_rows)
def test_reference_compiled_and_sql_agree(
    three_ways: ThreeWays, formula: str, record: dict[str, Any], lines: list[dict[str, Any]]
) -> None:
    expected = three_ways.reference(formula, record, lines=lines)
    compiled = three_ways.compiled(formula, record, lines=lines)
    assert same(expected, compiled), (
        f"compiled: {formula} on {record} → {compiled!r}, not {expected!r}"
    )
    in_sql = three_ways.sql(formula, record, lines=lines)
    assert same(expected, in_sql), f"sql: {formula} on {record} → {in_sql!r}, not {expected!r}"
