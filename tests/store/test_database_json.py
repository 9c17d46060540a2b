"""JSON columns store `json.dumps`'s text: `json_text` writes the same text for every value
JSON holds, the engine uses it, and a circular value is still refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from formwork.store.database import Database, json_text

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and infinities too: json.dumps writes them (allow_nan)
    st.text(),
    st.sampled_from(["客户", "\u2028", "\x00", "\ud800", "é", "\"'\\"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(), st.integers(), st.booleans()), inner, max_size=5),
    ),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(value=VALUES)
def test_the_text_is_json_dumps_s(value: Any) -> None:
    assert json_text(value) == json.dumps(value)


def test_a_value_json_cannot_hold_is_refused_as_json_dumps_refuses_it() -> None:
    with pytest.raises(TypeError) as ours:
        json_text({"a": {1, 2}})
    with pytest.raises(TypeError) as theirs:
        json.dumps({"a": {1, 2}})
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
    assert stored == json.dumps(value)
    assert db.engine.dialect._json_serializer is json_text
    db.dispose()
