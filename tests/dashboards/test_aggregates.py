"""Aggregates: one grouped query per widget, inside the user's row scope, on SQLite and
PostgreSQL. A group's count is the count of the list filtered to it; a field the user may
not see can be neither measured, grouped on nor filtered on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from formwork.store.actor import Actor
from formwork.store.aggregates import Aggregate, ByAge, ByPeriod, ByValue
from formwork.store.errors import Forbidden, QueryError
from formwork.store.query import Filter, Query
from formwork.store.records import RecordService

TODAY = dt.date(2024, 6, 15)


@pytest.fixture
def accounts(deals: RecordService) -> dict[str, int]:
    return {name: deals.create("account", {"name": name}).id for name in ("Acme", "Beta", "Core")}


def deal(deals: RecordService, owner: Actor, **values: Any) -> None:
    values.setdefault("name", f"deal {values}")
    deals.create("deal", {"owner": owner.id, **values})


def by_key(buckets: list[Any]) -> dict[Any, tuple[Any, int]]:
    return {b.key: (b.value, b.count) for b in buckets}


def test_counts_and_sums_by_option(deals: RecordService, people: dict[str, Actor]) -> None:
    ann = people["ann"]
    for stage, amount in (("lead", 100), ("lead", 50), ("offer", 300), ("won", 1000)):
        deal(deals, ann, stage=stage, amount=amount)
    deal(deals, ann, amount=5)  # no stage: in no group
    counted = deals.aggregate("deal", Aggregate(group=ByValue("stage")))
    assert by_key(counted) == {"lead": (2, 2), "offer": (1, 1), "won": (1, 1)}
    summed = deals.aggregate(
        "deal", Aggregate(function="sum", field="amount", group=ByValue("stage"))
    )
    assert by_key(summed) == {
        "lead": (Decimal("150.00"), 2),
        "offer": (Decimal("300.00"), 1),
        "won": (Decimal("1000.00"), 1),
    }


def test_a_groups_count_is_the_count_of_the_list_filtered_to_it(
    deals: RecordService, people: dict[str, Actor]
) -> None:
    for index, stage in enumerate(["lead", "lead", "offer", "won", "lost", "won", "lead"]):
        deal(deals, people["ann" if index % 2 else "bob"], stage=stage, amount=index * 10)
    only_open = (Filter("stage", "in", ["lead", "offer", "won"]), Filter("amount", "ge", 10))
    buckets = deals.aggregate("deal", Aggregate(only_open, group=ByValue("stage")))
    for bucket in buckets:
        narrowed = (*only_open, Filter("stage", "eq", bucket.key))
        assert deals.query("deal", Query(filters=narrowed)).total == bucket.count


def test_without_a_group_one_bucket_even_over_no_records(
    deals: RecordService, people: dict[str, Actor]
) -> None:
    assert by_key(deals.aggregate("deal", Aggregate())) == {None: (0, 0)}
    assert by_key(deals.aggregate("deal", Aggregate(function="sum", field="amount"))) == {
        None: (0, 0)
    }
    deal(deals, people["ann"], amount=10)
    deal(deals, people["ann"], amount=30)
    for function, expected in (("avg", 20.0), ("min", Decimal("10.00")), ("max", Decimal("30.00"))):
        (bucket,) = deals.aggregate("deal", Aggregate(function=function, field="amount"))
        assert (bucket.value, bucket.count) == (expected, 2)


def test_a_link_group_keeps_the_largest_groups(
    deals: RecordService, people: dict[str, Actor], accounts: dict[str, int]
) -> None:
    for name, times in (("Acme", 1), ("Beta", 3), ("Core", 2)):
        for _ in range(times):
            deal(deals, people["ann"], account=accounts[name])
    buckets = deals.aggregate("deal", Aggregate(group=ByValue("account", limit=2)))
    assert [(b.key, b.count) for b in buckets] == [(accounts["Beta"], 3), (accounts["Core"], 2)]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("day", {"2024-03-31": 1, "2024-04-01": 2, "2024-12-31": 1, "2025-01-01": 1}),
        ("week", {"2024-03-25": 1, "2024-04-01": 2, "2024-12-30": 2}),
        ("month", {"2024-03-01": 1, "2024-04-01": 2, "2024-12-01": 1, "2025-01-01": 1}),
        ("quarter", {"2024-01-01": 1, "2024-04-01": 2, "2024-10-01": 1, "2025-01-01": 1}),
        ("year", {"2024-01-01": 4, "2025-01-01": 1}),
    ],
)
def test_dates_fall_in_the_period_that_starts_on_the_key(
    deals: RecordService, people: dict[str, Actor], period: str, expected: dict[str, int]
) -> None:
    # 2024-03-31 is a Sunday, 2024-04-01 a Monday; 2024-12-31 and 2025-01-01 share a week.
    for day in ("2024-03-31", "2024-04-01", "2024-04-01", "2024-12-31", "2025-01-01"):
        deal(deals, people["ann"], closed_on=day)
    deal(deals, people["ann"])  # no date: in no period
    buckets = deals.aggregate("deal", Aggregate(group=ByPeriod("closed_on", period)))
    assert {b.key: b.count for b in buckets} == {
        dt.date.fromisoformat(k): v for k, v in expected.items()
    }


def test_aging_buckets_count_days_before_today(
    deals: RecordService, people: dict[str, Actor]
) -> None:
    for days in (-3, 0, 1, 29, 30, 59, 60, 400):  # -3: due in three days, not overdue yet
        deal(deals, people["ann"], due_on=TODAY - dt.timedelta(days=days), amount=days + 1000)
    aging = ByAge("due_on", (1, 30, 60), TODAY)
    buckets = deals.aggregate("deal", Aggregate(function="sum", field="amount", group=aging))
    assert by_key(buckets) == {
        0: (Decimal("2030.00"), 2),  # 1 and 29 days
        1: (Decimal("2089.00"), 2),  # 30 and 59
        2: (Decimal("2460.00"), 2),  # 60 and 400
    }


def test_a_reps_figures_count_only_their_own_deals(
    deals: RecordService, people: dict[str, Actor]
) -> None:
    deal(deals, people["ann"], stage="lead", amount=100)
    deal(deals, people["bob"], stage="lead", amount=200)
    deal(deals, people["bob"], stage="won", amount=300)
    summed = Aggregate(function="sum", field="amount", group=ByValue("stage"))
    assert by_key(deals.aggregate("deal", summed, people["ann"])) == {
        "lead": (Decimal("100.00"), 1)
    }
    assert by_key(deals.aggregate("deal", summed, people["boss"])) == {
        "lead": (Decimal("300.00"), 2),
        "won": (Decimal("300.00"), 1),
    }


@pytest.mark.parametrize(
    "aggregate",
    [
        Aggregate(function="sum", field="margin"),
        Aggregate(group=ByValue("margin")),
        Aggregate(filters=(Filter("margin", "gt", 0),)),
    ],
    ids=["measured", "grouped", "filtered"],
)
def test_a_field_the_user_may_not_see_cannot_be_aggregated(
    deals: RecordService, people: dict[str, Actor], aggregate: Aggregate
) -> None:
    deal(deals, people["ann"], margin=40)
    with pytest.raises(QueryError):
        deals.aggregate("deal", aggregate, people["ann"])
    assert deals.aggregate("deal", aggregate, people["boss"])


@pytest.mark.parametrize(
    "aggregate",
    [
        Aggregate(function="sum", field="name"),
        Aggregate(function="median", field="amount"),
        Aggregate(group=ByPeriod("amount", "month")),
        Aggregate(group=ByPeriod("closed_on", "fortnight")),
        Aggregate(group=ByValue("nothing")),
    ],
    ids=["text-summed", "unknown-function", "period-of-money", "unknown-period", "unknown-field"],
)
def test_an_aggregate_that_does_not_fit_the_model_is_refused_before_any_sql(
    deals: RecordService, aggregate: Aggregate
) -> None:
    with pytest.raises(QueryError):
        deals.aggregate("deal", aggregate)


def test_a_user_who_may_not_list_the_entity_is_refused(deals: RecordService) -> None:
    clerk = Actor(999, "clerk", ("clerk",))
    with pytest.raises(Forbidden):
        deals.aggregate("deal", Aggregate(), clerk)
