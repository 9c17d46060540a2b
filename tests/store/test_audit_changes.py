"""What an audit row holds for a new record: `created(values)` is `diff({}, the non-empty
values)`, quicker for the usual kinds of value (both `create` and bulk writes use it)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from formwork.store.audit import created, diff
from formwork.store.input_schema import is_empty

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.sampled_from(["", "\u5ba2", '"\\', "\x00\n", "A"]),
    st.decimals(allow_nan=False),
    st.dates(),
    st.datetimes(),
)

#: What a record's values may be: scalars, lists of them (multiselect) and child rows.
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


@settings(max_examples=400, deadline=None)
@given(values=st.dictionaries(st.text(max_size=8), VALUES, max_size=8))
def test_a_new_record_s_changes_are_its_non_empty_values_from_nothing(
    values: dict[str, Any],
) -> None:
    non_empty = {k: v for k, v in values.items() if not is_empty(v)}
    assert created(values) == diff({}, non_empty)
