"""Dashboards in the model: built from `dashboards/*.yaml`, their filters kept in the terms
of the list URL, and dates relative to today worked out on the day."""

from __future__ import annotations

import datetime as dt

import pytest

from formwork.metamodel import App
from formwork.metamodel.dashboard_model import Measure, WidgetFilter
from formwork.metamodel.relative_dates import add_months, is_relative, resolve


def test_the_reference_app_has_a_dashboard_per_audience(crm_app: App) -> None:
    roles = {name: set(d.roles) for name, d in crm_app.dashboards.items()}
    assert roles == {
        "sales": {"sales_director", "executive", "admin"},
        "finance": {"finance", "executive", "admin"},
        "my_accounts": {"account_manager"},
    }
    funnel = next(w for w in crm_app.dashboards["sales"].widgets if w.kind == "funnel")
    assert (funnel.entity, funnel.group, funnel.measure) == (
        "opportunity",
        "stage",
        Measure("sum", "expected_amount"),
    )
    aging = next(w for w in crm_app.dashboards["finance"].widgets if w.kind == "aging")
    assert (aging.date, aging.buckets) == ("planned_on", (0, 30, 60, 90, 180))


def test_filters_keep_the_list_urls_terms(crm_app: App) -> None:
    late = crm_app.dashboards["my_accounts"].widgets[2]
    assert late.filters == (
        WidgetFilter("account_manager", ("me",)),
        WidgetFilter("next_action_done", ("false",)),
        WidgetFilter("next_action_on", max="-1d"),
    )
    assert late.fields() == ("account_manager", "next_action_done", "next_action_on")


def test_a_dashboard_without_roles_is_for_everyone(deal_app: App) -> None:
    pipeline, desk = deal_app.dashboards["pipeline"], deal_app.dashboards["desk"]
    assert pipeline.visible_to(["rep"]) and not pipeline.visible_to(["clerk"])
    assert desk.visible_to(["clerk"]) and not desk.visible_to([])
    assert [w.kind for w in pipeline.widgets] == [
        "number",
        "number",
        "funnel",
        "pie",
        "bar",
        "line",
        "aging",
    ]


TODAY = dt.date(2024, 3, 31)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2024-03-31"),
        ("-30d", "2024-03-01"),
        ("+2w", "2024-04-14"),
        ("-1m", "2024-02-29"),  # no 31 February: the month's last day
        ("-12m", "2023-03-31"),
        ("+1y", "2025-03-31"),
        ("2024-01-05", "2024-01-05"),
    ],
)
def test_relative_dates_are_worked_out_on_the_day(text: str, expected: str) -> None:
    assert resolve(text, TODAY) == dt.date.fromisoformat(expected)


@pytest.mark.parametrize("text", ["yesterday", "-2q", "30d", "-d", "+12345d", "2024-13-01"])
def test_other_text_is_not_a_relative_date(text: str) -> None:
    assert not is_relative(text)
    with pytest.raises(ValueError):
        resolve(text, TODAY)


def test_adding_months_crosses_years() -> None:
    assert add_months(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 1, 15), -13) == dt.date(2022, 12, 15)
