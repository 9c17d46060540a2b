"""Keyset pages: any mix of NULLs and ties, in either direction, pages through every match
exactly once in the promised order; the order a list asks for is one an index serves as it
stands; and a query may read only the fields its caller needs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formwork.store.actor import Actor
from formwork.store.errors import QueryError
from formwork.store.permissions import ConfigPolicy
from formwork.store.query import Filter, Query
from formwork.store.records import RecordService

#: Sortable columns of the customer table with few distinct values, so that pages see many
#: ties and NULLs. created_at is a NOT NULL system column.
YEARS = st.none() | st.integers(0, 2)
REGIONS = st.none() | st.sampled_from(["华北", "华东"])
STAMPS = st.sampled_from([dt.datetime(2026, 1, d, tzinfo=dt.UTC) for d in (1, 2)])
ROWS = st.lists(st.tuples(YEARS, REGIONS, STAMPS), max_size=14)
SORT_FIELDS = ["cooperation_years", "region", "created_at"]
SORTS = st.lists(
    st.tuples(st.sampled_from(SORT_FIELDS), st.booleans()),
    min_size=1,
    max_size=2,
    unique_by=lambda k: k[0],
)


def insert(records: RecordService, rows: Sequence[tuple[Any, Any, dt.datetime]]) -> None:
    """The rows straight into the table (the order is what is tested, not the writes)."""
    table = records.tables["customer"]
    with records.db.write() as conn:
        conn.execute(table.delete())
        for n, (years, region, stamp) in enumerate(rows):
            conn.execute(
                table.insert(),
                {
                    "name": f"c{n}",
                    "cooperation_years": years,
                    "region": region,
                    "created_at": stamp,
                    "updated_at": stamp,
                },
            )


def expected_order(records: RecordService, sort: Sequence[tuple[str, bool]]) -> list[int]:
    """The promised order, worked out in Python: each key with NULLs last whichever way it
    goes, then id in the direction of the last key."""
    table = records.tables["customer"]
    with records.db.read() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(table)).mappings()]
    rows.sort(key=lambda r: r["id"], reverse=sort[-1][1])
    for name, descending in reversed(sort):
        present = [r for r in rows if r[name] is not None]
        present.sort(key=lambda r: r[name], reverse=descending)  # stable: ties keep the order
        rows = present + [r for r in rows if r[name] is None]
    return [r["id"] for r in rows]


def customer(records: RecordService, **values: Any) -> Any:
    return records.create("customer", {"customer_type": "开发商", **values})


def walk(records: RecordService, query: Query) -> list[int]:
    seen: list[int] = []
    after = None
    while True:
        page = records.query("customer", dataclasses.replace(query, after=after))
        seen += [r.id for r in page.records]
        if page.next_cursor is None:
            return seen
        assert len(seen) < 100, "pagination did not end"
        after = page.next_cursor


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS, sort=SORTS, page_size=st.integers(1, 4))
def test_pages_cover_every_match_once_in_order(
    records: RecordService, rows: list[Any], sort: list[tuple[str, bool]], page_size: int
) -> None:
    insert(records, rows)
    keys = tuple(("-" if descending else "") + name for name, descending in sort)
    assert walk(records, Query(sort=keys, page_size=page_size)) == expected_order(records, sort)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS, descending=st.booleans(), page_size=st.integers(1, 3))
def test_pages_of_a_filtered_list_are_the_matches_in_order(
    records: RecordService, rows: list[Any], descending: bool, page_size: int
) -> None:
    insert(records, rows)
    sort = [("cooperation_years", descending)]
    region = Filter("region", "eq", "华东")
    query = Query(filters=(region,), sort=(("-" if descending else "") + "cooperation_years",))
    walked = walk(records, dataclasses.replace(query, page_size=page_size))
    with records.db.read() as conn:
        table = records.tables["customer"]
        east = set(conn.execute(sa.select(table.c.id).where(table.c.region == "华东")).scalars())
    assert walked == [i for i in expected_order(records, sort) if i in east]


@pytest.mark.parametrize("sort", [("-score",), ("score",), ("-score", "name")])
@pytest.mark.parametrize("after", [False, True])
def test_the_lists_order_needs_no_sort_on_sqlite(
    sqlite_records: RecordService, sort: tuple[str, ...], after: bool
) -> None:
    """The filtered list walks the (filter, first sort key, id) index either way: SQLite reads
    the first rows of the order from it instead of sorting every match, NULLs last included.
    A deep page continues from the cursor the same way. Only a second sort key, which the
    index does not hold, makes it sort (each run of equal first keys)."""
    records = sqlite_records
    for n in range(3):
        customer(records, name=f"c{n}", annual_amount=n * 1000)
    query = Query(filters=(Filter("grade", "eq", "C"),), sort=sort, page_size=1)
    if after:
        query = dataclasses.replace(query, after=records.query("customer", query).next_cursor)
    plan = explain(records, query)
    assert "ix_customer_grade_score_id" in plan
    assert ("TEMP B-TREE" in plan) == (len(sort) > 1), plan


def explain(records: RecordService, query: Query) -> str:
    from formwork.store.query import compile_query

    ent = records.app.entity("customer")
    statement = compile_query(records.app, records.tables, ent, query, "sqlite").statement
    sql = statement.compile(records.db.engine, compile_kwargs={"literal_binds": True})
    with records.db.read() as conn:
        return "; ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))


@pytest.fixture
def sqlite_records(sqlite_db: Any, crm_app: Any, tmp_path: Any) -> RecordService:
    from tests.store.conftest import make_service

    return make_service(sqlite_db, crm_app, tmp_path / "files")


# -- reading only some fields -------------------------------------------------------------
def test_a_query_reads_only_the_fields_asked_for_and_the_title(records: RecordService) -> None:
    made = customer(records, name="中建三局", region="华东", cooperation_years=3)
    page = records.query("customer", Query(fields=("region",)))
    (record,) = page.records
    assert dict(record.values) == {"region": "华东", "name": "中建三局"}
    assert (record.id, record.version, record.title) == (made.id, made.version, "中建三局")
    assert record.created_at == made.created_at


def test_pages_of_some_fields_are_the_pages_of_all(records: RecordService) -> None:
    for n in range(5):
        customer(records, name=f"c{n}", cooperation_years=n % 2)
    query = Query(sort=("-cooperation_years",), page_size=2)
    narrow = dataclasses.replace(query, fields=("cooperation_years",))
    assert walk(records, narrow) == walk(records, query)


@pytest.mark.parametrize(
    "fields", [("nope",), ("region", 3), "region"], ids=["unknown", "not-a-name", "a-string"]
)
def test_asking_for_fields_that_are_not_there_is_refused(
    records: RecordService, fields: Any
) -> None:
    with pytest.raises(QueryError) as error:
        records.query("customer", Query(fields=fields))
    assert "fields" in error.value.errors


def test_hidden_fields_stay_hidden_when_asked_for(records: RecordService) -> None:
    checked = RecordService(
        records.db,
        records.app,
        records.tables,
        records.files.root,
        policy=ConfigPolicy(records.app, records.tables, records.db.dialect),
    )
    customer(records, name="x", annual_amount=5000)
    tech_support = Actor(id=1, roles=("tech_support",))
    page = checked.query("customer", Query(fields=("annual_amount", "name")), tech_support)
    assert [dict(r.values) for r in page.records] == [{"name": "x"}]


def test_virtual_fields_are_computed_from_every_field_they_need(sales: RecordService) -> None:
    sales.create("deal", {"title": "bolts", "stage": "won", "close_on": "2026-05-01"})
    (record,) = sales.query("deal", Query(fields=("caption",))).records
    assert record["caption"] == "bolts · won"
