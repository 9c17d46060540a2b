"""Queries: every operator, search, keyset pages in a stable order, and malformed queries."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.store import query as query_module
from formwork.store.errors import QueryError
from formwork.store.query import Filter, Query
from formwork.store.record import Record
from formwork.store.records import RecordService

TYPES = ["政府机构", "开发商", "设计院", "总承包商"]
REGIONS = ["华北", "华东", "华南", None]
SPECIAL_NAMES = {3: "100% Steel", 7: "Acme_1", 8: "AcmeX1", 11: "中建三局"}


def customer_data(i: int) -> dict[str, Any]:
    return {
        "name": SPECIAL_NAMES.get(i, f"客户{i:02d}"),
        "customer_type": TYPES[i % 4],
        "region": REGIONS[i % 4 if i % 5 else 3],
        "annual_amount": None if i % 4 == 0 else Decimal(i * 1000 % 7000),
        "cooperation_years": i % 5,
        "tags": ["高潜力客户"]
        if i % 3 == 0
        else (["战略合作伙伴", "高潜力客户"] if i % 3 == 1 else []),
        "first_signed_on": None if i % 6 == 0 else dt.date(2020, 1 + i % 12, 1 + i % 27),
        "major_dispute": i % 3 == 0,
        "notes": "long note" if i % 2 else None,
    }


@pytest.fixture
def seeded(records: RecordService) -> list[Record]:
    return [records.create("customer", customer_data(i)) for i in range(23)]


@pytest.fixture
def statements(records: RecordService) -> Iterator[list[str]]:
    """The SQL statements run while the test runs."""
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(records.db.engine, "before_cursor_execute", listen)
    yield seen
    sa.event.remove(records.db.engine, "before_cursor_execute", listen)


def ids(page_records: Any) -> list[int]:
    return [r.id for r in page_records]


def matching(seeded: list[Record], test: Callable[[Record], bool]) -> list[int]:
    return sorted(r.id for r in seeded if test(r))


def amount(r: Record) -> Any:
    return r["annual_amount"]


FILTERS = [
    (Filter("region", "eq", "华东"), lambda r: r["region"] == "华东"),
    (Filter("region", "=", "华东"), lambda r: r["region"] == "华东"),
    (Filter("region", "ne", "华东"), lambda r: r["region"] != "华东"),
    (Filter("annual_amount", "lt", "3000"), lambda r: amount(r) is not None and amount(r) < 3000),
    (Filter("annual_amount", "le", 3000), lambda r: amount(r) is not None and amount(r) <= 3000),
    (Filter("annual_amount", "gt", 3000), lambda r: amount(r) is not None and amount(r) > 3000),
    (Filter("annual_amount", "≥", "3,000"), lambda r: amount(r) is not None and amount(r) >= 3000),
    (Filter("cooperation_years", "in", ["1", 3]), lambda r: r["cooperation_years"] in (1, 3)),
    (Filter("cooperation_years", "in", []), lambda r: False),
    (
        Filter("annual_amount", "between", ["1000", "4000"]),
        lambda r: amount(r) is not None and 1000 <= amount(r) <= 4000,
    ),
    (
        Filter("annual_amount", "between", [None, "2000"]),
        lambda r: amount(r) is not None and amount(r) <= 2000,
    ),
    (
        Filter("first_signed_on", "between", ["2020-03-01", "2020-06-30"]),
        lambda r: (
            r["first_signed_on"] is not None
            and dt.date(2020, 3, 1) <= r["first_signed_on"] <= dt.date(2020, 6, 30)
        ),
    ),
    (Filter("annual_amount", "empty"), lambda r: amount(r) is None),
    (Filter("annual_amount", "not_empty"), lambda r: amount(r) is not None),
    (Filter("region", "empty"), lambda r: r["region"] is None),
    (Filter("tags", "empty"), lambda r: not r["tags"]),
    (Filter("tags", "contains", "战略合作伙伴"), lambda r: "战略合作伙伴" in (r["tags"] or ())),
    (Filter("name", "contains", "acme"), lambda r: "acme" in r["name"].lower()),
    (Filter("name", "contains", "_"), lambda r: "_" in r["name"]),
    (Filter("name", "contains", "%"), lambda r: "%" in r["name"]),
    (Filter("name", "eq", "x' OR '1'='1"), lambda r: False),
    (Filter("major_dispute", "eq", "true"), lambda r: r["major_dispute"] is True),
    (Filter("notes", "not_empty"), lambda r: r["notes"] is not None),
    (Filter("id", "in", [1, 2, 99]), lambda r: r.id in (1, 2)),
    (Filter("created_at", "ge", "2000-01-01T00:00:00Z"), lambda r: True),
    (("customer_type", "eq", "开发商"), lambda r: r["customer_type"] == "开发商"),
]


@pytest.mark.parametrize(("item", "expected"), FILTERS, ids=[str(f[0]) for f in FILTERS])
def test_filter(
    records: RecordService, seeded: list[Record], item: Any, expected: Callable[[Record], bool]
) -> None:
    page = records.query("customer", Query(filters=(item,), sort=("id",), page_size=100))
    assert ids(page.records) == matching(seeded, expected)
    assert page.total == len(page.records) and page.total_capped is False


def test_filters_combine_with_and(records: RecordService, seeded: list[Record]) -> None:
    query = Query(filters=(Filter("region", "eq", "华北"), Filter("major_dispute", "eq", False)))
    page = records.query("customer", query)
    expected = matching(seeded, lambda r: r["region"] == "华北" and not r["major_dispute"])
    assert sorted(ids(page.records)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三局", lambda r: "三局" in r["name"]),
        ("acme", lambda r: "acme" in r["name"].lower()),
        ("acme _", lambda r: r["name"] == "Acme_1"),
        ("100%", lambda r: r["name"] == "100% Steel"),
        ("KH-", lambda r: True),
        ("nobody", lambda r: False),
    ],
)
def test_search_looks_in_the_declared_fields(
    records: RecordService, seeded: list[Record], text: str, expected: Callable[[Record], bool]
) -> None:
    page = records.query("customer", Query(search=text, page_size=100))
    assert sorted(ids(page.records)) == matching(seeded, expected)


def test_search_ignores_fields_not_declared_for_search(
    records: RecordService, seeded: list[Record]
) -> None:
    assert records.query("customer", Query(search="long note")).records == ()


def walk(records: RecordService, query: Query) -> list[int]:
    seen: list[int] = []
    after = None
    for _ in range(100):
        page = records.query("customer", dataclasses.replace(query, after=after))
        seen += ids(page.records)
        if page.next_cursor is None:
            return seen
        after = page.next_cursor
    raise AssertionError("pagination did not end")


def python_order(seeded: list[Record], sort: tuple[str, ...]) -> list[int]:
    """The order the store promises: sort keys, NULLs last either way, then id in the
    direction of the last key."""
    rows = sorted(seeded, key=lambda r: r.id, reverse=sort[-1].startswith("-"))
    for key in reversed(sort):
        name, descending = key.lstrip("-"), key.startswith("-")

        def value(r: Record, name: str = name) -> Any:
            return r.id if name == "id" else r[name]

        if descending:
            rows.sort(key=lambda r: (value(r) is not None, value(r) or 0), reverse=True)
        else:
            rows.sort(key=lambda r: (value(r) is None, value(r) or 0))
    return [r.id for r in rows]


@pytest.mark.parametrize(
    "sort",
    [
        ("annual_amount",),
        ("-annual_amount",),
        ("-annual_amount", "cooperation_years"),
        ("cooperation_years", "-first_signed_on"),
        ("-first_signed_on",),
        ("major_dispute", "-id"),
    ],
)
@pytest.mark.parametrize("page_size", [1, 4, 7])
def test_pages_cover_everything_once_in_order(
    records: RecordService, seeded: list[Record], sort: tuple[str, ...], page_size: int
) -> None:
    walked = walk(records, Query(sort=sort, page_size=page_size))
    assert walked == python_order(seeded, sort)


@pytest.mark.parametrize(
    "sort", [None, ("name",), ("-region", "name"), ("code",), ("-created_at",), ("updated_by",)]
)
def test_pages_match_the_databases_order(
    records: RecordService, seeded: list[Record], sort: tuple[str, ...] | None
) -> None:
    whole = records.query("customer", Query(sort=sort, page_size=100))
    assert walk(records, Query(sort=sort, page_size=3)) == ids(whole.records)
    assert sorted(ids(whole.records)) == sorted(r.id for r in seeded)


def test_pages_with_filters_keep_the_total(records: RecordService, seeded: list[Record]) -> None:
    query = Query(filters=(Filter("annual_amount", "not_empty"),), page_size=5)
    first = records.query("customer", query)
    assert first.total == len(matching(seeded, lambda r: amount(r) is not None))
    second = records.query("customer", dataclasses.replace(query, after=first.next_cursor))
    assert second.total == first.total
    assert not set(ids(first.records)) & set(ids(second.records))


def test_count_stops_at_the_cap(
    records: RecordService, seeded: list[Record], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query_module, "COUNT_CAP", 10)
    page = records.query("customer", Query(page_size=5))
    assert (page.total, page.total_capped) == (10, True)
    assert records.query("customer", Query(count=False)).total is None


def test_child_table_empty_and_not_empty(projects: RecordService) -> None:
    with_rows = projects.create("project", {"name": "a", "milestones": [{"title": "m"}]})
    without = projects.create("project", {"name": "b"})
    for op, expected in (("empty", without), ("not_empty", with_rows)):
        page = projects.query("project", Query(filters=(Filter("milestones", op),)))
        assert ids(page.records) == [expected.id]


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


BAD_QUERIES = [
    pytest.param(Query(filters=(Filter("salary", "eq", 1),)), "filters[0]", id="unknown-field"),
    pytest.param(Query(filters=(Filter("version", "eq", 1),)), "filters[0]", id="version"),
    pytest.param(Query(filters=(Filter("name", "like", "a"),)), "filters[0]", id="unknown-op"),
    pytest.param(Query(filters=(Filter("tags", "lt", "a"),)), "filters[0]", id="op-vs-type"),
    pytest.param(Query(filters=(Filter("major_dispute", "gt", 1),)), "filters[0]", id="bool-gt"),
    pytest.param(Query(filters=(Filter("notes", "lt", "a"),)), "filters[0]", id="longtext-lt"),
    pytest.param(Query(filters=(Filter("region", "contains", 5),)), "filters[0]", id="contains"),
    pytest.param(
        Query(filters=(Filter("qualification_files", "eq", "a"),)), "filters[0]", id="attachment-eq"
    ),
    pytest.param(
        Query(filters=(Filter("annual_amount", "gt", "lots"),)), "filters[0]", id="bad-number"
    ),
    pytest.param(
        Query(filters=(Filter("first_signed_on", "eq", "soon"),)), "filters[0]", id="bad-date"
    ),
    pytest.param(Query(filters=(Filter("region", "eq", None),)), "filters[0]", id="eq-none"),
    pytest.param(
        Query(filters=(Filter("cooperation_years", "in", "1,2"),)), "filters[0]", id="in-needs-list"
    ),
    pytest.param(
        Query(filters=(Filter("cooperation_years", "between", [1]),)),
        "filters[0]",
        id="between-needs-two",
    ),
    pytest.param(
        Query(filters=(Filter("region", "empty", "华东"),)), "filters[0]", id="empty-takes-no-value"
    ),
    pytest.param(
        Query(filters=(Filter("region", "eq", "华东"), Filter("x", "eq", 1))),
        "filters[1]",
        id="second-filter",
    ),
    pytest.param(Query(filters=(("name",),)), "filters[0]", id="filter-tuple-short"),
    pytest.param(Query(filters=(Filter("name", ["eq"], "a"),)), "filters[0]", id="op-a-list"),
    pytest.param(Query(sort=("salary",)), "sort", id="sort-unknown"),
    pytest.param(Query(sort=("tags",)), "sort", id="sort-json"),
    pytest.param(Query(sort=("",)), "sort", id="sort-empty"),
    pytest.param(Query(page_size=0), "page_size", id="page-size-0"),
    pytest.param(Query(page_size=100_000), "page_size", id="page-size-huge"),
    pytest.param(Query(after="not a cursor!"), "after", id="cursor-garbage"),
    pytest.param(Query(after=_cursor([1, 2])), "after", id="cursor-not-object"),
    pytest.param(Query(after=_cursor({"s": "id", "v": [3]})), "after", id="cursor-other-sort"),
    pytest.param(
        Query(sort=("id",), after=_cursor({"s": "id", "v": ["3"]})), "after", id="cursor-id-text"
    ),
    pytest.param(
        Query(sort=("id",), after=_cursor({"s": "id", "v": [1, 2]})), "after", id="cursor-length"
    ),
    pytest.param(
        Query(sort=("annual_amount",), after=_cursor({"s": "annual_amount,id", "v": ["abc", 1]})),
        "after",
        id="cursor-bad-value",
    ),
]


@pytest.mark.parametrize(("query", "key"), BAD_QUERIES)
def test_bad_queries_fail_before_any_sql(
    records: RecordService, statements: list[str], query: Query, key: str
) -> None:
    with pytest.raises(QueryError) as caught:
        records.query("customer", query)
    assert key in caught.value.errors, caught.value.errors
    assert statements == []
