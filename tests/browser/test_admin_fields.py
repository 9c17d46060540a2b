"""An admin adds a field without code, in a real browser: a required WeChat field with a
default on customers (which already have data), published through the preview page; the
existing customers get the default, and an account manager sees it on the forms and changes
it. Removing the field later archives its
column, and rolling back brings the column and its values back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.app_fixtures import Crm


def publish(page: Page, message: str, number: int) -> None:
    """Publish the draft through the preview page."""
    page.goto("/admin/config/preview")
    page.get_by_label("What is this change for?").fill(message)
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#page-title")).to_have_text(f"Revision {number} is live")


def test_the_admin_adds_a_required_field_publishes_removes_it_and_rolls_back(
    page: Page, new_page: Callable[..., Page], login: Callable[..., Any], crm: Crm
) -> None:
    admin_page, user_page = page, new_page()
    login(admin_page, "admin")
    manager = login(user_page, "account_manager")
    customer = crm.customer("Alder Works", owner=manager)

    # The admin adds the field; it lands in the draft, on the form's first section.
    admin_page.goto("/admin/config/entities/customer/fields")
    form = admin_page.locator("#add-field")
    form.get_by_label("Name").fill("wechat")
    form.get_by_label("Type").select_option("text")
    admin_page.locator("#new-label-zh").fill("微信")
    admin_page.locator("#new-label-en").fill("WeChat")
    form.get_by_label("Required").check()
    form.get_by_label("Default value").fill("unknown")
    form.get_by_label("Form section").select_option(label="Basics")
    form.get_by_role("button", name="Add the field to the draft").click()
    expect(admin_page.locator("h1")).to_contain_text("WeChat")
    expect(admin_page.locator("#placement")).to_contain_text("Basics")
    expect(admin_page.locator("#draft-status")).to_contain_text("change")

    # Live validation while editing: a too-long limit is kept, with its problem beside it.
    limit = admin_page.get_by_label("max_length")
    limit.fill("0")
    limit.press("Tab")
    expect(
        admin_page.locator("#p-entities-customer-fields-wechat-max_length-error")
    ).to_be_visible()
    expect(limit).to_have_attribute("aria-invalid", "true")
    limit.fill("40")
    limit.press("Tab")
    expect(admin_page.locator("#p-entities-customer-fields-wechat-max_length-error")).to_have_count(
        0
    )

    # Until it is published, business users do not see it.
    user_page.goto(f"/r/customer/{customer.id}/edit")
    expect(user_page.get_by_label("WeChat")).to_have_count(0)
    publish(admin_page, "Record the customers' WeChat accounts", 1)

    # Published: a new customer starts with the default, and the existing one got it too.
    user_page.goto("/r/customer/new")
    expect(user_page.get_by_label("WeChat")).to_have_value("unknown")
    user_page.goto(f"/r/customer/{customer.id}/edit")
    wechat = user_page.get_by_label("WeChat")
    expect(wechat).to_have_value("unknown")
    wechat.fill("alder_wx")
    user_page.locator("#save").click()
    expect(user_page.locator("#page-title")).to_have_text("Alder Works")
    expect(user_page.locator("main")).to_contain_text("alder_wx")

    # Later the admin removes the field: its column is archived on publish.
    admin_page.goto("/admin/config/entities/customer/fields/wechat")
    admin_page.get_by_role("button", name="Remove the field").click()
    expect(admin_page.locator("#field-table")).not_to_contain_text("wechat")
    publish(admin_page, "No more WeChat", 2)
    user_page.goto(f"/r/customer/{customer.id}")
    expect(user_page.locator("main")).not_to_contain_text("alder_wx")

    # Rolling back to revision 1 brings the column back with its values.
    admin_page.goto("/admin/config/revisions")
    admin_page.locator("#rollback-1").click()
    admin_page.get_by_role("button", name="Roll back to revision 1").click()
    expect(admin_page.locator("#page-title")).to_have_text("Revision 3 is live")
    user_page.goto(f"/r/customer/{customer.id}")
    expect(user_page.locator("main")).to_contain_text("alder_wx")


def test_the_formula_editor_checks_as_the_admin_types_and_evaluates_on_a_record(
    page: Page, login: Callable[..., Any], crm: Crm
) -> None:
    login(page, "admin")
    customer = crm.customer("Birch Bridges")
    crm.contact("Wang", customer, is_primary=True)
    page.goto("/admin/config/entities/contact/fields/email")
    condition = page.get_by_label("Shown only when")
    check = page.locator("#p-entities-contact-fields-email-visible_when-check")
    condition.fill("is_primry")
    expect(check).to_contain_text("Did you mean 'is_primary'?")
    condition.fill("is_primary and customer.name != ''")
    expect(check).to_contain_text("gives true or false")

    evaluate = page.locator("#p-entities-contact-fields-email-visible_when-evaluate")
    evaluate.locator("summary").click()
    evaluate.get_by_role("combobox").fill("Wang")
    evaluate.get_by_role("option", name="Wang").click()
    evaluate.get_by_role("button", name="Evaluate").click()
    expect(evaluate.locator("output")).to_have_text("On Wang: true")

    # Leaving the input saves the condition in the draft; the picked record stays picked.
    condition.press("Tab")
    expect(page.locator("#draft-status")).to_contain_text("1 change")
    expect(evaluate.locator("output")).to_have_text("On Wang: true")
