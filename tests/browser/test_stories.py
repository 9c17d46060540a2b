"""What business users do all day, in a real browser: create a record and fix what the form
refuses, narrow and sort a list, watch the grade follow what they type, drag a card across a
board, and work on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PHONE = {"width": 390, "height": 844}


def test_a_new_customer_is_saved_once_the_form_errors_are_fixed(page: Page, login) -> None:
    login(page, "commercial")
    page.goto("/r/customer/")
    page.locator("#new-record").click()
    page.locator("#f-name").fill("华东建设集团")
    page.locator("#save").click()

    expect(page.locator("#err-customer_type")).to_contain_text("required")
    expect(page.locator("#f-customer_type")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-name")).to_have_value("华东建设集团")  # nothing typed is lost

    page.locator("#f-customer_type").select_option("开发商")
    page.locator("#f-website").fill("not a web address")
    page.locator("#f-website").blur()  # checked as the user leaves the field
    expect(page.locator("#err-website")).not_to_be_empty()
    page.locator("#f-website").fill("https://example.com")
    page.locator("#save").click()

    expect(page.locator("#page-title")).to_have_text("华东建设集团")
    expect(page.get_by_role("status").first).to_contain_text("created")


def test_a_list_is_narrowed_sorted_and_the_url_follows(page: Page, login, crm) -> None:
    user = login(page, "admin")
    crm.customer("北方建设", owner=user, region="华北")
    crm.customer("东方设计", owner=user, region="华东")
    crm.customer("南方工程", owner=user, region="华南")
    page.goto("/r/customer/")
    expect(page.locator("#list-count")).to_have_text("3 records")

    page.locator("#list-q").fill("设计")
    expect(page.locator("#list-count")).to_have_text("1 record")
    expect(page).to_have_url(re.compile(r"q=%E8%AE%BE%E8%AE%A1"))
    page.locator("#list-q").fill("")
    expect(page.locator("#list-count")).to_have_text("3 records")

    page.locator("label[for=f-region-1]").click()  # 华北
    page.locator("label[for=f-region-2]").click()  # and 华东
    expect(page.locator("#list-count")).to_have_text("2 records")
    expect(page).to_have_url(re.compile(r"region="))

    page.locator("#col-name a").click()
    expect(page.locator("#col-name")).to_have_attribute("aria-sort", "ascending")
    page.locator("#col-name a").click()
    expect(page.locator("#col-name")).to_have_attribute("aria-sort", "descending")
    page.go_back()  # the back button restores the previous state of the list
    expect(page.locator("#col-name")).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#list-count")).to_have_text("2 records")

    page.reload()  # and the URL alone brings it back: bookmarkable
    expect(page.locator("#col-name")).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#list-count")).to_have_text("2 records")


def test_the_grade_preview_follows_what_the_user_types(page: Page, login) -> None:
    login(page, "commercial")
    page.goto("/r/customer/new")
    page.locator("#f-name").fill("远景设计院")
    page.locator("#f-customer_type").select_option("设计院")
    expect(page.locator("#preview-customer_grade")).to_contain_text("C")

    for rating in ("complexity", "strategic_value", "potential"):
        page.locator(f"label[for=f-{rating}-5]").click()
    page.locator("#f-cooperation_years").fill("10")
    page.locator("#f-payment_record label", has_text="Good").click()

    # 3.5 + 15 + 20 + 15 + 15 = 68.5 points: a B, before anything is saved
    expect(page.locator("#preview-customer_grade")).to_contain_text("B")
    expect(page.locator("#preview-customer_grade")).to_contain_text("68.50")


def test_dragging_a_card_moves_the_record_through_its_rules(
    page: Page, login, crm, runtime, page_watch
) -> None:
    user = login(page, "admin")
    customer = crm.customer("北方建设", owner=user, region="华北")
    page.goto("/r/customer/board?by=region")
    page.locator(f"#card-{customer.id}").drag_to(page.locator("section[data-value='华东']"))
    expect(page.locator("#board-message")).to_have_text("Moved 北方建设 to East.")
    expect(page.locator("section[data-value='华东'] .board-card")).to_have_count(1)
    assert runtime.records.get("customer", customer.id)["region"] == "华东"

    # Someone else moves it meanwhile: the drag is refused and the card shows where it is.
    current = runtime.records.get("customer", customer.id)
    runtime.records.update("customer", customer.id, {"region": "西南"}, current.version)
    page_watch.allow("htmx:responseError")
    page.locator(f"#card-{customer.id}").drag_to(page.locator("section[data-value='华北']"))
    expect(page.locator("#board-message")).to_contain_text("Someone else changed")
    expect(page.locator("section[data-value='西南'] .board-card")).to_have_count(1)
    assert runtime.records.get("customer", customer.id)["region"] == "西南"


def test_lists_forms_and_records_fit_a_phone(new_page, login, crm) -> None:
    page = new_page(viewport=PHONE)
    user = login(page, "admin")
    customer = crm.customer("华南工程有限公司", owner=user, region="华南", website="https://a.cn")
    for path in ("/", "/r/customer/", f"/r/customer/{customer.id}", "/r/customer/new"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)  # no sideways scrolling of the page
