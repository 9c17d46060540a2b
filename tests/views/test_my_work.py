"""The home page, "my work": the user's to-dos of the week, their approval tasks, shortcuts;
done and snooze as POSTs (htmx or plain), only on the user's own to-dos."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from formwork.reminders import Reminders
from formwork.runtime import Runtime
from tests.app_fixtures import Crm
from tests.pages import Page
from tests.views.conftest import SignedIn

HTMX = {"HX-Request": "true"}


class Desk:
    """An account manager with three to-dos — a receivable overdue, a contact's birthday
    today, a receivable due next week — and a finance user who shares the receivables'."""

    def __init__(self, as_role: Callable[..., SignedIn], crm: Crm, runtime: Runtime) -> None:
        self.runtime = runtime
        self.reminders = Reminders(runtime.records)
        self.today = self.reminders.today()
        self.manager = as_role("account_manager", name="wang")
        self.finance = as_role("finance", name="zhao")
        customer = crm.customer("华东建工", owner=self.manager.user)
        crm.contact("李工", customer, birthday=f"1980-{self.today:%m-%d}")
        contract = runtime.records.create(
            "contract",
            {"name": "一期总包", "customer": customer.id, "contract_type": "专业分包", "amount": 9},
        )
        for days in (-3, 10):  # overdue since 3 days; due in 10 days (to-do 7 days before)
            runtime.records.create(
                "receivable",
                {
                    "contract": contract.id,
                    "installment": "进度款",
                    "planned_amount": 100,
                    "planned_on": (self.today + dt.timedelta(days=days)).isoformat(),
                },
            )
        self.reminders.generate()

    def todo_ids(self, client: SignedIn) -> dict[str, int]:
        """The user's to-dos of the week, by reminder."""
        todos = self.reminders.todos.due(client.user.id, self.today)
        return {t.rule: t.id for t in todos}


@pytest.fixture
def desk(as_role: Callable[..., SignedIn], crm: Crm, runtime: Runtime) -> Desk:
    return Desk(as_role, crm, runtime)


def home(client: SignedIn) -> Page:
    response = client.get("/")
    assert response.status_code == 200
    return Page(response.get_data(as_text=True))


def test_the_week_is_overdue_first_then_today_then_the_next_days(desk: Desk) -> None:
    page = home(desk.manager)
    ids = desk.todo_ids(desk.manager)
    assert [key for key in ("todos-overdue", "todos-today", "todos-soon") if key in page.ids] == [
        "todos-overdue",
        "todos-today",
        "todos-soon",
    ]
    assert "overdue" in page.text(f"todo-{ids['receivable_overdue']}")
    assert "李工" in page.text(f"todo-{ids['contact_birthday']}-title")
    soon = page.text(f"todo-{ids['receivable_due_soon']}")
    assert "falls due on" in soon
    assert page.text("todo-count").startswith("2"), "overdue and today's are due"


def test_each_todo_links_to_its_record_and_offers_done_and_snooze(desk: Desk) -> None:
    page = home(desk.manager)
    todo = desk.todo_ids(desk.manager)["contact_birthday"]
    actions = {f.action for f in page.forms if f.method == "post"}
    assert {f"/todos/{todo}/done", f"/todos/{todo}/snooze"} <= actions
    form = page.form(f"/todos/{todo}/done")
    assert form.fields["csrf_token"]
    todos = desk.reminders.todos.due(desk.manager.user.id, desk.today)
    (contact_id,) = [t.record_id for t in todos if t.rule == "contact_birthday"]
    assert f'href="/r/contact/{contact_id}"' in desk.manager.get("/").get_data(as_text=True)


def test_finance_sees_the_receivables_but_not_the_birthday(desk: Desk) -> None:
    assert set(desk.todo_ids(desk.finance)) == {"receivable_overdue", "receivable_due_soon"}
    page = home(desk.finance)
    assert not any(i.startswith("todo-") and "李工" in page.text(i) for i in page.ids)


def test_a_user_without_todos_is_told_so(as_role) -> None:
    page = home(as_role("tech_support"))
    assert "no-todos" in page.ids
    assert page.text("todo-count") == "0 to-dos due"


def test_done_with_a_plain_form_goes_back_home_with_a_notice(desk: Desk) -> None:
    todo = desk.todo_ids(desk.manager)["contact_birthday"]
    response = desk.manager.post_form(f"/todos/{todo}/done")
    assert response.status_code == 302 and response.location == "/"
    html = desk.manager.get("/").get_data(as_text=True)
    assert "Done: Birthday of 李工" in html
    page = Page(html)
    assert f"todo-{todo}" not in page.ids
    assert page.text("todo-count").startswith("1")


def test_done_with_htmx_replaces_the_todo_and_the_count(desk: Desk) -> None:
    todo = desk.todo_ids(desk.manager)["receivable_overdue"]
    response = desk.manager.post_form(f"/todos/{todo}/done", headers=HTMX)
    assert response.status_code == 200
    answer = Page(response.get_data(as_text=True))
    assert answer.text(f"todo-{todo}").startswith("Done: Receivable")
    assert answer.text("todo-count").startswith("1")
    assert 'hx-swap-oob="true"' in response.get_data(as_text=True)
    assert desk.reminders.todos.get(desk.manager.user.id, todo) is None


def test_snooze_moves_a_todo_to_next_week(desk: Desk) -> None:
    todo = desk.todo_ids(desk.manager)["receivable_overdue"]
    response = desk.manager.post_form(f"/todos/{todo}/snooze", headers=HTMX)
    assert "Snoozed for a week" in Page(response.get_data(as_text=True)).text(f"todo-{todo}")
    snoozed = desk.reminders.todos.get(desk.manager.user.id, todo)
    assert snoozed is not None and snoozed.shows_on == desk.today + dt.timedelta(days=7)
    page = home(desk.manager)
    assert "todos-overdue" not in page.ids
    assert "snoozed" in page.text(f"todo-{todo}")


@pytest.mark.parametrize("action", ["done", "snooze"])
def test_someone_elses_todo_is_not_found(desk: Desk, action: str) -> None:
    theirs = desk.todo_ids(desk.finance)["receivable_overdue"]
    assert desk.manager.post_form(f"/todos/{theirs}/{action}").status_code == 404
    assert desk.manager.post_form(f"/todos/{theirs}/{action}", headers=HTMX).status_code == 404
    assert desk.reminders.todos.get(desk.finance.user.id, theirs) is not None, "untouched"


@pytest.mark.parametrize("path", ["/todos/999999/done", "/todos/0/snooze"])
def test_an_unknown_todo_is_not_found(desk: Desk, path: str) -> None:
    assert desk.manager.post_form(path).status_code == 404


def test_a_done_todo_cannot_be_done_again(desk: Desk) -> None:
    todo = desk.todo_ids(desk.manager)["contact_birthday"]
    assert desk.manager.post_form(f"/todos/{todo}/done").status_code == 302
    assert desk.manager.post_form(f"/todos/{todo}/done").status_code == 404


def test_actions_need_the_csrf_token_and_a_post(desk: Desk) -> None:
    todo = desk.todo_ids(desk.manager)["contact_birthday"]
    assert desk.manager.post(f"/todos/{todo}/done").status_code == 400
    assert desk.manager.get(f"/todos/{todo}/done").status_code == 405
    assert desk.reminders.todos.get(desk.manager.user.id, todo) is not None


def test_approval_tasks_show_with_a_link_to_the_inbox(as_role, crm: Crm, runtime: Runtime) -> None:
    director = as_role("sales_director", name="director", team="east")
    commercial = as_role("commercial", name="coordinator", team="east")
    customer = crm.customer("中建八局", owner=as_role("account_manager", team="east").user)
    contract = runtime.records.create(
        "contract",
        {
            "name": "机电安装合同",
            "customer": customer.id,
            "contract_type": "专业分包",
            "amount": 300_000,
        },
        user=commercial.user.actor(),
    )
    submitted = commercial.post_form(f"/r/contract/{contract.id}/flow/submit", {"from": "record"})
    assert submitted.status_code == 303
    page = home(director)
    assert page.text("tasks-summary") == "1 task awaits your decision"
    assert "机电安装合同" in page.text("my-tasks")
    assert "open-inbox" in page.ids
    assert home(commercial).text("my-tasks") == "Nothing awaits your decision."


def test_shortcuts_offer_new_records_only_where_the_user_may_create(as_role) -> None:
    manager = home(as_role("account_manager"))
    assert "new-customer" in manager.ids and "count-customer" in manager.ids
    assert "new-receivable" not in manager.ids and "count-receivable" in manager.ids
    executive = home(as_role("executive"))
    assert {i for i in executive.ids if i.startswith("new-")} == {"new-visit"}
