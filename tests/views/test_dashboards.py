"""Dashboard pages: each role sees its own dashboards; every number and every chart segment
links to the list page of exactly the records it counts; a viewer's figures count only the
records they may read, and a widget on a field they may not see shows nothing of it."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from formwork.auth import User
from formwork.runtime import Runtime
from tests.dashboards.conftest import write_deals_package
from tests.pages import Page
from tests.views.conftest import CHEAP, PASSWORD


class Widgets(HTMLParser):
    """The widgets of a dashboard page: by element id, the kind and the links of its marks
    (href and the count the mark claims)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.kinds: dict[str, str] = {}
        self.links: dict[str, list[tuple[str, int]]] = {}
        self._section: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "section" and attr.get("data-kind"):
            self._section = attr["id"]
            self.kinds[attr["id"] or ""] = attr["data-kind"] or ""
            self.links[attr["id"] or ""] = []
        if tag == "a" and self._section and attr.get("data-count") is not None:
            self.links[self._section].append((attr["href"] or "", int(attr["data-count"] or 0)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._section = None

    def by_kind(self, kind: str) -> list[tuple[str, int]]:
        return [link for wid, k in self.kinds.items() if k == kind for link in self.links[wid]]


def listed(client: Any, href: str) -> int:
    """How many records the list page at `href` says it shows."""
    response = client.get(href)
    assert response.status_code == 200, href
    text = Page(response.get_data(as_text=True)).text("list-count")
    return int(re.sub(r"\D", "", text) or 0)


def book(runtime: Runtime, manager: User, name: str) -> None:
    """A customer of `manager` with opportunities in every stage, signed contracts and
    receivables, some overdue."""
    create = runtime.records.create
    today = dt.date.today()
    customer = create(
        "customer", {"name": name, "customer_type": "开发商", "account_manager": manager.id}
    )
    of = {"customer": customer.id}
    for index, stage in enumerate(["初步接触", "方案报价", "投标评审", "投标评审", "已输单"]):
        lost = {"lost_reason": "价格"} if stage == "已输单" else {}
        create(
            "opportunity",
            {**of, "name": f"{name}商机{index}", "stage": stage, "expected_close_on": "2030-01-01"}
            | {"expected_amount": str(1_000_000 * (index + 1)), **lost},
        )
    for months in (1, 4):
        signed = today - dt.timedelta(days=30 * months)
        contract = create(
            "contract",
            {**of, "name": f"{name}合同{months}", "contract_type": "施工总承包"}
            | {"amount": "2000000", "status": "approved", "signed_on": signed.isoformat()},
        )
        for days in (10, 45, 200, -20):
            create(
                "receivable",
                {"contract": contract.id, "installment": "进度款", "planned_amount": "100000"}
                | {"planned_on": (today - dt.timedelta(days=days)).isoformat()},
            )
    create("visit", {**of, "subject": "回访", "summary": "进展顺利", "visitor": manager.id})


@pytest.fixture
def director_and_team(as_role, runtime, users) -> Any:
    director = as_role("sales_director", team="华东大区")
    colleague = users.create("li", "李经理", PASSWORD, ["account_manager"], team="华东大区")
    outsider = users.create("zhou", "周经理", PASSWORD, ["account_manager"], team="华北大区")
    book(runtime, colleague, "东方建设")
    book(runtime, outsider, "北方建设")
    return director


# -- who sees what ---------------------------------------------------------------------------
def test_the_menu_links_the_dashboards_of_the_users_roles(as_role) -> None:
    director = Page(as_role("sales_director").get("/").get_data(as_text=True))
    assert "nav-dashboards" in director.ids
    executive = as_role("executive").get("/").get_data(as_text=True)
    assert 'id="nav-dashboards"' in executive and 'href="/d/"' in executive
    support = Page(as_role("tech_support").get("/").get_data(as_text=True))
    assert "nav-dashboards" not in support.ids


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("executive", {"sales", "finance"}),
        ("sales_director", {"sales"}),
        ("finance", {"finance"}),
        ("account_manager", {"my_accounts"}),
        ("tech_support", set()),
    ],
)
def test_the_index_lists_the_dashboards_of_the_role(as_role, role: str, shown: set[str]) -> None:
    page = Page(as_role(role).get("/d/").get_data(as_text=True))
    assert {i.removeprefix("dashboard-") for i in page.ids if i.startswith("dashboard-")} == shown


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("account_manager", "/d/sales"),
        ("sales_director", "/d/finance"),
        ("tech_support", "/d/my_accounts"),
        ("executive", "/d/nothing"),
    ],
)
def test_a_dashboard_the_role_does_not_see_is_not_found(as_role, role: str, path: str) -> None:
    assert as_role(role).get(path).status_code == 404


def test_labels_are_in_the_users_language(as_role) -> None:
    page = Page(as_role("executive", locale="zh").get("/d/sales").get_data(as_text=True))
    assert page.text("page-title") == "销售看板"
    assert page.text("widget-5-title") == "商机漏斗（预计金额）"


def test_signed_out_visitors_are_sent_to_sign_in(app) -> None:
    response = app.test_client().get("/d/sales")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# -- click-through ---------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "name"), [("executive", "sales"), ("executive", "finance")])
def test_every_mark_links_to_a_list_of_exactly_its_records(
    as_role, runtime, users, role: str, name: str
) -> None:
    manager = users.create("wang", "王经理", PASSWORD, ["account_manager"])
    book(runtime, manager, "城投集团")
    client = as_role(role)
    widgets = Widgets(client.get(f"/d/{name}").get_data(as_text=True))
    assert set(widgets.kinds.values()) >= {"number", "pie", "line", "bar"}
    checked = 0
    for wid, links in widgets.links.items():
        for href, count in links:
            assert listed(client, href) == count, (widgets.kinds[wid], href)
            checked += 1
    assert checked >= 10


def test_the_funnels_bid_review_stage_opens_the_opportunities_in_bid_review(
    as_role, runtime, users
) -> None:
    manager = users.create("wang", "王经理", PASSWORD, ["account_manager"])
    book(runtime, manager, "城投集团")
    client = as_role("executive")
    funnel = Widgets(client.get("/d/sales").get_data(as_text=True)).by_kind("funnel")
    stage = quote("投标评审")
    assert (f"/r/opportunity/?stage={stage}", 2) in funnel
    assert [count for _href, count in funnel] == [1, 1, 2, 0]  # 合同签订: an empty stage
    assert listed(client, f"/r/opportunity/?stage={stage}") == 2


def test_the_my_accounts_cards_count_the_managers_own_records(as_role, runtime) -> None:
    mine, other = as_role("account_manager"), as_role("account_manager")
    book(runtime, mine.user, "城投集团")
    book(runtime, other.user, "北方建设")
    runtime.records.create(
        "customer",
        {"name": "华建集团", "customer_type": "开发商", "account_manager": other.user.id},
    )
    for client, customers in ((mine, 1), (other, 2)):
        html = client.get("/d/my_accounts").get_data(as_text=True)
        (first, _count), *_ = Widgets(html).links["widget-1"]
        assert first == f"/r/customer/?account_manager={client.user.id}"
        assert Widgets(html).links["widget-1"][0][1] == customers
        assert listed(client, first) == customers


def test_a_directors_figures_count_the_teams_records_only(director_and_team) -> None:
    widgets = Widgets(director_and_team.get("/d/sales").get_data(as_text=True))
    (href, count), *_ = widgets.links["widget-1"]  # open opportunities: 4 of one customer
    assert count == 4
    assert listed(director_and_team, href) == 4


# -- hidden fields, empty states, markup -----------------------------------------------------
class TestDealsDashboard:
    @pytest.fixture
    def app(self, tmp_path: Path) -> Any:
        from formwork import create_app
        from formwork.app import runtime_of
        from formwork.auth.passwords import Passwords
        from formwork.store.schema_sync import apply_sync

        flask_app = create_app({"instance": tmp_path, "package": write_deals_package(tmp_path)})
        runtime = runtime_of(flask_app)
        apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=tmp_path)
        flask_app.extensions["formwork_users"].passwords = Passwords(CHEAP)
        yield flask_app
        runtime.close()

    def test_a_widget_on_a_field_the_user_may_not_see_shows_nothing_of_it(
        self, as_role, runtime
    ) -> None:
        rep, boss = as_role("rep"), as_role("boss")
        runtime.records.create("deal", {"name": "A", "margin": 4321, "owner": rep.user.id})
        for client, available in ((rep, False), (boss, True)):
            html = client.get("/d/pipeline").get_data(as_text=True)
            page = Page(html)
            assert page.text("widget-2-title") == "Margin"
            assert ("widget-2-value" in page.ids) is available
            assert ("4,321" in html) is available

    def test_without_records_charts_say_so_and_numbers_show_zero(self, as_role) -> None:
        page = Page(as_role("boss").get("/d/pipeline").get_data(as_text=True))
        assert page.text("widget-1-value") == "0"
        assert "No records to show yet." in page.text("widget-3")

    def test_option_colours_and_no_style_attributes(self, as_role, runtime) -> None:
        boss = as_role("boss")
        for stage in ("lead", "offer", "won"):
            runtime.records.create("deal", {"name": stage, "stage": stage, "amount": 10})
        html = boss.get("/d/pipeline").get_data(as_text=True)
        assert 'fill="#3366cc"' in html and "c-green" in html and "c-gray" in html
        assert "style=" not in html
