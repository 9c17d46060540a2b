"""A contract's approval in a real browser: the commercial coordinator enters a 6,000,000 CNY
contract and submits it; the sales director, finance and an executive approve it in turn
from their inboxes; it ends approved and its amount can no longer be changed. And the other
way: the director rejects a contract from its page, with a comment, and it is a draft again
with the comment in its timeline."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from formwork.auth import User, UserStore
from tests.app_fixtures import PASSWORD, Crm

TEAM = "east"


def new_contract(page: Page, name: str, customer: str, amount: str) -> None:
    """Fill and save the new-contract form as a user would."""
    page.goto("/r/contract/new")
    page.locator("#f-name").fill(name)
    # The customer typed out in full: the form finds it when saved.
    page.locator("#f-customer").fill(customer)
    page.locator("#f-contract_type").select_option("专业分包")
    page.locator("#f-amount").fill(amount)
    page.locator("#save").click()
    expect(page.locator("#page-title")).to_have_text(name)


def submit(page: Page, comment: str) -> None:
    panel = page.locator("#flow-panel")
    expect(panel.locator("#flow-state")).to_have_text("Draft")
    panel.get_by_label("Comment").fill(comment)
    panel.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("#flow-state")).to_have_text("Pending approval")
    expect(page.get_by_role("status").first).to_contain_text("Submitted for approval.")


def approve_from_inbox(page: Page, contract: str) -> None:
    page.goto("/inbox")
    expect(page.locator("#inbox-count")).to_contain_text("1")
    card = page.locator(".flow-task").filter(has_text=contract)
    card.get_by_role("button", name="Approve").click()
    expect(card).to_contain_text("Approved.")
    expect(card.get_by_role("button")).to_have_count(0)
    expect(page.locator("#inbox-count")).to_be_hidden()  # the top bar follows


def people(users: UserStore) -> User:
    return users.create("manager", "manager", PASSWORD, ["account_manager"], team=TEAM)


def test_a_large_contract_is_approved_by_director_finance_and_executive_in_turn(
    page: Page, new_page: Callable[..., Page], login, crm: Crm, users: UserStore
) -> None:
    crm.customer("中建八局", owner=people(users))
    approvers = {role: new_page() for role in ("sales_director", "finance", "executive")}
    for role, approver in approvers.items():
        login(approver, role, name=role, team=TEAM)
    login(page, "commercial", name="coordinator", team=TEAM)
    new_contract(page, "机电安装合同", "中建八局", "6000000")
    record_url = page.url
    submit(page, "请审批")

    for approver in approvers.values():
        approve_from_inbox(approver, "机电安装合同")

    page.goto(record_url)
    expect(page.locator("#flow-state")).to_have_text("Approved")
    expect(page.locator("#field-status")).to_have_text("Approved")
    timeline = page.locator("#flow-timeline")
    for who in ("sales_director", "finance", "executive"):
        expect(timeline).to_contain_text(f"{who} approved")
    expect(timeline).to_contain_text("Request approved; the record is now Approved")
    expect(page.locator("#flow-panel").get_by_role("button")).to_have_count(0)

    page.goto("/requests")
    request = page.locator(".flow-request").filter(has_text="机电安装合同")
    expect(request).to_contain_text("3 of 3 steps approved")

    page.goto(record_url + "/edit")  # approved: the amount is shown, not offered for change
    expect(page.locator("#value-amount")).to_have_text("¥6,000,000.00")
    expect(page.locator("#f-amount")).to_have_count(0)


def test_a_rejected_contract_is_a_draft_again_with_the_reason_in_its_timeline(
    page: Page, new_page: Callable[..., Page], login, crm: Crm, users: UserStore
) -> None:
    crm.customer("万科华东", owner=people(users))
    director = new_page()
    login(director, "sales_director", name="director", team=TEAM)
    login(page, "commercial", name="coordinator", team=TEAM)
    new_contract(page, "幕墙工程合同", "万科华东", "6000000")
    record_url = page.url
    submit(page, "请审批")

    director.goto("/notifications")
    director.get_by_role("link", name="Contract 幕墙工程合同 awaits your decision.").click()
    panel = director.locator("#flow-panel")

    # A rejection without a reason is refused (422): the error shows by the comment box.
    panel.get_by_role("button", name="Reject").click()
    expect(director.locator("#flow-comment-error")).to_have_text("Say why in a comment.")
    expect(director.locator("#flow-comment")).to_have_attribute("aria-invalid", "true")
    expect(director.locator("#flow-state")).to_have_text("Pending approval")

    director.locator("#flow-comment").fill("付款条件不明确，请补充质保金比例")
    director.locator("#flow-panel").get_by_role("button", name="Reject").click()
    expect(director.locator("#flow-state")).to_have_text("Draft")
    expect(director.get_by_role("status").first).to_contain_text("Rejected.")

    page.goto(record_url)
    expect(page.locator("#flow-state")).to_have_text("Draft")
    timeline = page.locator("#flow-timeline")
    expect(timeline).to_contain_text("director rejected")
    expect(timeline).to_contain_text("付款条件不明确，请补充质保金比例")
    expect(
        page.locator("#flow-panel").get_by_role("button", name="Submit for approval")
    ).to_be_visible()
    page.goto("/notifications")
    expect(page.locator("#notifications")).to_contain_text(
        "director rejected your request for Contract 幕墙工程合同."
    )


def test_the_inbox_works_on_a_phone(
    new_page: Callable[..., Page], login, crm: Crm, users: UserStore, runtime
) -> None:
    customer = crm.customer("华润置地", owner=people(users))
    phone = new_page(viewport={"width": 390, "height": 844})
    login(phone, "sales_director", name="director", team=TEAM)
    coordinator = users.create("coordinator", "coordinator", PASSWORD, ["commercial"], team=TEAM)
    contract = runtime.records.create(
        "contract",
        {
            "name": "弱电合同",
            "customer": customer.id,
            "contract_type": "系统集成",
            "amount": 800000,
        },
        user=coordinator.actor(),
    )
    runtime.flows.submit("contract", contract.id, coordinator.actor())

    phone.get_by_role("link", name="Inbox", exact=True).click()
    card = phone.locator(".flow-task").filter(has_text="弱电合同")
    approve = card.get_by_role("button", name="Approve")
    expect(approve).to_be_in_viewport()
    box = approve.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390  # nothing off the screen
    approve.click()
    expect(card).to_contain_text("Approved.")
    assert runtime.records.get("contract", contract.id)["status"] == "approved"
