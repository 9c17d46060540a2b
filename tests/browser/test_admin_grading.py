"""An admin changes the scorecard without code, in a real browser: lowers the A threshold in
the grading editor, sees in the preview which customers would move from B to A, by name,
publishes, and the customer list shows the new grades while each grade history names the
config change; then rolls back to the revision before, and every grade returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from formwork.auth import UserStore
from formwork.overlay import Overlay
from formwork.runtime import Runtime
from tests.app_fixtures import PASSWORD, Crm
from tests.browser.guide_shots import guide_shot
from tests.crm_scores import GRADING_INPUTS

#: Customers whose scores are known under the package's scorecard (A from 80, B from 60).
CUSTOMERS = {
    f"{name} {kind}": GRADING_INPUTS[name]
    for name, kind in (("Alder", "Works"), ("Birch", "Bridges"), ("Cedar", "Civil"))
}


def grade_in_list(page: Page, name: str) -> Any:
    return page.get_by_role("row").filter(has_text=name)


def test_the_admin_lowers_the_a_threshold_publishes_and_rolls_back(
    page: Page, login: Callable[..., Any], crm: Crm, users: UserStore, runtime: Runtime
) -> None:
    manager = users.create("manager", "Manager", PASSWORD, ["account_manager"])
    for name, values in CUSTOMERS.items():
        crm.customer(name, owner=manager, **values)
    # An earlier revision of the site, to roll back to: a label only.
    runtime.site.save_draft(
        Overlay().set("entities/customer/fields/notes/label/en", "Remarks", base="Notes"), None
    )
    runtime.site.publish(None, "Call notes remarks")
    login(page, "admin")

    # The grading editor saves each change in the draft as it is made.
    page.goto("/admin/config/gradings/customer_grade")
    threshold = page.get_by_role("group", name="Grade A").get_by_label("Minimum score")
    expect(threshold).to_have_value("80")
    threshold.fill("62")
    threshold.press("Tab")
    expect(page.get_by_role("group", name="Grade A")).to_contain_text("Changed")

    page.goto("/admin/config/preview")
    expect(page.locator("#moves-customer_grade")).to_have_text("2 Customers move B → A")
    movers = page.locator("#movers-customer_grade")
    expect(movers).to_contain_text("Alder Works")
    expect(movers).to_contain_text("Birch Bridges")
    expect(movers).not_to_contain_text("Cedar Civil")
    guide_shot(page, "admin-preview")
    page.get_by_label("What is this change for?").fill("Lower the A threshold to 62")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#page-title")).to_have_text("Revision 2 is live")
    expect(page.locator("#publish-regraded")).to_contain_text("B → A: 2")

    page.goto("/r/customer/")
    expect(grade_in_list(page, "Alder Works")).to_contain_text("A –")
    expect(grade_in_list(page, "Birch Bridges")).to_contain_text("A –")
    expect(grade_in_list(page, "Cedar Civil")).to_contain_text("C –")
    grade_in_list(page, "Alder Works").get_by_role("link").first.click()
    expect(page.locator("#grade-customer_grade-history")).to_contain_text(
        "Config revision 2: Lower the A threshold to 62"
    )

    page.goto("/admin/config/revisions")
    expect(page.locator("#revision-2")).to_contain_text("Lower the A threshold to 62")
    expect(page.locator("#revision-2-diff")).to_contain_text("grade=A/min_score")
    page.locator("#rollback-1").click()
    expect(page.locator("#moves-customer_grade")).to_have_text("2 Customers move A → B")
    page.get_by_role("button", name="Roll back to revision 1").click()
    expect(page.locator("#page-title")).to_have_text("Revision 3 is live")

    page.goto("/r/customer/")
    expect(grade_in_list(page, "Alder Works")).to_contain_text("B –")
    expect(grade_in_list(page, "Birch Bridges")).to_contain_text("B –")
    expect(grade_in_list(page, "Cedar Civil")).to_contain_text("C –")
    page.goto("/admin/config/gradings/customer_grade")
    expect(page.get_by_role("group", name="Grade A").get_by_label("Minimum score")).to_have_value(
        "80"
    )
