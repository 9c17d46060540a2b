"""JSON columns store compact UTF-8 JSON text: `json_text` reads back as `json.dumps`'s text
does for every value JSON holds (NaN and the infinities as null), refuses what `json.dumps`
refuses, and the engine uses it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from formwork.store.database import Database, json_text

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # beyond 64 bits too: orjson refuses those, json.dumps writes them
    st.floats(),  # NaN and the infinities too
    st.text(),
    st.sampled_from(["客户", "\u2028", "\x00", "\ud800", "é", "\"'\\", 2**64, -(2**63) - 1]),
)
#: Keys are strings, integers, booleans and None: a float key, which no value stored has, is
#: written as orjson writes the number (1e-9, where json.dumps writes 1e-09).
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.tuples(inner, inner),
        st.dictionaries(
            st.one_of(st.text(), st.integers(), st.booleans(), st.none()),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=30,
)


def finite(value: Any) -> Any:
    """`value` parsed from `json.dumps`'s text, with NaN and the infinities as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [finite(v) for v in value]
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    return value


def has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(map(has_non_finite, value))
    if isinstance(value, dict):
        return any(map(has_non_finite, value.values()))
    return False


@settings(max_examples=500, deadline=None)
@given(value=VALUES)
def test_the_text_reads_back_as_json_dumps_s_does(value: Any) -> None:
    text = json_text(value)
    expected = json.loads(json.dumps(value))
    if text == json.dumps(value):  # orjson refused it; json.dumps wrote it
        assert json.loads(text) == expected or has_non_finite(expected)
    else:
        assert json.loads(text) == finite(expected)


@pytest.mark.parametrize(
    "value, text",
    [
        ({"名": [None, "客户"], "n": 1.5}, '{"名":[null,"客户"],"n":1.5}'),
        ({1: True, None: 2.0, False: "x"}, '{"1":true,"null":2.0,"false":"x"}'),
        ([float("nan"), float("inf"), -float("inf")], "[null,null,null]"),
        ((1, "a"), '[1,"a"]'),
        (2**64, "18446744073709551616"),
        ("\ud800", '"\\ud800"'),
    ],
)
def test_the_text_is_compact_utf_8(value: Any, text: str) -> None:
    assert json_text(value) == text


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize(
    "value",
    [{"a": {1, 2}}, dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3), Point(1), [object()]],
)
def test_a_value_json_dumps_refuses_is_refused_as_it_refuses_it(value: Any) -> None:
    with pytest.raises(TypeError) as ours:
        json_text(value)
    with pytest.raises(TypeError) as theirs:
        json.dumps(value)
    assert str(ours.value) == str(theirs.value)


def test_a_circular_value_is_refused() -> None:
    circular: list[Any] = []
    circular.append(circular)
    with pytest.raises(RecursionError):
        json_text({"a": circular})


def test_json_columns_store_that_text(tmp_path: Any) -> None:
    db = Database(f"sqlite:///{tmp_path / 'j.db'}")
    table = sa.Table(
        "t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.JSON)
    )
    table.metadata.create_all(db.engine)
    value = {"名": [None, "客户"], "n": 1.5}
    with db.write() as conn:
        conn.execute(table.insert(), {"id": 1, "v": value})
    with db.read() as conn:
        stored = conn.exec_driver_sql("SELECT v FROM t").scalar_one()
        parsed = conn.execute(sa.select(table.c.v)).scalar_one()
        tags = conn.exec_driver_sql("SELECT value FROM t, json_each(t.v, '$.名')").scalars()
        assert list(tags) == [None, "客户"]
    assert stored == json_text(value)
    assert parsed == value
    assert db.engine.dialect._json_serializer is json_text
    db.dispose()
