"""Values that change with the date stay current: the daily refresh recomputes every stored
field and grade that reads the date, directly or through other fields, links and rollups."""

from __future__ import annotations

import datetime as dt

import pytest

from formwork.runtime import Runtime
from formwork.store.daily import date_dependent, refresh_daily, refresh_order


def days(n: int) -> str:
    # Today as the formulas see it when the test runs (not at collection: a run that
    # crosses midnight would be a day out).
    return (dt.date.today() + dt.timedelta(days=n)).isoformat()


def test_the_date_dependent_fields_are_found_through_fields_links_and_rollups(
    runtime: Runtime,
) -> None:
    daily = date_dependent(runtime.records.rules)
    # today() itself, then fields reading those: health reads health_score reads days_since…
    assert {"days_since_visit", "health_score", "health", "contracts_12m"} <= daily["customer"]
    # …and the grade, whose contract value dimension reads contracts_12m
    assert {"score", "grade"} <= daily["customer"]
    assert {"state", "overdue_days"} <= daily["receivable"]
    assert "name" not in daily["customer"] and "last_visit_on" not in daily["customer"]
    assert "contact" not in daily  # nothing about a contact changes with the date


def test_records_read_by_others_are_refreshed_first(runtime: Runtime) -> None:
    order = refresh_order(runtime.records.rules, ["customer", "receivable"])
    assert order.index("receivable") < order.index("customer")


def test_a_refresh_moves_values_on_with_the_date_and_audits_it(
    runtime: Runtime, crm, users
) -> None:
    records = runtime.records
    manager = users.create("zhang", "Zhang Wei", "irrelevant password", ["account_manager"])
    customer = crm.customer("远景设计院", owner=manager)
    visit = {"subject": "回访", "customer": customer.id, "visit_type": "例行跟进", "summary": "…"}
    records.create("visit", {**visit, "visit_on": days(-20)})
    contract = records.create(
        "contract",
        {"name": "一期", "customer": customer.id, "contract_type": "设计咨询", "amount": 100000},
    )
    due = records.create(
        "receivable",
        {
            "contract": contract.id,
            "installment": "预付款",
            "planned_amount": 100000,
            "planned_on": days(5),
        },
    )
    before = records.get("customer", customer.id)
    assert before["days_since_visit"] == 20 and before["overdue_amount"] == 0

    refresh = refresh_daily(records, today=dt.date.today() + dt.timedelta(days=50))

    assert refresh is not None and refresh.changed >= 2
    receivable = records.get("receivable", due.id)
    assert receivable["state"] == "已逾期" and receivable["overdue_days"] == 45
    after = records.get("customer", customer.id)
    assert after["days_since_visit"] == 70
    assert after["overdue_amount"] == 100000 and after["overdue_days"] == 45
    assert after["health_score"] < before["health_score"]
    assert records.history("customer", customer.id)[0].action == "recompute"


def test_a_refresh_runs_once_a_day_unless_forced(runtime: Runtime, crm) -> None:
    crm.customer("远景设计院")
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert refresh_daily(runtime.records, today=tomorrow) is not None
    assert refresh_daily(runtime.records, today=tomorrow) is None
    assert refresh_daily(runtime.records, today=dt.date.today()) is None  # a day already past
    again = refresh_daily(runtime.records, today=tomorrow, force=True)
    assert again is not None and again.changed == 0  # nothing moved since


@pytest.mark.parametrize("entity", ["customer", "receivable", "ticket"])
def test_every_refreshed_entity_is_a_top_level_one(runtime: Runtime, entity: str) -> None:
    daily = date_dependent(runtime.records.rules)
    assert entity in daily
    assert not runtime.model.entity(entity).child_of
