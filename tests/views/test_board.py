"""The board (kanban) view: columns per option, the list's filters, and moves that go through
the record service — refused by rules, read-only fields, stale versions and row scopes."""

from __future__ import annotations

import re

import pytest

from formwork.views.records import board as board_module
from tests.pages import Page
from tests.views.list_packages import tasks_app

HTMX = {"HX-Request": "true"}


def columns(html: str) -> dict[str, list[int]]:
    """Column value → the record ids of its cards, in page order."""
    result = {}
    for section in re.findall(r'<section class="board-column".*?</section>', html, re.S):
        value = re.search(r'data-value="([^"]*)"', section)
        assert value
        result[value.group(1)] = [
            int(n) for n in re.findall(r'<article [^>]*id="card-(\d+)"', section)
        ]
    return result


def move(client, record, value, field="stage", version=None, query="", **kwargs):
    data = {
        "field": field,
        "value": value,
        "version": record.version if version is None else version,
    }
    return client.post_form(f"/r/{record.entity}/{record.id}/move{query}", data, **kwargs)


class TestTaskBoard:
    @pytest.fixture
    def app(self, tmp_path):
        yield from tasks_app(tmp_path)

    @pytest.fixture
    def task(self, runtime):
        def make(title, **values):
            return runtime.records.create("task", {"title": title, **values})

        return make

    def test_a_column_per_option_and_one_for_no_value(self, as_role, task) -> None:
        admin = as_role("admin")
        todo, done = task("write", stage="todo"), task("ship", stage="done", points=3)
        loose = task("someday")
        html = admin.get("/r/task/board").get_data(as_text=True)  # the list's board field
        assert columns(html) == {"todo": [todo.id], "doing": [], "done": [done.id], "": [loose.id]}
        assert Page(html).text("column-1-title") == "To do 1"
        assert 'id="group-stage" aria-current="true">stage</a>' in html
        assert Page(html).text("list-count") == "3 records"

    def test_cards_show_the_title_and_a_few_list_columns(self, as_role, task) -> None:
        admin = as_role("admin")
        record = task("write", stage="todo", points=8)
        html = admin.get("/r/task/board").get_data(as_text=True)
        card = Page(html).text(f"card-{record.id}")
        assert card.startswith("write points 8 size L owner —")
        assert f'<a href="/r/task/{record.id}">write</a>' in html

    def test_a_column_shows_at_most_n_cards_and_counts_the_rest(
        self, as_role, task, monkeypatch
    ) -> None:
        monkeypatch.setattr(board_module, "CARDS_PER_COLUMN", 2)
        admin = as_role("admin")
        for n in range(5):
            task(f"t{n}", stage="doing")
        html = admin.get("/r/task/board").get_data(as_text=True)
        assert len(columns(html)["doing"]) == 2
        assert Page(html).text("column-2-more") == "3 more"
        assert 'href="/r/task/?stage=doing">3 more</a>' in html

    def test_the_board_uses_the_lists_filters_and_search(self, as_role, task) -> None:
        admin = as_role("admin")
        big, small = task("big job", stage="todo", points=8), task("small job", stage="todo")
        task("other", stage="doing", points=9)
        assert columns(admin.get("/r/task/board?points.min=5&q=job").get_data(as_text=True)) == {
            "todo": [big.id],
            "doing": [],
            "done": [],
            "": [],
        }
        assert columns(admin.get("/r/task/board?q=small").get_data(as_text=True))["todo"] == [
            small.id
        ]
        bad = admin.get("/r/task/board?points.min=lots")
        assert bad.status_code == 400 and "f-points-error" in Page(bad.get_data(as_text=True)).ids

    def test_rows_out_of_scope_are_not_on_the_board(self, as_role, task) -> None:
        worker, other = as_role("worker"), as_role("worker")
        mine = task("mine", stage="todo", owner=worker.user.id)
        task("theirs", stage="todo", owner=other.user.id)
        assert columns(worker.get("/r/task/board").get_data(as_text=True))["todo"] == [mine.id]

    def test_a_move_changes_the_field_and_answers_with_the_board(
        self, as_role, task, runtime
    ) -> None:
        admin = as_role("admin")
        record = task("write", stage="todo")
        response = move(admin, record, "doing", query="?by=stage&q=wr", headers=HTMX)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in html
        assert columns(html)["doing"] == [record.id]
        assert Page(html).text("board-message") == "Moved write to Doing."
        assert runtime.records.get("task", record.id)["stage"] == "doing"
        assert 'hx-swap-oob="true"' in html  # the filter panel comes along

    def test_without_javascript_a_move_redirects_back_to_the_board(
        self, as_role, task, runtime
    ) -> None:
        admin = as_role("admin")
        record = task("write", stage="todo")
        response = move(admin, record, "", query="?by=stage&q=wr")
        assert response.status_code == 303
        assert response.location == "/r/task/board?q=wr&by=stage"
        assert runtime.records.get("task", record.id)["stage"] is None

    def test_a_move_refused_by_a_rule_leaves_the_card_and_says_why(
        self, as_role, task, runtime
    ) -> None:
        admin = as_role("admin")
        record = task("write", stage="doing")
        response = move(admin, record, "done", headers=HTMX)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert columns(html)["doing"] == [record.id]
        message = Page(html).text("board-message")
        assert message == "write was not moved: stage: Estimate the task before it is done"
        assert runtime.records.get("task", record.id).version == record.version

    def test_a_move_of_a_computed_field_is_refused(self, as_role, task, runtime) -> None:
        admin = as_role("admin")
        record = task("write", points=1)
        html = admin.get("/r/task/board?by=size").get_data(as_text=True)
        assert "board-readonly" in Page(html).ids
        assert 'draggable="true"' not in html and "move-form" not in html
        assert "data-drop" not in html
        assert move(admin, record, "L", field="size").status_code == 422
        assert runtime.records.get("task", record.id)["size"] == "S"

    def test_a_field_read_only_for_the_user_cannot_be_moved(self, as_role, task, runtime) -> None:
        viewer = as_role("viewer")
        record = task("write", stage="todo")
        html = viewer.get("/r/task/board").get_data(as_text=True)
        assert "board-readonly" in Page(html).ids and 'draggable="true"' not in html
        response = move(viewer, record, "doing", headers=HTMX)
        assert response.status_code == 422
        assert "stage: This field cannot be written." in Page(response.get_data(as_text=True)).text(
            "board-message"
        )
        assert runtime.records.get("task", record.id)["stage"] == "todo"

    def test_a_stale_card_is_refused_and_the_board_shows_the_record_as_it_is(
        self, as_role, task, runtime
    ) -> None:
        admin = as_role("admin")
        record = task("write", stage="todo")
        runtime.records.update("task", record.id, {"stage": "doing"}, record.version)
        response = move(admin, record, "done", headers=HTMX)
        html = response.get_data(as_text=True)
        assert response.status_code == 409
        assert columns(html)["doing"] == [record.id]
        assert "Someone else changed this record meanwhile" in Page(html).text("board-message")

    def test_a_record_out_of_scope_is_not_found(self, as_role, task, runtime) -> None:
        worker, other = as_role("worker"), as_role("worker")
        theirs = task("theirs", stage="todo", owner=other.user.id)
        response = move(worker, theirs, "doing", headers=HTMX)
        assert response.status_code == 404
        assert f"#{theirs.id} was not moved" in Page(response.get_data(as_text=True)).text(
            "board-message"
        )
        assert runtime.records.get("task", theirs.id)["stage"] == "todo"

    @pytest.mark.parametrize("by", ["nope", "title", "points", "tags"])
    def test_grouping_by_anything_but_a_visible_select_field_is_a_400(self, as_role, by) -> None:
        assert as_role("admin").get(f"/r/task/board?by={by}").status_code == 400

    @pytest.mark.parametrize("field", ["", "title", "nope"])
    def test_a_move_must_name_a_select_field(self, as_role, task, field) -> None:
        record = task("write", stage="todo")
        assert move(as_role("admin"), record, "doing", field=field).status_code == 400

    def test_an_entity_without_select_fields_has_no_board(self, as_role) -> None:
        admin = as_role("admin")
        assert admin.get("/r/comment/board").status_code == 404
        shown = Page(admin.get("/r/comment/").get_data(as_text=True)).ids
        assert "board-link" not in shown
        assert "list-q" not in shown  # and without search fields, no search box

    def test_moves_need_the_csrf_token(self, as_role, task, runtime) -> None:
        admin = as_role("admin")
        record = task("write", stage="todo")
        data = {"field": "stage", "value": "doing", "version": record.version}
        assert admin.post(f"/r/task/{record.id}/move", data=data).status_code == 400
        assert runtime.records.get("task", record.id)["stage"] == "todo"


# -- the reference app --------------------------------------------------------------------------


def test_a_required_field_has_no_empty_column_and_computed_grades_do_not_move(as_role, crm) -> None:
    admin = as_role("admin")
    record = crm.customer("甲", owner=admin.user)
    by_type = admin.get("/r/customer/board?by=customer_type").get_data(as_text=True)
    assert "" not in columns(by_type) and columns(by_type)["开发商"] == [record.id]
    by_grade = admin.get("/r/customer/board?by=grade").get_data(as_text=True)
    assert "move-form" not in by_grade and columns(by_grade)["C"] == [record.id]


def test_hidden_fields_cannot_group_or_show_on_cards(as_role, crm) -> None:
    support = as_role("tech_support")
    crm.customer("甲", annual_amount="1000")
    html = support.get("/r/customer/board").get_data(as_text=True)
    assert "annual_amount" not in html and "1,000" not in html


def test_an_account_manager_moves_only_own_customers(as_role, crm, runtime) -> None:
    mine, other = as_role("account_manager"), as_role("account_manager")
    own = crm.customer("甲", owner=mine.user)
    theirs = crm.customer("乙", owner=other.user)
    board = mine.get("/r/customer/board?by=region").get_data(as_text=True)
    assert columns(board)[""] == [own.id]
    assert move(mine, own, "华北", field="region", headers=HTMX).status_code == 200
    assert move(mine, theirs, "华北", field="region", headers=HTMX).status_code == 404
    assert runtime.records.get("customer", theirs.id)["region"] is None
    assert runtime.records.get("customer", own.id)["region"] == "华北"


def test_credit_rating_is_read_only_for_account_managers(as_role, crm, runtime) -> None:
    manager = as_role("account_manager")
    own = crm.customer("甲", owner=manager.user)
    html = manager.get("/r/customer/board?by=credit_rating").get_data(as_text=True)
    assert "board-readonly" in Page(html).ids
    assert move(manager, own, "AAA", field="credit_rating").status_code == 422
    assert runtime.records.get("customer", own.id)["credit_rating"] is None


def test_a_role_that_cannot_read_gets_403(as_role) -> None:
    assert as_role(None).get("/r/customer/board").status_code == 403
