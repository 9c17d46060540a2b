"""The reference app's pages for every entity it lists in its menu: with a customer and one
record of every kind around it, the list, board, new form, detail and edit pages answer as
the role's permissions say — never a 500 — and the customer's page gathers its records."""

from __future__ import annotations

import re
from typing import Any

import pytest

from formwork.auth import User
from formwork.runtime import Runtime
from formwork.store.actor import Actor
from formwork.store.records import Record
from tests.pages import Page
from tests.views.conftest import PASSWORD

RELATED = ["contacts", "opportunities", "contracts", "projects"]
RELATED += ["receivables", "tickets", "visits", "surveys"]


def book_of(runtime: Runtime, manager: User, name: str = "城投集团") -> dict[str, Record]:
    """A customer of `manager` and one record of every other entity of the menu."""
    create = runtime.records.create
    customer = create(
        "customer",
        {"name": name, "customer_type": "政府机构", "account_manager": manager.id},
    )
    of = {"customer": customer.id}
    contact = create("contact", {**of, "name": "刘总", "level": "高层"})
    opportunity = create(
        "opportunity",
        {**of, "name": "城东道路", "stage": "方案报价", "expected_amount": "3000000"}
        | {"expected_close_on": "2025-12-31"},
    )
    contract = create(
        "contract",
        {**of, "name": "城东道路一标", "contract_type": "施工总承包", "amount": "2800000"}
        | {"opportunity": opportunity.id, "changes": [_change()]},
    )
    project = create(
        "project",
        {**of, "name": "城东道路改造", "contract": contract.id, "milestones": [_milestone()]},
    )
    receivable = create(
        "receivable",
        {"contract": contract.id, "installment": "预付款", "planned_amount": "840000"}
        | {"planned_on": "2025-01-15"},
    )
    ticket = create(
        "ticket",
        {**of, "subject": "路灯不亮", "description": "三号路段路灯不亮", "project": project.id},
    )
    visit = create(
        "visit", {**of, "subject": "季度回访", "summary": "二期规划", "contact": contact.id}
    )
    survey = create("survey", {**of, "survey_type": "交付后回访", "satisfaction": 5, "nps": 9})
    return {
        "customer": customer,
        "contact": contact,
        "opportunity": opportunity,
        "contract": contract,
        "project": project,
        "receivable": receivable,
        "ticket": ticket,
        "visit": visit,
        "survey": survey,
    }


def _change() -> dict[str, Any]:
    return {
        "changed_on": "2025-03-01",
        "change_type": "工程变更",
        "description": "增加排水管网",
        "amount_change": "200000",
    }


def _milestone() -> dict[str, Any]:
    return {"name": "路基完成", "due_on": "2025-05-31", "acceptance_criteria": "压实度检测合格"}


def allows(runtime: Runtime, user: User, action: str, entity: str) -> bool:
    actor = Actor(user.id, user.username, user.roles, user.team)
    return runtime.records.policy.grant(actor, runtime.model.entity(entity)).allows(action)


def status(client: Any, path: str) -> int:
    return client.get(path).status_code


#: What each role may edit of the book of an account manager's customer (contacts have no
#: owner field: they are their creator's, here nobody's).
EDITABLE = {
    "admin": {"customer", "contact", "opportunity", "contract", "project", "receivable"}
    | {"ticket", "visit", "survey"},
    "account_manager": {"customer", "opportunity", "contract", "project", "receivable"}
    | {"ticket", "visit", "survey"},
    "tech_support": {"project", "ticket"},
    "finance": {"customer", "contract", "receivable"},
}


# -- every page of every entity ----------------------------------------------------------
@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize("role", ["admin", "account_manager", "tech_support", "finance"])
def test_every_page_of_every_entity_answers_by_permission(
    as_role, runtime: Runtime, role: str, locale: str
) -> None:
    client = as_role(role, locale=locale)
    manager = client.user if role == "account_manager" else as_role("account_manager").user
    records = book_of(runtime, manager)
    assert list(records) == list(runtime.model.navigation)
    for entity, record in records.items():
        may = {a: allows(runtime, client.user, a, entity) for a in ("read", "create")}
        base = f"/r/{entity}"
        read = 200 if may["read"] else 403
        assert status(client, f"{base}/") == read, (entity, role)
        assert status(client, f"{base}/new") == (200 if may["create"] else 403), (entity, role)
        if runtime.model.entity(entity).list.board:
            assert status(client, f"{base}/board") == read, (entity, role)
        detail = status(client, f"{base}/{record.id}")
        assert detail == (200 if may["read"] else 403), (entity, role)
        edit = status(client, f"{base}/{record.id}/edit")
        assert edit == (200 if entity in EDITABLE[role] else 403), (entity, role)


#: Contacts are readable by every account manager and director (entities/contact.yaml).
SHARED = {"contact"}


def test_an_account_manager_sees_the_records_of_their_customers_only(as_role, runtime) -> None:
    mine, other = as_role("account_manager"), as_role("account_manager")
    records = book_of(runtime, mine.user)
    for entity, record in records.items():
        if entity in SHARED:
            continue
        assert status(mine, f"/r/{entity}/{record.id}") == 200, entity
        assert status(other, f"/r/{entity}/{record.id}") == 404, entity
        listed = other.get(f"/r/{entity}/").get_data(as_text=True)
        assert f'id="row-{record.id}"' not in listed, entity


def test_the_director_sees_the_teams_records(as_role, runtime, users) -> None:
    director = as_role("sales_director", team="华东大区")
    colleague = users.create("li", "李经理", PASSWORD, ["account_manager"], team="华东大区")
    outsider = users.create("zhou", "周经理", PASSWORD, ["account_manager"], team="华北大区")
    ours, theirs = book_of(runtime, colleague), book_of(runtime, outsider, name="北方建设")
    for entity in set(ours) - SHARED:
        assert status(director, f"/r/{entity}/{ours[entity].id}") == 200, entity
        assert status(director, f"/r/{entity}/{theirs[entity].id}") == 404, entity


# -- the customer's page -------------------------------------------------------------------
def test_the_customers_page_gathers_its_records_and_grade_strategy(as_role, runtime) -> None:
    admin = as_role("admin")
    records = book_of(runtime, as_role("account_manager").user)
    page = Page(admin.get(f"/r/customer/{records['customer'].id}").get_data(as_text=True))
    assert {name: page.text(f"related-{name}-count") for name in RELATED} == dict.fromkeys(
        RELATED, "1"
    )
    assert (
        page.text("grade-customer_grade-strategy")
        == "Strategy: Automated follow-up; standard service"
    )
    # never visited, and the advance payment due 2025-01-15 is over 180 days late
    assert page.text("field-health") == "At risk"
    assert page.text("field-open_tickets") == "1"


def test_each_account_manager_has_a_list_of_their_customers_at_risk(as_role, runtime) -> None:
    manager, other = as_role("account_manager"), as_role("account_manager")
    at_risk = book_of(runtime, manager.user)["customer"]
    healthy = runtime.records.create(
        "customer",
        {"name": "华建集团", "customer_type": "开发商", "account_manager": manager.user.id},
    )
    runtime.records.create(  # visited today: 96 points
        "visit", {"customer": healthy.id, "subject": "例行跟进", "summary": "一切正常"}
    )
    assert runtime.records.get("customer", healthy.id)["health"] == "健康"
    theirs = book_of(runtime, other.user, name="北方建设")["customer"]
    listed = manager.get("/r/customer/?health=风险").get_data(as_text=True)
    assert re.findall(r'<tr id="row-(\d+)"', listed) == [str(at_risk.id)]
    listed = other.get("/r/customer/?health=风险").get_data(as_text=True)
    assert re.findall(r'<tr id="row-(\d+)"', listed) == [str(theirs.id)]


def test_finance_fields_are_hidden_from_technical_support(as_role, runtime) -> None:
    support = as_role("tech_support")
    records = book_of(runtime, as_role("account_manager").user)
    contract = support.get(f"/r/contract/{records['contract'].id}").get_data(as_text=True)
    assert "field-amount" not in contract and "2,800,000" not in contract
    assert "field-contract_type" in contract
    customer = support.get(f"/r/customer/{records['customer'].id}").get_data(as_text=True)
    assert "field-overdue_amount" not in customer and "related-receivables" not in customer
    assert status(support, "/r/receivable/") == 403


def test_the_opportunity_board_has_a_column_per_stage(as_role, runtime) -> None:
    client = as_role("account_manager")
    opportunity = book_of(runtime, client.user)["opportunity"]
    html = client.get("/r/opportunity/board").get_data(as_text=True)
    stages = re.findall(r'<section class="board-column"[^>]*data-value="([^"]*)"', html)
    assert stages[:5] == ["初步接触", "方案报价", "投标评审", "合同签订", "已输单"]
    assert f'id="card-{opportunity.id}"' in html


# -- forms fill what the user may not choose -----------------------------------------------
def test_a_ticket_from_the_form_belongs_to_the_customers_account_manager(as_role, runtime) -> None:
    manager = as_role("account_manager")
    customer = book_of(runtime, manager.user)["customer"]
    support = as_role("tech_support")
    response = support.post_form(
        "/r/ticket/new",
        {
            "subject": "监控离线",
            "customer": str(customer.id),
            "ticket_type": "故障报修",
            "priority": "紧急",
            "status": "待受理",
            "reported_on": "2025-06-30",
            "description": "五号路口摄像头离线",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    ticket_id = int(response.location.rsplit("/", 1)[-1])
    ticket = runtime.records.get("ticket", ticket_id)
    assert ticket["account_manager"] == manager.user.id
    assert ticket["response_hours"] == 8  # urgent for a C customer
    assert status(manager, f"/r/ticket/{ticket_id}") == 200
