"""The approval pages over the reference app's contract approval: the record's flow panel,
the inbox, "my requests", notifications and every action as a POST — with buttons only for
actions the user may take, errors next to the comment box, and one transition however many
times (or by how many approvers) a task is decided."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.flows.tables import TASK_TABLE
from formwork.runtime import Runtime
from formwork.store.records import Record
from tests.app_fixtures import Crm
from tests.pages import Page
from tests.views.conftest import SignedIn

HTMX = {"HX-Request": "true"}


class Office:
    """The people of one sales team, each signed in, and contracts of theirs."""

    def __init__(self, as_role: Callable[..., SignedIn], crm: Crm, runtime: Runtime) -> None:
        self.crm, self.runtime = crm, runtime
        self.manager = as_role("account_manager", name="manager", team="east")
        self.commercial = as_role("commercial", name="coordinator", team="east")
        self.director = as_role("sales_director", name="director", team="east")
        self.finance = as_role("finance", name="finance", team="east")
        self.executive = as_role("executive", name="executive", team="east")
        self.customer = crm.customer("中建八局", owner=self.manager.user)

    def contract(self, amount: int = 6_000_000, name: str = "机电安装合同") -> Record:
        values = {
            "name": name,
            "customer": self.customer.id,
            "contract_type": "专业分包",
            "amount": amount,
        }
        return self.runtime.records.create("contract", values, user=self.commercial.user.actor())

    def submitted(self, amount: int = 6_000_000, name: str = "机电安装合同") -> Record:
        record = self.contract(amount, name)
        response = self.commercial.post_form(self.flow_url(record, "submit"), {"from": "record"})
        assert response.status_code == 303
        return record

    def status(self, record: Record) -> str:
        return self.runtime.records.get("contract", record.id)["status"]

    def task_of(self, client: SignedIn) -> int:
        (task,) = self.runtime.flows.tasks_for(client.user.actor())
        return task.id

    def events(self, record: Record, action: str) -> list[Any]:
        entries = self.runtime.flows.timeline("contract", record.id, self.commercial.user.actor())
        return [e for e in entries if e.action == action]

    @staticmethod
    def flow_url(record: Record, action: str) -> str:
        return f"/r/contract/{record.id}/flow/{action}"


@pytest.fixture
def office(as_role: Callable[..., SignedIn], crm: Crm, runtime: Runtime) -> Office:
    return Office(as_role, crm, runtime)


def page(client: SignedIn, path: str) -> Page:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return Page(response.get_data(as_text=True))


def decide(client: SignedIn, task: int, action: str, comment: str = "", **kwargs: Any) -> Any:
    data = {"comment": comment, "from": "inbox"}
    return client.post_form(f"/tasks/{task}/{action}", data, **kwargs)


def buttons(html_page: Page, prefix: str) -> set[str]:
    actions = ("submit", "approve", "reject", "return", "withdraw")
    return {a for a in actions if f"{prefix}-{a}" in html_page.ids}


# -- the record's page ---------------------------------------------------------------------------


def test_the_record_page_offers_submitting_to_the_submitting_role_only(office: Office) -> None:
    draft = office.contract()
    mine = page(office.commercial, f"/r/contract/{draft.id}")
    assert mine.text("flow-state") == "Draft"
    assert buttons(mine, "flow") == {"submit"}
    assert mine.text("flow-timeline") == "Not submitted yet."
    owner = page(office.manager, f"/r/contract/{draft.id}")
    assert "flow-panel" in owner.ids and buttons(owner, "flow") == set()


def test_submitting_moves_the_contract_into_the_directors_inbox(office: Office) -> None:
    contract = office.contract()
    response = office.commercial.post_form(
        office.flow_url(contract, "submit"), {"from": "record", "comment": "请审批"}
    )
    assert response.status_code == 303 and response.location == f"/r/contract/{contract.id}"
    after = page(office.commercial, response.location)
    assert after.text("flow-state") == "Pending approval"
    assert "Submitted for approval." in after.text("main")
    assert buttons(after, "flow") == {"withdraw"}
    assert "coordinator submitted it for approval" in after.text("flow-timeline")
    assert "请审批" in after.text("flow-timeline")

    inbox = page(office.director, "/inbox")
    assert inbox.text("inbox-count").startswith("1")
    assert inbox.text("unread-count").startswith("1")
    (task,) = office.runtime.flows.tasks_for(office.director.user.actor())
    assert inbox.text(f"task-{task.id}-title") == "Contract 机电安装合同"
    assert buttons(inbox, f"task-{task.id}") == {"approve", "reject", "return"}


def test_the_approver_sees_the_buttons_on_the_record_page_and_others_do_not(
    office: Office,
) -> None:
    contract = office.submitted()
    assert buttons(page(office.director, f"/r/contract/{contract.id}"), "flow") == {
        "approve",
        "reject",
        "return",
    }
    for other in (office.finance, office.executive, office.manager):
        assert buttons(page(other, f"/r/contract/{contract.id}"), "flow") == set()


def test_a_decision_from_the_record_page_goes_back_to_it(office: Office) -> None:
    contract = office.submitted(amount=300_000)
    response = office.director.post_form(
        f"/tasks/{office.task_of(office.director)}/approve", {"from": "record"}
    )
    assert response.status_code == 303 and response.location == f"/r/contract/{contract.id}"
    assert office.status(contract) == "approved"
    timeline = page(office.commercial, f"/r/contract/{contract.id}").text("flow-timeline")
    assert "director approved" in timeline
    assert "Request approved; the record is now Approved" in timeline


def test_htmx_from_the_record_page_reloads_it_after_success(office: Office) -> None:
    contract = office.submitted(amount=300_000)
    task = office.task_of(office.director)
    response = office.director.post_form(f"/tasks/{task}/approve", {"from": "record"}, headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/r/contract/{contract.id}"


# -- the inbox -----------------------------------------------------------------------------------


def test_the_inbox_lists_overdue_tasks_first_with_their_due_time(
    office: Office, runtime: Runtime
) -> None:
    office.submitted(name="先提交")
    office.submitted(name="后提交")
    first, second = (t.id for t in runtime.flows.tasks_for(office.director.user.actor()))
    tasks = runtime.tables.system(TASK_TABLE)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    with runtime.db.write() as conn:
        conn.execute(tasks.update().where(tasks.c.id == second).values(due_at=past))

    inbox = office.director.get("/inbox").get_data(as_text=True)
    assert inbox.index(f'id="task-{second}"') < inbox.index(f'id="task-{first}"')
    shown = Page(inbox)
    assert "Overdue" in shown.text(f"task-{second}")
    assert "Overdue" not in shown.text(f"task-{first}")
    assert shown.text(f"task-{second}-due") == past.strftime("%Y-%m-%d %H:%M")
    assert shown.text("inbox-summary") == "2 tasks await your decision · 1 overdue"


def test_approving_from_the_inbox_hands_the_contract_to_finance(office: Office) -> None:
    contract = office.submitted()
    response = decide(office.director, office.task_of(office.director), "approve", "同意")
    assert response.status_code == 303 and response.location == "/inbox"
    inbox = page(office.director, "/inbox")
    assert "Approved." in inbox.text("main")
    assert inbox.text("tasks") == "Nothing awaits your decision."
    assert office.status(contract) == "pending"
    assert len(office.runtime.flows.tasks_for(office.finance.user.actor())) == 1


def test_htmx_from_the_inbox_replaces_the_card_and_the_count(office: Office) -> None:
    office.submitted()
    task = office.task_of(office.director)
    response = decide(office.director, task, "approve", headers=HTMX)
    assert response.status_code == 200
    answer = Page(response.get_data(as_text=True))
    assert answer.text(f"task-{task}").startswith("Approved.")
    assert 'id="inbox-count" hx-swap-oob="true"' in response.get_data(as_text=True)
    assert answer.text("inbox-count") == "0 open tasks"


@pytest.mark.parametrize(
    ("comment", "error"),
    [
        ("", "Say why in a comment."),
        ("   ", "Say why in a comment."),
        ("长" * 2001, "At most 2000 characters."),
    ],
)
@pytest.mark.parametrize("action", ["reject", "return"])
def test_reject_and_return_need_a_comment_shown_next_to_the_box(
    office: Office, action: str, comment: str, error: str
) -> None:
    contract = office.submitted()
    task = office.task_of(office.director)

    plain = decide(office.director, task, action, comment)
    assert plain.status_code == 422
    shown = Page(plain.get_data(as_text=True))
    assert shown.text("retry-comment-error") == error
    assert 'aria-invalid="true"' in plain.get_data(as_text=True)

    swapped = decide(office.director, task, action, comment, headers=HTMX)
    assert swapped.status_code == 422
    card = Page(swapped.get_data(as_text=True))
    assert card.text(f"task-{task}-comment-error") == error
    assert buttons(card, f"task-{task}") == {"approve", "reject", "return"}

    assert office.status(contract) == "pending"
    assert office.task_of(office.director) == task
    assert office.events(contract, action) == []


def test_a_rejection_returns_the_contract_to_draft_with_the_comment_in_its_timeline(
    office: Office,
) -> None:
    contract = office.submitted()
    response = decide(office.director, office.task_of(office.director), "reject", "价格过高")
    assert response.status_code == 303
    assert office.status(contract) == "draft"
    detail = page(office.commercial, f"/r/contract/{contract.id}")
    assert "director rejected" in detail.text("flow-timeline")
    assert "价格过高" in detail.text("flow-timeline")
    assert buttons(detail, "flow") == {"submit"}


# -- one transition, whoever clicks ------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_second_click_changes_nothing_and_says_who_decided(
    office: Office, headers: dict[str, str]
) -> None:
    contract = office.submitted()
    task = office.task_of(office.director)
    assert decide(office.director, task, "approve").status_code == 303
    again = decide(office.director, task, "approve", headers=headers)
    assert again.status_code == 409
    assert "This task was already approved by director." in again.get_data(as_text=True)
    assert len(office.events(contract, "approve")) == 1
    assert len(office.runtime.flows.tasks_for(office.finance.user.actor())) == 1


def test_two_directors_acting_at_once_give_one_decision(
    office: Office, as_role: Callable[..., SignedIn]
) -> None:
    deputy = as_role("sales_director", name="deputy", team="east")
    contract = office.submitted()
    mine, theirs = office.task_of(office.director), office.task_of(deputy)
    assert decide(office.director, mine, "approve").status_code == 303
    late = decide(deputy, theirs, "reject", "不同意", headers=HTMX)
    assert late.status_code == 409
    assert (
        Page(late.get_data(as_text=True))
        .text(f"task-{theirs}")
        .startswith("This task was already approved by director.")
    )
    assert office.status(contract) == "pending"
    assert office.events(contract, "reject") == []


def test_a_double_submit_is_refused_with_a_message(office: Office) -> None:
    contract = office.submitted()
    again = office.commercial.post_form(office.flow_url(contract, "submit"), {"from": "record"})
    assert again.status_code == 409
    assert "This record is already awaiting approval." in again.get_data(as_text=True)
    assert len(office.events(contract, "submit")) == 1


def test_a_refusal_on_the_record_page_shows_in_its_panel(office: Office) -> None:
    contract = office.submitted()
    task = office.task_of(office.director)
    decide(office.director, task, "approve")
    late = office.director.post_form(f"/tasks/{task}/approve", {"from": "record"}, headers=HTMX)
    assert late.status_code == 409
    panel = Page(late.get_data(as_text=True))
    assert "This task was already approved by director." in panel.text("flow-panel")
    assert buttons(panel, "flow") == set()
    assert "director approved" in panel.text("flow-timeline")

    refused = office.finance.post_form(
        f"/tasks/{office.task_of(office.finance)}/reject", {"from": "record"}, headers=HTMX
    )
    assert refused.status_code == 422
    panel = Page(refused.get_data(as_text=True))
    assert panel.text("flow-comment-error") == "Say why in a comment."
    assert buttons(panel, "flow") == {"approve", "reject", "return"}
    assert office.status(contract) == "pending"


# -- who may act -------------------------------------------------------------------------------


def test_someone_elses_task_is_forbidden_and_unknown_ones_not_found(office: Office) -> None:
    contract = office.submitted()
    task = office.task_of(office.director)
    assert decide(office.finance, task, "approve").status_code == 403
    assert decide(office.finance, task, "approve", headers=HTMX).status_code == 403
    assert decide(office.director, 999_999, "approve").status_code == 404
    assert decide(office.director, task, "explode").status_code == 404
    assert office.events(contract, "approve") == []


def test_a_record_out_of_scope_is_not_found_for_every_record_action(
    office: Office, as_role: Callable[..., SignedIn]
) -> None:
    stranger = as_role("account_manager", name="stranger", team="west")
    contract = office.contract()
    for action in ("submit", "withdraw"):
        response = stranger.post_form(office.flow_url(contract, action), {"from": "record"})
        assert response.status_code == 404
    assert office.status(contract) == "draft"


@pytest.mark.parametrize(
    ("who", "action", "status"),
    [
        ("manager", "submit", 403),  # may read, may not submit
        ("commercial", "approve", 404),  # not a record action
        ("commercial", "withdraw", 422),  # nothing pending
    ],
)
def test_record_actions_refuse_what_the_user_may_not_do(
    office: Office, who: str, action: str, status: int
) -> None:
    contract = office.contract()
    client = getattr(office, who)
    response = client.post_form(office.flow_url(contract, action), {"from": "record"})
    assert response.status_code == status
    assert office.status(contract) == "draft"


def test_actions_are_post_only_and_need_the_csrf_token(office: Office) -> None:
    contract = office.submitted()
    task = office.task_of(office.director)
    assert office.director.get(f"/tasks/{task}/approve").status_code == 405
    assert office.commercial.get(office.flow_url(contract, "withdraw")).status_code == 405
    forged = office.director.post(f"/tasks/{task}/approve", data={"from": "inbox"})
    assert forged.status_code == 400
    assert office.events(contract, "approve") == []


# -- withdraw and hand over --------------------------------------------------------------------


def test_the_submitter_withdraws_and_the_approver_is_told(office: Office) -> None:
    contract = office.submitted()
    response = office.commercial.post_form(office.flow_url(contract, "withdraw"), {})
    assert response.status_code == 303
    assert office.status(contract) == "draft"
    assert page(office.director, "/inbox").text("tasks") == "Nothing awaits your decision."
    notes = page(office.director, "/notifications").text("notifications")
    assert "coordinator withdrew the request for Contract 机电安装合同." in notes


def test_a_task_is_delegated_from_the_record_page(office: Office) -> None:
    contract = office.submitted()
    task = office.task_of(office.director)
    detail = page(office.director, f"/r/contract/{contract.id}")
    assert {"flow-handover", "flow-to"} <= detail.ids

    missing = office.director.post_form(f"/tasks/{task}/delegate", {"from": "record", "to": ""})
    assert missing.status_code == 422
    assert Page(missing.get_data(as_text=True)).text("retry-to-error") == "No such active user."

    response = office.director.post_form(
        f"/tasks/{task}/delegate", {"from": "record", "to": str(office.executive.user.id)}
    )
    assert response.status_code == 303
    card = page(office.executive, "/inbox")
    assert "On behalf of director" in card.text(f"task-{task}")
    assert "director delegated it to executive" in page(
        office.commercial, f"/r/contract/{contract.id}"
    ).text("flow-timeline")


# -- my requests -------------------------------------------------------------------------------


def test_my_requests_show_each_requests_progress(office: Office) -> None:
    big = office.submitted()
    small = office.submitted(amount=300_000, name="小合同")
    (task,) = [
        t
        for t in office.runtime.flows.tasks_for(office.director.user.actor())
        if t.record_id == big.id
    ]
    decide(office.director, task.id, "approve")
    requests = {
        r.record_id: r.id for r in office.runtime.flows.requests_of(office.commercial.user.actor())
    }
    listing = page(office.commercial, "/requests")
    assert listing.text(f"request-{requests[big.id]}-status") == "Pending"
    assert listing.text(f"request-{requests[big.id]}-progress") == (
        "1 of 3 steps approved · now: Finance"
    )
    assert "waiting for finance" in listing.text(f"request-{requests[big.id]}")
    assert listing.text(f"request-{requests[small.id]}-progress") == (
        "0 of 3 steps approved · now: Sales director"
    )
    assert page(office.director, "/requests").text("requests") == (
        "You have not submitted anything for approval."
    )


# -- notifications -----------------------------------------------------------------------------


def test_notifications_are_counted_and_marked_read(office: Office) -> None:
    office.submitted(name="一号")
    office.submitted(name="二号")
    notes = office.runtime.flows.notifications(office.director.user.actor())
    listing = page(office.director, "/notifications")
    assert listing.text("unread-count") == "2 unread"
    assert "Contract 一号 awaits your decision." in listing.text("notifications")

    one = office.director.post_form("/notifications/read", {"id": str(notes[0].id)})
    assert one.status_code == 303 and one.location == "/notifications"
    assert page(office.director, "/notifications").text("unread-count") == "1 unread"

    swapped = office.director.post_form("/notifications/read", {}, headers=HTMX)
    html = swapped.get_data(as_text=True)
    assert 'id="unread-count" hx-swap-oob="true" hidden' in html
    assert "mark-all-read" not in Page(html).ids
    assert office.runtime.flows.unread_count(office.director.user.actor()) == 0


def test_nobody_marks_someone_elses_notifications(office: Office) -> None:
    office.submitted()
    (note,) = office.runtime.flows.notifications(office.director.user.actor())
    office.finance.post_form("/notifications/read", {"id": str(note.id)})
    office.finance.post_form("/notifications/read", {"id": "nope"})
    assert office.runtime.flows.unread_count(office.director.user.actor()) == 1


def test_the_submitter_is_told_the_outcome(office: Office) -> None:
    office.submitted(amount=300_000)
    decide(office.director, office.task_of(office.director), "reject", "缺少附件")
    notes = page(office.commercial, "/notifications").text("notifications")
    assert "director rejected your request for Contract 机电安装合同." in notes


def test_the_top_bar_links_are_only_for_signed_in_users(office: Office, app: Any) -> None:
    assert "nav-inbox" in page(office.manager, "/").ids
    signed_out = app.test_client().get("/login").get_data(as_text=True)
    assert "nav-inbox" not in Page(signed_out).ids
    assert "css/flows.css" not in signed_out


def test_the_top_bar_counts_with_one_query_each(office: Office, runtime: Runtime) -> None:
    office.submitted()
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "fw_flow_task" in statement or "fw_notification" in statement:
            statements.append(statement)

    sa.event.listen(runtime.db.engine, "before_cursor_execute", count)
    try:
        page(office.director, "/")
    finally:
        sa.event.remove(runtime.db.engine, "before_cursor_execute", count)
    assert len(statements) == 2
