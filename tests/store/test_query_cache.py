"""Compiled queries are kept and reused (`query.compile_query`), but only for the very same
query: equal values of another type (1, 1.0, True) are another query, and a query with a
permission scope is built anew every time."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from formwork.store.errors import QueryError
from formwork.store.query import Filter, Query, compile_query
from formwork.store.records import RecordService


def compiled(records: RecordService, query: Query, scope: sa.ColumnElement[bool] | None = None):
    entity = records.app.entity("customer")
    return compile_query(
        records.app, records.tables, entity, query, records.db.dialect, scope=scope
    )


def test_the_same_query_is_compiled_once(records: RecordService) -> None:
    query = Query(filters=(Filter("region", "eq", "华东"),), sort=("-name",))
    first = compiled(records, query)
    assert (
        compiled(records, Query(filters=(Filter("region", "eq", "华东"),), sort=("-name",)))
        is first
    )
    assert (
        compiled(records, Query(filters=(Filter("region", "eq", "华北"),), sort=("-name",)))
        is not first
    )
    scope = records.tables["customer"].c.id > 0
    assert compiled(records, query, scope) is not compiled(records, query, scope)


@pytest.mark.parametrize(
    ("kept", "refused"),
    [
        (Query(page_size=1), Query(page_size=True)),
        (
            Query(filters=(Filter("cooperation_years", "eq", 1),)),
            Query(filters=(Filter("cooperation_years", "eq", True),)),
        ),
    ],
)
def test_an_equal_value_of_another_type_is_another_query(
    records: RecordService, kept: Query, refused: Query
) -> None:
    compiled(records, kept)
    with pytest.raises(QueryError):
        compiled(records, refused)


def test_a_list_value_is_kept_by_its_items(records: RecordService) -> None:
    query = Query(filters=(Filter("region", "in", ["华东", "华北"]),))
    assert compiled(records, query) is compiled(records, query)
    other = Query(filters=(Filter("region", "in", ["华东", "华南"]),))
    assert compiled(records, other) is not compiled(records, query)
