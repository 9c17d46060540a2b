"""The reference app's contract approval (configs/engineering_crm/flows/contract_approval.yaml):
the commercial coordinator submits; the sales director approves; from 5,000,000 CNY finance
and then an executive approve too; a rejection reopens the contract as a draft."""

from __future__ import annotations

from typing import Any

import pytest

from formwork.auth import UserStore
from formwork.flows.service import FlowService
from formwork.runtime import Runtime
from formwork.store.actor import Actor
from formwork.store.errors import ValidationFailed
from formwork.store.records import Record
from tests.app_fixtures import PASSWORD, Crm

ROLES = ("commercial", "sales_director", "finance", "executive", "account_manager")


@pytest.fixture
def staff(users: UserStore) -> dict[str, Actor]:
    return {
        role: users.create(
            role, role.replace("_", " ").title(), PASSWORD, [role], team="east"
        ).actor()
        for role in ROLES
    }


@pytest.fixture
def flows(runtime: Runtime) -> FlowService:
    return FlowService(runtime.records)


def contract(crm: Crm, staff: dict[str, Actor], amount: int) -> Record:
    manager = staff["account_manager"]
    customer = crm.runtime.records.create(
        "customer", {"name": "中建八局", "customer_type": "总承包商", "account_manager": manager.id}
    )
    values: dict[str, Any] = {
        "name": "机电安装合同",
        "customer": customer.id,
        "contract_type": "专业分包",
        "amount": amount,
    }
    return crm.runtime.records.create("contract", values, user=staff["commercial"])


def decide(
    flows: FlowService, staff: dict[str, Actor], role: str, action: str, comment: str = ""
) -> str:
    (task,) = flows.tasks_for(staff[role])
    return flows.act(action, staff[role], task=task.id, comment=comment).status


def test_a_large_contract_is_approved_by_director_finance_and_executive(
    flows: FlowService, crm: Crm, staff: dict[str, Actor], runtime: Runtime
) -> None:
    signed = contract(crm, staff, 6_000_000)
    assert signed["status"] == "draft"
    flows.submit("contract", signed.id, staff["commercial"], "请审批")
    for role in ("sales_director", "finance"):
        assert decide(flows, staff, role, "approve") == "pending"
    assert decide(flows, staff, "executive", "approve") == "approved"

    approved = runtime.records.get("contract", signed.id)
    assert approved["status"] == "approved"
    with pytest.raises(ValidationFailed) as refused:  # the entity's readonly_when keeps it
        runtime.records.update("contract", signed.id, {"amount": 1}, approved.version)
    assert list(refused.value.errors) == ["amount"]


def test_a_small_contract_needs_the_director_only(
    flows: FlowService, crm: Crm, staff: dict[str, Actor]
) -> None:
    small = contract(crm, staff, 300_000)
    flows.submit("contract", small.id, staff["commercial"])
    assert decide(flows, staff, "sales_director", "approve") == "approved"


def test_a_rejection_reopens_the_contract_with_the_reason_in_its_timeline(
    flows: FlowService, crm: Crm, staff: dict[str, Actor], runtime: Runtime
) -> None:
    rejected = contract(crm, staff, 6_000_000)
    flows.submit("contract", rejected.id, staff["commercial"])
    decide(flows, staff, "sales_director", "approve")
    assert decide(flows, staff, "finance", "reject", "付款条件不明确") == "rejected"

    assert runtime.records.get("contract", rejected.id)["status"] == "draft"
    entries = flows.timeline("contract", rejected.id, staff["commercial"])
    assert [(e.action, e.comment) for e in entries if e.action == "reject"] == [
        ("reject", "付款条件不明确")
    ]
    assert [
        a.action for a in flows.available_actions("contract", rejected.id, staff["commercial"])
    ] == ["submit"]


def test_the_contract_is_locked_while_pending(
    flows: FlowService, crm: Crm, staff: dict[str, Actor], runtime: Runtime
) -> None:
    pending = contract(crm, staff, 6_000_000)
    other = crm.customer("万科", owner=None)
    flows.submit("contract", pending.id, staff["commercial"])
    current = runtime.records.get("contract", pending.id)
    with pytest.raises(ValidationFailed) as refused:
        runtime.records.update("contract", pending.id, {"customer": other.id}, current.version)
    assert refused.value.errors == {"customer": ["Locked while the record awaits approval."]}
    noted = runtime.records.update("contract", pending.id, {"notes": "加急"}, current.version)
    assert noted["notes"] == "加急"
