"""The list page: the URL contract, columns, sort, filters, search, pages, htmx and bulk actions."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from formwork.metamodel import load_app
from formwork.metamodel.model import SortKey
from formwork.store.query import Filter, Query
from formwork.store.query import Page as RecordPage
from formwork.views import display
from formwork.views.display import Display, LinkTitles, escape_text
from formwork.views.records.list_layout import layout
from formwork.views.records.list_page import count_text
from formwork.views.records.list_params import ListParams, parse_list_args, url
from formwork.views.records.lists import Column, _rows
from tests.app_fixtures import PASSWORD
from tests.pages import Page, page
from tests.views.list_packages import tasks_app, write_tasks_package

HTMX = {"HX-Request": "true"}


def parse(entity, query: str, hidden: frozenset[str] = frozenset(), zone: str = "UTC"):
    return parse_list_args(entity, MultiDict(parse_qsl(query)), hidden, zone)


def row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="row-(\d+)"', html)]


def hrefs(html: str, element_id: str) -> str:
    match = re.search(
        rf'id="{element_id}"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*id="{element_id}"', html
    )
    assert match, element_id
    return (match.group(1) or match.group(2)).replace("&amp;", "&")


# -- the URL contract, parsed ----------------------------------------------------------------


@pytest.fixture
def customer(crm_app):
    return crm_app.entity("customer")


def test_an_empty_url_is_the_configured_list(customer) -> None:
    params = parse(customer, "")
    assert params.filters == () and params.sort is None and params.search == ""
    assert params.query().sort is None and params.problems == {}


def test_one_value_is_equality_and_repeated_values_are_any_of(customer) -> None:
    assert parse(customer, "region=华北").filters == (Filter("region", "eq", "华北"),)
    both = parse(customer, "region=华北&region=华东")
    assert both.filters == (Filter("region", "in", ["华北", "华东"]),)


def test_an_empty_value_means_no_filter(customer) -> None:
    assert parse(customer, "region=&annual_amount.min=&annual_amount.max=&q=").filters == ()


def test_ranges_have_open_ends(customer) -> None:
    params = parse(customer, "annual_amount.min=100&annual_amount.max=2,000.5")
    assert params.filters == (
        Filter("annual_amount", "between", [Decimal("100.00"), Decimal("2000.50")]),
    )
    only_low = parse(customer, "first_signed_on.min=2024-01-31")
    assert only_low.filters == (Filter("first_signed_on", "between", [dt.date(2024, 1, 31), None]),)


def test_tags_filter_means_all_of_them_and_yes_no_converts(customer) -> None:
    params = parse(customer, "tags=高潜力客户&tags=战略合作伙伴&major_dispute=false")
    assert params.filters == (
        Filter("tags", "contains", "高潜力客户"),
        Filter("tags", "contains", "战略合作伙伴"),
        Filter("major_dispute", "eq", False),
    )


def test_any_visible_field_filters_from_the_url_not_only_configured_ones(customer) -> None:
    assert "tech_support" not in customer.list.filters
    assert parse(customer, "tech_support=7").filters == (Filter("tech_support", "eq", 7),)


def test_hidden_unknown_and_bulky_fields_are_ignored_alike(customer) -> None:
    hidden = frozenset({"annual_amount"})
    params = parse(customer, "annual_amount.min=5&annual_amount=5&nope=1&notes=x&page=2", hidden)
    assert params.filters == () and params.problems == {} and params.pairs() == ()


def test_sort_keys_are_parsed_and_unusable_ones_dropped(customer) -> None:
    params = parse(customer, "sort=-score, name,tags,nope,-score")
    assert params.sort == (SortKey("score", True), SortKey("name"))
    assert params.sort_text == "-score,name"
    assert parse(customer, "sort=-annual_amount", frozenset({"annual_amount"})).sort is None


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("annual_amount.min=abc", "annual_amount", "Not a number"),
        ("annual_amount.max=1.234", "annual_amount", "Not a number"),
        ("annual_amount.min=9&annual_amount.max=1", "annual_amount", "minimum is above"),
        ("region=火星", "region", "Not an option: 火星"),
        ("tags=nope", "tags", "Not an option"),
        ("first_signed_on.min=2024-13-01", "first_signed_on", "Not a date"),
        ("account_manager=abc", "account_manager", "Not a record number"),
        ("account_manager=0", "account_manager", "Not a record number"),
        ("major_dispute=maybe", "major_dispute", "Not yes or no"),
        ("cooperation_years=1.5", "cooperation_years", "Not a number"),
    ],
)
def test_a_bad_value_is_a_problem_of_its_field(customer, query, field, words) -> None:
    params = parse(customer, query)
    assert list(params.problems) == [field]
    assert words in params.problems[field]


def test_a_date_bound_of_a_datetime_is_the_users_local_day(tmp_path) -> None:
    task = load_app(write_tasks_package(tmp_path)).entity("task")
    params = parse(task, "due.min=2024-03-01&due.max=2024-03-01", zone="Asia/Shanghai")
    low, high = params.filters[0].value
    assert low == dt.datetime(2024, 2, 29, 16, 0, tzinfo=dt.UTC)
    assert high == dt.datetime(2024, 3, 1, 15, 59, 59, 999999, tzinfo=dt.UTC)


def test_the_state_round_trips_through_the_url(customer) -> None:
    query = "q=甲 乙&sort=name&region=华北&region=华东&annual_amount.max=9&after=abc"
    params = parse(customer, query)
    again = parse(customer, urlsplit(url("/r/customer/", params.pairs())).query)
    assert (again.filters, again.sort, again.search) == (params.filters, params.sort, "甲 乙")
    assert again.after is None  # links made from the state start on a first page
    assert ("region", "华北") not in params.without("region")


def test_capped_counts_say_so(app) -> None:
    with app.test_request_context(), force_locale("en"):
        assert count_text(10_000, capped=True) == "10,000+ records"
        assert count_text(1) == "1 record" and count_text(1234) == "1,234 records"


def test_list_params_default_is_no_state() -> None:
    assert ListParams().pairs() == () and not ListParams().filtered


# -- the page ---------------------------------------------------------------------------------


def test_columns_are_the_configured_ones_and_the_first_links_to_the_record(as_role, crm) -> None:
    admin = as_role("admin")
    record = crm.customer("甲", owner=admin.user)
    html = admin.get("/r/customer/").get_data(as_text=True)
    shown = Page(html).ids
    configured = ["code", "name", "grade", "score", "customer_type", "region", "annual_amount"]
    assert {f"col-{c}" for c in configured} <= shown
    assert f'<a href="/r/customer/{record.id}" class="record-link">{record["code"]}</a>' in html


def test_each_cell_is_labelled_by_its_column_and_values_are_escaped(as_role, crm) -> None:
    admin = as_role("admin")
    record = crm.customer("<b>甲</b>", owner=admin.user, region="华北", annual_amount="1234.5")
    html = admin.get("/r/customer/").get_data(as_text=True)
    row = re.search(rf'<tr id="row-{record.id}">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = row.group(1)
    assert '<td data-label="Name">&lt;b&gt;甲&lt;/b&gt;</td>' in cells
    assert '<td data-label="Region"><span class="chip chip-none">North</span></td>' in cells
    assert '<td data-label="Annual contract amount" class="num">¥1,234.50</td>' in cells
    assert "<b>" not in cells


def test_the_list_reads_only_its_columns(as_role, crm, runtime) -> None:
    admin = as_role("admin")
    crm.customer("甲", owner=admin.user, notes="长备注")
    seen: list[str] = []

    def listen(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    sa.event.listen(runtime.db.engine, "before_cursor_execute", listen)
    try:
        html = admin.get("/r/customer/").get_data(as_text=True)
    finally:
        sa.event.remove(runtime.db.engine, "before_cursor_execute", listen)
    (page_query,) = [s for s in seen if "FROM customer" in s and "ORDER BY" in s]
    assert "customer.code" in page_query and "customer.account_manager" in page_query
    assert "customer.notes" not in page_query and "customer.phone" not in page_query
    assert "甲" in html


def test_the_row_checkbox_is_labelled_by_the_records_escaped_title(as_role, crm) -> None:
    admin = as_role("admin")
    record = crm.customer("<i>甲</i>", owner=admin.user)
    html = admin.get("/r/customer/").get_data(as_text=True)
    box = (
        f'<input type="checkbox" name="ids" value="{record.id}:{record.version}"'
        f' id="select-{record.id}" aria-label="Select &lt;i&gt;甲&lt;/i&gt;">'
    )
    assert box in html


def test_hidden_fields_appear_nowhere(as_role, crm) -> None:
    support = as_role("tech_support")
    crm.customer("甲", annual_amount="1000000", max_single_contract="10")
    crm.customer("乙", annual_amount="10", max_single_contract="1")
    html = support.get("/r/customer/").get_data(as_text=True)
    assert "col-annual_amount" not in html and "f-annual_amount" not in html
    assert "annual_amount" not in html and "1,000,000" not in html
    # Nor can the URL use them: the filter and sort are ignored, as for an unknown field.
    response = support.get("/r/customer/?annual_amount.min=100&sort=-annual_amount")
    assert response.status_code == 200 and len(row_ids(response.get_data(as_text=True))) == 2


def test_rows_out_of_scope_never_appear(as_role, crm) -> None:
    mine, other = as_role("account_manager"), as_role("account_manager")
    own = crm.customer("我的", owner=mine.user)
    crm.customer("别人的", owner=other.user)
    assert row_ids(mine.get("/r/customer/").get_data(as_text=True)) == [own.id]
    searched = mine.get("/r/customer/?q=别人").get_data(as_text=True)
    assert row_ids(searched) == [] and "empty-state" in searched


def test_an_entity_the_user_may_not_read_is_forbidden(as_role) -> None:
    assert as_role(None).get("/r/customer/").status_code == 403
    assert as_role("admin").get("/r/nope/").status_code == 404


def test_the_default_sort_is_the_configured_one_and_headers_toggle_it(as_role, crm) -> None:
    admin = as_role("admin")
    b, a = crm.customer("b", owner=admin.user), crm.customer("a", owner=admin.user)
    html = admin.get("/r/customer/").get_data(as_text=True)
    assert 'id="col-score" class="num" aria-sort="descending"' in html  # list sort: -score, name
    assert row_ids(html) == [a.id, b.id]
    ascending = admin.get(hrefs_in_header(html, "name")).get_data(as_text=True)
    assert 'id="col-name" aria-sort="ascending"' in ascending
    descending = admin.get(hrefs_in_header(ascending, "name")).get_data(as_text=True)
    assert 'id="col-name" aria-sort="descending"' in descending
    assert row_ids(descending) == [b.id, a.id]


def hrefs_in_header(html: str, field: str) -> str:
    match = re.search(rf'<th scope="col" id="col-{field}"[^>]*><a href="([^"]+)"', html)
    assert match
    return match.group(1).replace("&amp;", "&")


def test_only_ordered_visible_fields_are_sortable(as_role, crm) -> None:
    admin = as_role("admin")
    crm.customer("甲", owner=admin.user)
    html = admin.get("/r/customer/").get_data(as_text=True)
    assert '<th scope="col" id="col-account_manager">Account manager</th>' in html
    assert hrefs_in_header(html, "name") == "/r/customer/?sort=name"


def test_filters_search_and_ranges_narrow_the_list(as_role, crm) -> None:
    admin = as_role("admin")
    north = crm.customer("北方建设", owner=admin.user, region="华北", annual_amount="500")
    east = crm.customer("东方设计", owner=admin.user, region="华东", annual_amount="5000")
    crm.customer("南方工程", owner=admin.user, region="华南")

    def ids(query: str) -> set[int]:
        response = admin.get(f"/r/customer/?{query}")
        assert response.status_code == 200
        return set(row_ids(response.get_data(as_text=True)))

    assert ids("region=华北&region=华东") == {north.id, east.id}
    assert ids("annual_amount.min=1000") == {east.id}
    assert ids("annual_amount.max=1000&region=华北") == {north.id}
    assert ids("q=设计") == {east.id}
    assert ids("q=方 北") == {north.id}


def test_the_panel_and_chips_show_the_filters_in_use(as_role, crm) -> None:
    admin = as_role("admin")
    crm.customer("甲", owner=admin.user, region="华北")
    html = admin.get("/r/customer/?region=华北&annual_amount.min=10").get_data(as_text=True)
    assert 'name="region" value="华北" checked' in html
    assert 'name="annual_amount.min" value="10"' in html
    chips = Page(html)
    assert chips.text("chip-region") == "Region: North ×"
    assert chips.text("chip-annual_amount") == "Annual contract amount: ≥ 10 ×"
    remove = re.search(r'id="chip-region">.*?href="([^"]+)"', html, re.S)
    assert remove and remove.group(1).replace("&amp;", "&") == "/r/customer/?annual_amount.min=10"


def test_a_link_field_filters_by_id_from_the_url_and_shows_the_title(as_role, crm) -> None:
    admin = as_role("admin")
    one, two = crm.customer("甲公司", owner=admin.user), crm.customer("乙公司")
    mine = crm.contact("张三", one)
    crm.contact("李四", two)
    html = admin.get(f"/r/contact/?customer={one.id}").get_data(as_text=True)
    assert row_ids(html) == [mine.id]
    assert f'name="customer" value="{one.id}" checked' in html
    assert Page(html).text("chip-customer") == "Customer: 甲公司 ×"


def test_the_user_filter_offers_people(as_role, crm) -> None:
    admin = as_role("admin")
    manager = as_role("account_manager", name="wang")
    crm.customer("甲", owner=manager.user)
    crm.customer("乙", owner=admin.user)
    html = admin.get(f"/r/customer/?account_manager={manager.user.id}").get_data(as_text=True)
    assert f'<option value="{manager.user.id}" selected>wang</option>' in html
    assert len(row_ids(html)) == 1


def test_the_people_offered_are_the_ones_of_this_request(as_role, users) -> None:
    admin = as_role("admin")
    manager = as_role("account_manager", name="wang")
    option = f'<option value="{manager.user.id}"'
    for path in ["/r/customer/", "/r/customer/?grade=A"]:  # kept per URL state
        assert f"{option}>wang</option>" in admin.get(path).get_data(as_text=True)
        users.update(manager.user.id, display_name="wang2")
        assert f"{option}>wang2</option>" in admin.get(path).get_data(as_text=True)
        users.update(manager.user.id, active=False)
        assert option not in admin.get(path).get_data(as_text=True)
        users.update(manager.user.id, active=True, display_name="wang")


def test_beyond_people_listed_the_user_filter_finds_people_as_one_types(
    as_role, crm, users, monkeypatch
) -> None:
    """With more users than a list should offer, the page reads none of them for the panel:
    the chosen person shows by name, a picker finds the others (active ones only)."""
    monkeypatch.setattr(display, "PEOPLE_LISTED", 2)
    admin = as_role("admin")
    wang = users.create("wang", "王经理", PASSWORD, ["account_manager"])
    li = users.create("li", "李经理", PASSWORD, ["account_manager"])
    gone = users.create("zhao", "赵经理", PASSWORD, ["account_manager"])
    users.update(gone.id, active=False)
    crm.customer("甲", owner=wang)
    crm.customer("乙", owner=li)
    html = admin.get("/r/customer/").get_data(as_text=True)
    assert 'id="f-account_manager-select"' not in html and f'<option value="{li.id}"' not in html
    assert 'hx-get="/r/user/pick?name=account_manager"' in html
    assert "王经理" in html and "李经理" in html  # the rows still name their managers
    html = admin.get(f"/r/customer/?account_manager={wang.id}").get_data(as_text=True)
    assert f'name="account_manager" value="{wang.id}" checked' in html
    assert Page(html).text("chip-account_manager") == "Account manager: 王经理 ×"
    assert len(row_ids(html)) == 1
    found = admin.get("/r/user/pick?name=account_manager&q=经理").get_data(as_text=True)
    assert f'value="{wang.id}"' in found and f'value="{li.id}"' in found
    assert f'value="{gone.id}"' not in found


def test_the_people_are_read_only_when_there_are_few_enough_to_list(runtime, users, monkeypatch):
    users.create("wang", "王经理", PASSWORD, ["account_manager"])
    users.create("li", "李经理", PASSWORD, ["account_manager"])
    everyone = len(LinkTitles(runtime.records, None).people() or ())
    assert everyone >= 2
    monkeypatch.setattr(display, "PEOPLE_LISTED", everyone)
    titles = LinkTitles(runtime.records, None)
    assert [p.name for p in titles.people() or ()].count("王经理") == 1
    assert "王经理" in titles.titles["user"].values()  # their names serve as link titles
    monkeypatch.setattr(display, "PEOPLE_LISTED", everyone - 1)
    titles = LinkTitles(runtime.records, None)
    assert titles.people() is None
    assert not titles.titles.get("user")


def test_the_link_picker_finds_records_the_user_may_see(as_role, crm) -> None:
    mine, other = as_role("account_manager"), as_role("account_manager")
    own = crm.customer("甲公司一", owner=mine.user)
    crm.customer("甲公司二", owner=other.user)
    html = mine.get("/r/customer/pick?name=customer&q=甲公司").get_data(as_text=True)
    assert f'name="customer" value="{own.id}"' in html and "甲公司二" not in html
    assert mine.get("/r/customer/pick?name=x%22y&q=a").status_code == 400


@pytest.mark.parametrize(
    ("query", "element"),
    [
        ("annual_amount.min=abc", "f-annual_amount-error"),
        ("region=火星", "f-region-error"),
        ("account_manager=me", "f-account_manager-error"),
    ],
)
def test_a_bad_filter_value_is_shown_next_to_its_filter_with_400(as_role, query, element) -> None:
    response = as_role("admin").get(f"/r/customer/?{query}")
    assert response.status_code == 400
    shown = Page(response.get_data(as_text=True))
    assert element in shown.ids and "list-problems" in shown.ids
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_a_bad_cursor_is_a_400_with_a_way_back(as_role) -> None:
    response = as_role("admin").get("/r/customer/?after=garbage&region=华北")
    assert response.status_code == 400
    assert "start again from the first page" in Page(response.get_data(as_text=True)).text(
        "list-problems"
    )


def test_the_new_button_and_board_link_follow_permissions(as_role) -> None:
    admin_page = page(as_role("admin"), "/r/customer/?region=华北")
    assert "new-record" in admin_page.ids and "board-link" in admin_page.ids
    assert "new-record" not in page(as_role("tech_support"), "/r/customer/").ids
    html = as_role("admin").get("/r/customer/?region=华北").get_data(as_text=True)
    assert hrefs(html, "board-link") == "/r/customer/board?" + urlencode({"region": "华北"})


def test_an_empty_list_says_so(as_role) -> None:
    html = page(as_role("admin"), "/r/customer/")
    assert "No Customers yet." in html.text("empty-state")


# -- htmx ---------------------------------------------------------------------------------------


def test_htmx_gets_the_results_region_and_history_restores_get_the_page(as_role, crm) -> None:
    admin = as_role("admin")
    crm.customer("甲", owner=admin.user)
    partial = admin.get("/r/customer/?sort=name", headers=HTMX)
    body = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in body and "<table" in body
    assert 'id="filter-panel" class="filter-panel" hx-swap-oob="true"' in body
    assert '<input type="hidden" name="sort" value="name">' in body
    assert "HX-Request" in partial.headers["Vary"]
    restore = admin.get("/r/customer/", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)
    full = admin.get("/r/customer/").get_data(as_text=True)
    assert 'id="results"' in full and "hx-swap-oob" not in full
    assert "HX-Request" in admin.get("/r/customer/").headers["Vary"]


def test_every_htmx_link_keeps_a_plain_href(as_role, crm) -> None:
    admin = as_role("admin")
    crm.customer("甲", owner=admin.user, region="华北")
    html = admin.get("/r/customer/?region=华北").get_data(as_text=True)
    for tag in re.findall(r"<a [^>]*hx-get=[^>]*>", html):
        assert 'href="' in tag, tag
    assert "style=" not in html and "<script>" not in html and "hx-on" not in html


def test_a_bad_filter_over_htmx_is_a_400_region(as_role) -> None:
    response = as_role("admin").get("/r/customer/?region=火星", headers=HTMX)
    assert response.status_code == 400
    assert "<html" not in response.get_data(as_text=True)
    assert "f-region-error" in Page(response.get_data(as_text=True)).ids


# -- pages of a longer list (the task app: 5 records a page) ------------------------------------


class TestPages:
    @pytest.fixture
    def app(self, tmp_path):
        yield from tasks_app(tmp_path)

    def test_keyset_pages_follow_each_other_and_lead_back_to_the_first(
        self, as_role, runtime
    ) -> None:
        admin = as_role("admin")
        made = [runtime.records.create("task", {"title": f"task {n:02d}"}) for n in range(11)]
        first = admin.get("/r/task/?sort=title").get_data(as_text=True)
        assert Page(first).text("list-count") == "11 records"
        assert "first-page" not in Page(first).ids
        second = admin.get(hrefs(first, "next-page")).get_data(as_text=True)
        third = admin.get(hrefs(second, "next-page")).get_data(as_text=True)
        pages = [row_ids(html) for html in (first, second, third)]
        assert [len(ids) for ids in pages] == [5, 5, 1]
        assert [id for ids in pages for id in ids] == [r.id for r in made]
        assert "next-page" not in Page(third).ids
        assert hrefs(third, "first-page") == "/r/task/?sort=title"

    def test_a_datetime_range_filter_uses_dates(self, as_role, runtime) -> None:
        admin = as_role("admin")
        early = runtime.records.create("task", {"title": "early", "due": "2024-03-01T08:00Z"})
        runtime.records.create("task", {"title": "late", "due": "2024-03-02T08:00:00Z"})
        html = admin.get("/r/task/?due.max=2024-03-01").get_data(as_text=True)
        assert row_ids(html) == [early.id]
        assert 'type="date" id="f-due-max" name="due.max" value="2024-03-01"' in html

    def test_bulk_delete_reports_records_still_referenced(self, as_role, runtime) -> None:
        admin = as_role("admin")
        used = runtime.records.create("task", {"title": "used"})
        free = runtime.records.create("task", {"title": "free"})
        runtime.records.create("comment", {"text": "see this", "task": used.id})
        ids = [f"{used.id}:{used.version}", f"{free.id}:{free.version}"]
        response = admin.post_form("/r/task/", {"action": "delete", "ids": ids, "confirm": "1"})
        report = Page(response.get_data(as_text=True)).text("bulk-report")
        assert "Deleted 1 record." in report
        assert "1 record was not deleted: used : Still used by 1 Comment record(s)" in report
        assert runtime.records.get("task", used.id).title == "used"
        assert row_ids(response.get_data(as_text=True)) == [used.id]

    def test_a_worker_cannot_bulk_delete_others_tasks(self, as_role, runtime) -> None:
        worker, other = as_role("worker"), as_role("worker")
        theirs = runtime.records.create("task", {"title": "theirs", "owner": other.user.id})
        mine = runtime.records.create("task", {"title": "mine", "owner": worker.user.id})
        ids = [f"{theirs.id}:1", f"{mine.id}:1"]
        response = worker.post_form("/r/task/", {"action": "delete", "ids": ids, "confirm": "1"})
        report = Page(response.get_data(as_text=True)).text("bulk-report")
        assert f"#{theirs.id} : It no longer exists, or it is not visible to you." in report
        assert runtime.records.get("task", theirs.id).title == "theirs"


# -- bulk actions on the reference app ----------------------------------------------------------


def test_bulk_delete_asks_first_then_deletes(as_role, crm, runtime) -> None:
    admin = as_role("admin")
    a, b = crm.customer("甲", owner=admin.user), crm.customer("乙", owner=admin.user)
    ids = [f"{a.id}:{a.version}", f"{b.id}:{b.version}"]
    asked = admin.post_form("/r/customer/?region=", {"action": "delete", "ids": ids})
    confirm = Page(asked.get_data(as_text=True))
    assert "Delete 2 records?" in confirm.text("confirm-delete")
    assert "甲" in confirm.text("confirm-delete") and runtime.records.get("customer", a.id)
    done = admin.post_form("/r/customer/", {"action": "delete", "ids": ids, "confirm": "1"})
    assert "Deleted 2 records." in Page(done.get_data(as_text=True)).text("bulk-report")
    assert runtime.records.query("customer").total == 0


def test_bulk_delete_reports_a_stale_record_and_deletes_the_rest(as_role, crm, runtime) -> None:
    admin = as_role("admin")
    stale, fine = crm.customer("旧", owner=admin.user), crm.customer("新", owner=admin.user)
    runtime.records.update("customer", stale.id, {"region": "华北"}, stale.version)
    ids = [f"{stale.id}:{stale.version}", f"{fine.id}:{fine.version}"]
    response = admin.post_form(
        "/r/customer/", {"action": "delete", "ids": ids, "confirm": "1"}, headers=HTMX
    )
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    report = Page(response.get_data(as_text=True)).text("bulk-report")
    assert "Deleted 1 record." in report and "旧 : Someone else changed it meanwhile" in report
    assert [r.id for r in runtime.records.query("customer").records] == [stale.id]


def test_bulk_set_changes_each_record_through_the_service(as_role, crm, runtime) -> None:
    commercial = as_role("commercial")
    a, b = crm.customer("甲"), crm.customer("乙")
    runtime.records.update("customer", b.id, {"address": "北京"}, b.version)
    ids = [f"{a.id}:{a.version}", f"{b.id}:{b.version}"]
    response = commercial.post_form(
        "/r/customer/", {"action": "set", "ids": ids, "set": "region=华南"}
    )
    report = Page(response.get_data(as_text=True)).text("bulk-report")
    assert "Changed 1 record." in report and "乙 : Someone else changed it" in report
    assert runtime.records.get("customer", a.id)["region"] == "华南"
    assert runtime.records.get("customer", b.id)["region"] is None


def test_bulk_set_offers_only_writable_select_fields(as_role, crm) -> None:
    account_manager = as_role("account_manager")
    crm.customer("甲", owner=account_manager.user)
    html = account_manager.get("/r/customer/").get_data(as_text=True)
    assert 'value="region=华北"' in html
    assert 'value="grade=' not in html and 'value="credit_rating=' not in html
    assert "bulk-delete" not in Page(html).ids  # account managers may not delete customers


@pytest.mark.parametrize(
    "data",
    [
        {"action": "explode", "ids": ["1:1"]},
        {"action": "delete", "ids": ["1"]},
        {"action": "delete", "ids": ["x:1"]},
        {"action": "set", "ids": ["1:1"], "set": "grade=A"},
        {"action": "set", "ids": ["1:1"], "set": "region=火星"},
        {"action": "set", "ids": ["1:1"], "set": "nope=1"},
    ],
)
def test_a_malformed_bulk_request_is_a_400(as_role, data) -> None:
    assert as_role("admin").post_form("/r/customer/", data).status_code == 400


def test_bulk_actions_need_the_csrf_token(as_role, crm, runtime) -> None:
    admin = as_role("admin")
    record = crm.customer("甲", owner=admin.user)
    data = {"action": "delete", "ids": f"{record.id}:1", "confirm": "1"}
    assert admin.post("/r/customer/", data=data).status_code == 400
    assert runtime.records.get("customer", record.id)


def test_bulk_delete_is_forbidden_to_roles_without_delete(as_role, crm, runtime) -> None:
    commercial = as_role("commercial")
    record = crm.customer("甲")
    data = {"action": "delete", "ids": f"{record.id}:1", "confirm": "1"}
    assert commercial.post_form("/r/customer/", data).status_code == 403
    assert runtime.records.get("customer", record.id)


def test_nothing_selected_says_so(as_role) -> None:
    response = as_role("admin").post_form("/r/customer/", {"action": "delete"})
    assert "No records were selected." in Page(response.get_data(as_text=True)).text("bulk-report")


@pytest.mark.parametrize(
    ("total", "capped", "english", "chinese"),
    [
        (1, False, "1 record", "1 条记录"),
        (12345, False, "12,345 records", "12,345 条记录"),
        (10_000, True, "10,000+ records", "10,000+ 条记录"),
    ],
)
def test_counts_read_naturally_and_say_when_counting_stopped(
    app, total: int, capped: bool, english: str, chinese: str
) -> None:
    from flask_babel import force_locale

    from formwork.views.records.list_page import count_text

    with app.test_request_context():
        with force_locale("en"):
            assert count_text(total, capped) == english
        with force_locale("zh"):
            assert count_text(total, capped) == chinese


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("shown", [None, 1, 0])
def test_rows_are_the_cells_as_display_renders_them(app, crm, runtime, users, bulk, shown) -> None:
    """`lists._rows` builds the rows itself; they are the tags and `Display.html` of each
    value (the first column a link to the record), however many columns show."""
    manager = users.create("mgr", "<Mgr>", PASSWORD, ["account_manager"])
    crm.customer("<b>甲</b>", owner=manager, region="华北", annual_amount="1234.5")
    crm.customer("乙", region=None, customer_type="设计院")
    crm.customer("丙", region="华东", tags=["高潜力客户"])
    entity = runtime.model.entity("customer")
    found = runtime.records.query("customer", Query())
    with app.test_request_context("/r/customer/"), force_locale("en"):
        app.preprocess_request()
        fields = layout(entity).columns if shown is None else layout(entity).columns[:shown]
        columns = [Column(f, f"<{f.name}>", f.kind.value_type == "number") for f in fields]
        titles = LinkTitles(runtime.records, None)
        titles.people()
        show = Display("en", "UTC", titles)
        page = RecordPage(found.records, None, len(found.records))
        html = str(_rows(entity, page, columns, show, bulk))
        want = []
        for record in found.records:
            want.append(f'<tr id="row-{record.id}">')
            if bulk:
                label = escape_text(f"Select {record.title or f'#{record.id}'}")
                want.append(
                    f'<td class="select"><input type="checkbox" name="ids" value="{record.id}:'
                    f'{record.version}" id="select-{record.id}" aria-label="{label}"></td>'
                )
            for index, column in enumerate(columns):
                num = ' class="num"' if column.numeric else ""
                want.append(f'<td data-label="{escape_text(column.label)}"{num}>')
                value = record.values.get(column.field.name)
                if index == 0:
                    text = escape_text(show.text(column.field, value) or record.title or "")
                    href = f"/r/customer/{record.id}"
                    want.append(f'<a href="{href}" class="record-link">{text}</a>')
                else:
                    want.append(str(show.html(column.field, value)))
                want.append("</td>")
            want.append("</tr>")
    assert html == "".join(want)
