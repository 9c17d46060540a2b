"""Record pages in a real browser: lists link to details, and row scopes hold."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


def row_of(page: Page, text: str) -> Locator:
    return page.get_by_role("row").filter(has_text=text)


def test_the_list_shows_a_customer_whose_detail_opens_from_it(page: Page, login, crm) -> None:
    user = login(page, "account_manager")
    customer = crm.customer("华东建工集团", owner=user)
    page.goto("/r/customer/")
    expect(row_of(page, "华东建工集团")).to_be_visible()
    row_of(page, "华东建工集团").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/r/customer/{customer.id}$"))
    expect(page.locator("#page-title")).to_have_text("华东建工集团")


def test_a_manager_does_not_see_another_managers_customer_in_the_list(
    page: Page, login, crm, users
) -> None:
    user = login(page, "account_manager")
    other = users.create("wang", "Wang", "irrelevant password", ["account_manager"])
    crm.customer("我的客户", owner=user)
    crm.customer("别人的客户", owner=other)
    page.goto("/r/customer/")
    expect(row_of(page, "我的客户")).to_be_visible()
    expect(row_of(page, "别人的客户")).to_have_count(0)


def test_another_managers_customer_by_url_is_not_found(page: Page, login, crm, users) -> None:
    login(page, "account_manager")
    other = users.create("wang", "Wang", "irrelevant password", ["account_manager"])
    customer = crm.customer("别人的客户", owner=other)
    response = page.goto(f"/r/customer/{customer.id}")
    assert response is not None and response.status == 404
    expect(page.locator("#page-title")).to_have_text("Not found")
    expect(page.get_by_text("别人的客户")).to_have_count(0)
