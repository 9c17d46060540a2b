"""The flow editor: steps, their approvers and conditions, who may submit."""

from __future__ import annotations

import pytest

from formwork.overlay.patches import Overlay, Patch
from tests.pages import Page

URL = "/admin/config/flows/contract_approval"
BASE = "flows/contract_approval"
FINANCE = f"{BASE}/steps/name=finance"


def flow(runtime):
    return runtime.site.candidate().require().flows["contract_approval"]


def test_a_step_condition_is_a_patch_checked_like_any_formula(as_role, runtime) -> None:
    admin = as_role("admin")
    assert admin.post_form(URL, {f"{FINANCE}/when": "amount >= 1000000"}).status_code == 303
    assert runtime.site.draft().patches == (
        Patch("set", f"{FINANCE}/when", "amount >= 1000000", base="amount >= 5000000"),
    )
    bad = admin.post_form(URL, {f"{FINANCE}/when": "amount >= 'much'"})
    assert bad.status_code == 422
    assert Page(bad.get_data(as_text=True)).text("p-flows-contract_approval-steps-1-when-error")


def test_approvers_can_be_changed_added_and_removed(as_role, runtime) -> None:
    admin = as_role("admin")
    admin.post_form(URL, {f"{FINANCE}/__approver/0/value": "executive"})
    assert flow(runtime).steps[1].approvers[0].value == "executive"
    admin.post_form(URL, {"op": "add steps/name=finance/approvers"})
    assert len(flow(runtime).steps[1].approvers) == 2
    admin.post_form(URL, {"op": "drop steps/name=finance/approvers 1"})
    admin.post_form(URL, {f"{FINANCE}/__approver/0/value": "finance"})
    assert runtime.site.draft() == Overlay()


def test_steps_can_be_added_reordered_and_removed(as_role, runtime) -> None:
    admin = as_role("admin")
    admin.post_form(
        URL, {"op": "add steps", "__new_step/name": "legal", "__new_step/role": "commercial"}
    )
    assert [s.name for s in flow(runtime).steps] == [
        "sales_director",
        "finance",
        "executive",
        "legal",
    ]
    admin.post_form(URL, {"op": "up steps 3"})
    assert [s.name for s in flow(runtime).steps][2] == "legal"
    admin.post_form(URL, {"op": "drop steps 2"})
    assert runtime.site.draft() == Overlay()


@pytest.mark.parametrize("name", ["", "Legal", "finance"])
def test_a_new_step_needs_a_new_name(as_role, runtime, name) -> None:
    response = as_role("admin").post_form(URL, {"op": "add steps", "__new_step/name": name})
    assert response.status_code == 422
    assert Page(response.get_data(as_text=True)).text("new-step-name-error")
    assert runtime.site.draft() == Overlay()


def test_deadlines_and_how_many_must_approve(as_role, runtime) -> None:
    as_role("admin").post_form(URL, {f"{FINANCE}/due_hours": "24", f"{FINANCE}/mode": "all"})
    step = flow(runtime).steps[1]
    assert step.due_hours == 24 and step.mode == "all"


def test_who_may_submit(as_role, runtime) -> None:
    as_role("admin").post_form(
        URL,
        {
            f"{BASE}/submit/roles": ["commercial", "account_manager"],
            f"{BASE}/submit/roles__shown": "1",
        },
    )
    assert set(flow(runtime).submit.roles) == {"commercial", "account_manager"}
