"""One story per role of the reference app, in a real browser: what each person comes to do.

Everyone starts on "my work", with the to-dos the reminders made; the account manager logs
a visit and watches the customer's health recover; finance works the overdue receivables
list; the director reads the funnel and opens the deals in bid review; the admin reads why a
customer is an A. With `GUIDE_SHOTS` set, the stories also
take the screenshots of docs/guide.md.
"""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect

from formwork.reminders import Reminders
from tests.browser.guide_shots import guide_shot


def test_my_work_shows_the_to_dos_the_reminders_made_and_done_clears_one(
    page: Page, login, crm, runtime
) -> None:
    manager = login(page, "account_manager", name="zhang")
    customer = crm.customer("华东建工集团", owner=manager)
    contract = runtime.records.create(
        "contract",
        {"name": "一期总包", "customer": customer.id, "contract_type": "施工总承包", "amount": 9e5},
    )
    for installment, days_from_now in (("预付款", -12), ("进度款", 3)):
        runtime.records.create(
            "receivable",
            {
                "contract": contract.id,
                "installment": installment,
                "planned_amount": 300000,
                "planned_on": (dt.date.today() + dt.timedelta(days=days_from_now)).isoformat(),
            },
        )
    Reminders(runtime.records).generate()  # what formwork tick does

    page.goto("/")
    # Both are late to act on: one receivable is overdue, the other's week of notice began
    # four days ago.
    todos = page.locator("li.todo.overdue")
    expect(todos).to_have_count(2)
    late = todos.filter(has_text="is overdue")
    expect(todos.filter(has_text="falls due on")).to_have_count(1)
    expect(page.locator("#todo-count")).to_have_text(re.compile(r"^2\b"))
    guide_shot(page, "my-work")

    late.get_by_role("button", name="Done").click()
    expect(page.locator("li.todo.overdue")).to_have_count(1)
    expect(page.locator("#todo-count")).to_have_text(re.compile(r"^1\b"))


def test_the_account_manager_logs_a_visit_and_the_health_score_recovers(
    page: Page, login, crm
) -> None:
    manager = login(page, "account_manager", name="zhang")
    customer = crm.customer("远景设计院", owner=manager, customer_type="设计院")
    # Never visited: visits give 0 of their 30 points, the rest is full (25 + 25 + 16).
    page.goto(f"/r/customer/{customer.id}")
    expect(page.locator("#field-health_score")).to_have_text("66.00")
    expect(page.locator("#field-health")).to_have_text("Watch")
    guide_shot(page, "account-manager-customer")

    page.locator("#related-visits-new").click()
    expect(page.locator("#f-customer")).to_have_value("远景设计院")  # filled in from the customer
    page.locator("#f-subject").fill("年度合作回顾")
    page.locator("#f-visit_type").select_option("高层拜访")
    page.locator("#f-summary").fill("回顾全年合作，约定明年二期方案交流。")
    guide_shot(page, "account-manager-visit")
    page.locator("#save").click()
    expect(page.get_by_role("status").first).to_contain_text("created")

    page.goto(f"/r/customer/{customer.id}")
    expect(page.locator("#field-last_visit_on")).to_contain_text(dt.date.today().isoformat())
    expect(page.locator("#field-health_score")).to_have_text("96.00")
    expect(page.locator("#field-health")).to_have_text("Healthy")
    expect(page.locator("#related-visits")).to_contain_text("年度合作回顾")


def test_finance_works_the_overdue_receivables_list(page: Page, login, crm, runtime, users) -> None:
    login(page, "finance", name="li")
    manager = users.create("zhang", "Zhang Wei", "irrelevant password", ["account_manager"])
    customer = crm.customer("华东建工集团", owner=manager)
    contract = runtime.records.create(
        "contract",
        {
            "name": "一期总包",
            "customer": customer.id,
            "contract_type": "施工总承包",
            "amount": 900000,
        },
    )
    today = dt.date.today()
    for installment, amount, days_late in (("预付款", 300000, 45), ("进度款", 200000, 10)):
        runtime.records.create(
            "receivable",
            {
                "contract": contract.id,
                "installment": installment,
                "planned_amount": amount,
                "planned_on": (today - dt.timedelta(days=days_late)).isoformat(),
            },
        )
    runtime.records.create(
        "receivable",
        {
            "contract": contract.id,
            "installment": "验收款",
            "planned_amount": 400000,
            "planned_on": (today + dt.timedelta(days=30)).isoformat(),
        },
    )

    page.goto("/r/receivable/")
    page.locator("label", has_text="Overdue").first.click()
    expect(page.locator("#list-count")).to_have_text("2 records")
    expect(page).to_have_url(re.compile(r"state="))
    rows = page.locator("#records tbody tr")
    expect(rows.first).to_contain_text("45")  # the longest overdue comes first
    guide_shot(page, "finance-overdue")

    rows.first.get_by_role("link").first.click()
    page.locator("#action-edit").click()
    page.locator("#f-received_amount").fill("300000")
    page.locator("#save").click()
    expect(page.locator("#err-received_on")).not_to_be_empty()  # a payment needs its date
    page.locator("#f-received_on").fill(today.isoformat())
    page.locator("#save").click()
    expect(page.locator("#field-state")).to_have_text("Paid")

    page.goto("/r/receivable/?state=已逾期")
    expect(page.locator("#list-count")).to_have_text("1 record")


def test_the_director_reads_the_funnel_and_opens_the_deals_in_bid_review(
    page: Page, login, crm, runtime, users
) -> None:
    login(page, "sales_director", name="zhao", team="华东")
    mine = users.create(
        "zhang", "Zhang Wei", "irrelevant password", ["account_manager"], team="华东"
    )
    other = users.create("liu", "Liu Yang", "irrelevant password", ["account_manager"], team="华南")
    for owner, stages in ((mine, ["投标评审", "投标评审", "方案报价"]), (other, ["投标评审"])):
        customer = crm.customer(f"{owner.display_name}的客户", owner=owner)
        for n, stage in enumerate(stages):
            runtime.records.create(
                "opportunity",
                {
                    "name": f"{owner.display_name} 项目{n}",
                    "customer": customer.id,
                    "stage": stage,
                    "expected_amount": 1_000_000,
                    "expected_close_on": "2027-03-31",
                },
            )

    page.goto("/d/sales")
    funnel = page.locator("section[data-kind=funnel]")
    bid_review = funnel.get_by_role("link", name=re.compile(r"^Bid review: "))
    expect(bid_review).to_have_attribute("data-count", "2")  # his team's only
    guide_shot(page, "director-dashboard")

    bid_review.click()
    expect(page).to_have_url(re.compile(r"/r/opportunity/\?.*stage="))
    expect(page.locator("#list-count")).to_have_text("2 records")
    expect(page.locator("#records")).not_to_contain_text("Liu Yang")
    guide_shot(page, "director-bid-review")


def test_the_admin_reads_why_a_customer_is_grade_a(page: Page, login, crm) -> None:
    login(page, "admin", name="admin")
    customer = crm.customer(
        "中建华北工程局",
        customer_type="总承包商",
        annual_amount=25_000_000,
        complexity=4,
        strategic_value=5,
        potential=4,
        cooperation_years=6,
        payment_record="良好",
    )
    page.goto(f"/r/customer/{customer.id}")
    panel = page.locator("#grade-customer_grade")
    expect(panel.locator("#grade-customer_grade-value")).to_contain_text("A")
    expect(panel.locator("#grade-customer_grade-strategy")).to_contain_text(
        "Dedicated account team"
    )
    explanation = panel.locator("#grade-customer_grade-explanation")
    expect(explanation.locator("tbody tr")).to_have_count(5)
    expect(explanation).to_contain_text("Contract value")
    # 100×.35 + 80×.15 + 100×.20 + (36+40)×.15 + 80×.15 = 90.4 points: an A on the score alone
    expect(panel.locator("#grade-customer_grade-score")).to_have_text("90.4")
    guide_shot(page, "admin-grade-explanation")
