"""The detail page of a record: fields by section, actions by permission, related lists, the
audit history, grades and manual grades, file downloads, delete, and 404 out of scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from formwork import create_app
from formwork.app import runtime_of
from formwork.auth.passwords import Passwords
from formwork.metamodel.fieldtypes import Upload
from formwork.store.grade_history import grade_state
from formwork.store.schema_sync import apply_sync
from tests.packages import write_package
from tests.pages import Page
from tests.views.conftest import CHEAP

PDF = Upload("资质证书.pdf", "application/pdf", b"%PDF-1.7 test")
GRADING = "customer_grade"


def page_of(client: Any, path: str, **kwargs: Any) -> Page:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, (path, response.status_code)
    return Page(response.get_data(as_text=True))


def history_of(client: Any, path: str) -> Page:
    """The history partial, as htmx loads it."""
    return page_of(client, f"{path}/history", headers={"HX-Request": "true"})


def entries(page: Page) -> list[str]:
    """The texts of the history entries, newest first."""
    ids = [i for i in page.ids if i.startswith("history-") and i[8:].isdigit()]
    return [page.text(i) for i in sorted(ids, key=lambda i: -int(i[8:]))]


# -- fields and actions ------------------------------------------------------------------
def test_fields_show_by_the_forms_sections_with_formatted_values(as_role, crm) -> None:
    admin = as_role("admin")
    customer = crm.customer(
        "华东建工", owner=admin.user, annual_amount="3000000", region="华东", notes="第一行"
    )
    page = page_of(admin, f"/r/customer/{customer.id}")
    assert page.text("page-title") == "华东建工"
    assert [page.text(f"section-{i}") for i in (1, 2, 5)] == [
        "Basics",
        "Grading inputs",
        "Files and notes",
    ]
    assert page.text("field-region") == "East"
    assert page.text("field-annual_amount") == "¥3,000,000.00"
    assert page.text("field-account_manager") == admin.user.display_name
    assert page.text("field-notes") == "第一行"


def test_hidden_fields_appear_nowhere(as_role, crm) -> None:
    support = as_role("tech_support")
    customer = crm.customer("甲", annual_amount="3456789", max_single_contract="1234567")
    path = f"/r/customer/{customer.id}"
    html = support.get(path).get_data(as_text=True)
    history = support.get(f"{path}/history").get_data(as_text=True)
    page = Page(html)
    assert "field-annual_amount" not in page.ids and "field-max_single_contract" not in page.ids
    for text in ("3,456,789", "3456789", "1,234,567", "Annual contract amount"):
        assert text not in html and text not in history
    # The contract-value dimension reads the hidden amount: its points show, its value not.
    assert page.text(f"grade-{GRADING}-dim-1").split()[:3] == ["Contract", "value", "hidden"]


def test_actions_are_offered_only_to_those_who_may_take_them(as_role, crm) -> None:
    admin, manager, support = as_role("admin"), as_role("account_manager"), as_role("tech_support")
    customer = crm.customer("甲", owner=manager.user)
    path = f"/r/customer/{customer.id}"
    assert {"action-edit", "action-delete"} <= page_of(admin, path).ids
    mine = page_of(manager, path)
    assert "action-edit" in mine.ids and "action-delete" not in mine.ids  # no delete right
    assert "record-actions" not in page_of(support, path).ids
    assert f'href="{path}/edit"' in admin.get(path).get_data(as_text=True)


def test_a_row_scope_limits_the_actions_on_one_record(as_role, crm, runtime) -> None:
    """Account managers may read every contact but change only the ones they created."""
    manager = as_role("account_manager")
    customer = crm.customer("甲")
    theirs = crm.contact("张三", customer)
    mine = runtime.records.create(
        "contact", {"name": "李四", "customer": customer.id, "level": "技术"}, manager.user.id
    )
    assert "action-edit" not in page_of(manager, f"/r/contact/{theirs.id}").ids
    assert {"action-edit", "action-delete"} <= page_of(manager, f"/r/contact/{mine.id}").ids


# -- related lists -----------------------------------------------------------------------
def test_related_contacts_are_listed_with_a_count_and_links(as_role, crm) -> None:
    admin, support = as_role("admin"), as_role("tech_support")
    customer = crm.customer("甲")
    other = crm.customer("乙")
    for i in range(12):
        crm.contact(f"联系人{i:02}", customer)
    crm.contact("别人的", other)
    page = page_of(admin, f"/r/customer/{customer.id}")
    assert page.text("related-contacts-count") == "12"
    rows = [i for i in page.ids if i.startswith("related-contacts-") and i[17:].isdigit()]
    assert len(rows) == 10
    html = admin.get(f"/r/customer/{customer.id}").get_data(as_text=True)
    assert f'href="/r/contact/?customer={customer.id}"' in html
    assert f'href="/r/contact/new?customer={customer.id}"' in html
    assert "别人的" not in html
    # Technical support may read contacts but not create them.
    assert "related-contacts-new" not in page_of(support, f"/r/customer/{customer.id}").ids


# -- history -----------------------------------------------------------------------------
def test_the_history_shows_who_changed_what_from_old_to_new(as_role, crm, runtime) -> None:
    admin = as_role("admin", name="wang")
    customer = crm.customer("甲", region="华北")
    runtime.records.update(
        "customer", customer.id, {"name": "乙", "region": "华南"}, customer.version, admin.user.id
    )
    page = history_of(admin, f"/r/customer/{customer.id}")
    newest = entries(page)[0]
    assert newest.startswith("wang changed")
    assert "Name 甲 → 乙" in newest and "Region North → South" in newest
    assert entries(page)[-1].startswith("System created the record")


def test_the_history_pages_through_older_entries(as_role, crm, runtime) -> None:
    admin = as_role("admin")
    customer = crm.customer("甲")
    version = customer.version
    for i in range(24):
        changed = runtime.records.update("customer", customer.id, {"address": f"{i}号"}, version)
        version = changed.version
    path = f"/r/customer/{customer.id}"
    first = history_of(admin, path)
    assert len(entries(first)) == 20 and "22号 → 23号" in entries(first)[0]
    html = admin.get(f"{path}/history", headers={"HX-Request": "true"}).get_data(as_text=True)
    before = html.split("history?before=")[1].split('"')[0].removesuffix("#history")
    partial = admin.get(f"{path}/history?before={before}", headers={"HX-Request": "true"})
    older = Page(partial.get_data(as_text=True))
    assert len(entries(older)) == 5 and entries(older)[-1].startswith("System created")
    assert "history?before=" not in partial.get_data(as_text=True), "nothing older is left"
    # Without htmx the same link is the whole page with those entries in it.
    full = page_of(admin, f"{path}/history?before={before}")
    assert "page-title" in full.ids and len(entries(full)) == 5


def test_the_history_loads_lazily_with_a_plain_link(as_role, crm) -> None:
    admin = as_role("admin")
    customer = crm.customer("甲")
    html = admin.get(f"/r/customer/{customer.id}").get_data(as_text=True)
    assert f'href="/r/customer/{customer.id}/history#history"' in html
    assert 'hx-trigger="revealed' in html


# -- grades ------------------------------------------------------------------------------
def test_the_grade_is_explained_and_its_changes_listed(as_role, crm, runtime) -> None:
    admin = as_role("admin")
    customer = crm.customer("甲", annual_amount="3000000", complexity=3)
    runtime.records.update(
        "customer", customer.id, {"annual_amount": "25000000"}, customer.version, admin.user.id
    )
    html = admin.get(f"/r/customer/{customer.id}").get_data(as_text=True)
    page = Page(html)
    g = f"grade-{GRADING}"
    assert page.text(f"{g}-value") == "A – strategic account"
    assert f'class="grade chip chip-red" id="{g}-value"' in html, "the grade option's colour"
    assert page.text(f"{g}-strategy").startswith("Strategy: Dedicated account team")
    assert "at least A – strategic account" in page.text(f"{g}-override")
    assert "Key account" in page.text(f"{g}-override")
    assert page.text(f"{g}-score-grade") == "The score alone gives C – standard account."
    # Contract value: 25M reaches the top band (100 points) at a weight of 35 %.
    assert page.text(f"{g}-dim-1") == "Contract value 25,000,000 100 35 % 35"
    changes = page.text(f"{g}-history")
    assert "C → A" in changes and "— → C" in changes and "Record edited" in changes


def test_a_manual_grade_is_set_and_cleared_by_someone_who_may_update(as_role, crm) -> None:
    commercial = as_role("commercial", name="liu")
    customer = crm.customer("甲")
    path = f"/r/customer/{customer.id}"
    last_day = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    response = commercial.post_form(
        f"{path}/grade",
        {"grading": GRADING, "grade": "A", "reason": "战略合作", "expires_on": last_day},
    )
    assert response.status_code == 302 and response.location.endswith(f"{path}#grades")
    page = page_of(commercial, path)
    g = f"grade-{GRADING}"
    assert page.text(f"{g}-value") == "A – strategic account"
    manual = page.text(f"{g}-manual")
    assert "liu" in manual and "战略合作" in manual and last_day in manual
    assert "Manual grade" in page.text(f"{g}-history")

    response = commercial.post_form(f"{path}/grade", {"grading": GRADING, "action": "clear"})
    assert response.status_code == 302
    page = page_of(commercial, path)
    assert f"{g}-manual" not in page.ids and page.text(f"{g}-value") == "C – standard account"


@pytest.mark.parametrize("role", ["tech_support", "executive"])
def test_a_manual_grade_is_refused_without_write_permission(as_role, crm, runtime, role) -> None:
    client = as_role(role)
    customer = crm.customer("甲")
    path = f"/r/customer/{customer.id}"
    assert f"grade-{GRADING}-form" not in page_of(client, path).ids
    response = client.post_form(
        f"{path}/grade", {"grading": GRADING, "grade": "A", "reason": "想要"}
    )
    assert response.status_code == 403
    state = grade_state(runtime.records, GRADING, customer.id, None, runtime.records.clock())
    assert state.manual is None


@pytest.mark.parametrize(
    ("data", "status", "error_field"),
    [
        ({"grade": "Z", "reason": "x"}, 422, "grade"),
        ({"grade": "A", "reason": "  "}, 422, "reason"),
        ({"grade": "A", "reason": "x" * 2001}, 422, "reason"),
        ({"grade": "A", "reason": "x", "expires_on": "next week"}, 422, "expires"),
        ({"grade": "A", "reason": "x", "expires_on": "2000-01-01"}, 422, "expires"),
        ({"grade": "A", "reason": "x", "expires_on": "9999-12-31"}, 422, "expires"),
        ({"grade": "A", "reason": "x", "expires_on": "2025-02-30"}, 422, "expires"),
        ({"grade": "A", "reason": "x", "grading": "nope"}, 400, None),
        ({"grade": "A", "reason": "x", "action": "explode"}, 400, None),
    ],
)
def test_bad_manual_grades_are_refused_with_the_reason(
    as_role, crm, runtime, data, status, error_field
) -> None:
    admin = as_role("admin")
    customer = crm.customer("甲")
    response = admin.post_form(f"/r/customer/{customer.id}/grade", {"grading": GRADING, **data})
    assert response.status_code == status
    if error_field is not None:
        page = Page(response.get_data(as_text=True))
        assert f"grade-{GRADING}-{error_field}-error" in page.ids
        assert f'value="{data.get("expires_on", "")}"' in response.get_data(as_text=True)
    state = grade_state(runtime.records, GRADING, customer.id, None, runtime.records.clock())
    assert state.manual is None


# -- delete ------------------------------------------------------------------------------
def test_delete_asks_first_then_deletes_and_returns_to_the_list(as_role, crm, runtime) -> None:
    admin = as_role("admin")
    customer = crm.customer("甲")
    path = f"/r/customer/{customer.id}"
    confirm = page_of(admin, f"{path}/delete")
    form = confirm.form(f"{path}/delete")
    assert form.method == "post" and form.fields["version"] == str(customer.version)
    response = admin.post(f"{path}/delete", data=form.fields)
    assert response.status_code == 302 and response.location == "/r/customer/"
    assert 'class="notice" role="status"' in admin.get("/r/customer/").get_data(as_text=True)
    assert admin.get(path).status_code == 404


def test_a_stale_delete_is_refused_and_nothing_is_deleted(as_role, crm, runtime) -> None:
    admin = as_role("admin")
    customer = crm.customer("甲")
    path = f"/r/customer/{customer.id}"
    form = page_of(admin, f"{path}/delete").form(f"{path}/delete")
    runtime.records.update("customer", customer.id, {"region": "华北"}, customer.version)
    response = admin.post(f"{path}/delete", data=form.fields)
    assert response.status_code == 409
    page = Page(response.get_data(as_text=True))
    assert "Someone changed this record" in page.text("delete-problems")
    assert page.form(f"{path}/delete").fields["version"] == str(customer.version + 1)
    assert runtime.records.get("customer", customer.id)["region"] == "华北"


@pytest.mark.parametrize("version", ["", "abc", "1.5", "-"])
def test_a_garbage_version_is_a_bad_request(as_role, crm, runtime, version) -> None:
    admin = as_role("admin")
    customer = crm.customer("甲")
    response = admin.post_form(f"/r/customer/{customer.id}/delete", {"version": version})
    assert response.status_code == 400
    assert runtime.records.get("customer", customer.id).id == customer.id


@pytest.mark.parametrize("role", ["tech_support", "account_manager"])
def test_delete_is_forbidden_to_roles_without_the_right(as_role, crm, runtime, role) -> None:
    client = as_role(role)
    customer = crm.customer("甲", owner=client.user)
    path = f"/r/customer/{customer.id}"
    assert client.get(f"{path}/delete").status_code == 403
    response = client.post_form(f"{path}/delete", {"version": customer.version})
    assert response.status_code == 403
    assert runtime.records.get("customer", customer.id).id == customer.id


# -- files -------------------------------------------------------------------------------
def test_an_attachment_downloads_under_its_name(as_role, crm) -> None:
    admin = as_role("admin")
    customer = crm.customer("甲", qualification_files=[PDF])
    [item] = customer["qualification_files"]
    url = f"/r/customer/{customer.id}/files/qualification_files/{item['id']}"
    assert f'href="{url}"' in admin.get(f"/r/customer/{customer.id}").get_data(as_text=True)
    with admin.get(url) as response:
        assert response.status_code == 200 and response.data == PDF.data
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "filename*=UTF-8''%E8%B5%84%E8%B4%A8" in response.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "tail",
    [
        "qualification_files/0123456789abcdef",
        "notes/{id}",
        "nope/{id}",
        "qualification_files.x/{id}",
        "qualification_files/..%2F..%2Fetc%2Fpasswd",
        "qualification_files/{id}/../../../etc/passwd",
    ],
)
def test_unknown_files_are_not_found(as_role, crm, tail) -> None:
    admin = as_role("admin")
    customer = crm.customer("甲", qualification_files=[PDF])
    file_id = customer["qualification_files"][0]["id"]
    response = admin.get(f"/r/customer/{customer.id}/files/{tail.format(id=file_id)}")
    assert response.status_code == 404


# -- permissions and garbage on every route ----------------------------------------------
def routes(record_id: Any, file_id: str = "x") -> Iterator[tuple[str, str]]:
    base = f"/r/customer/{record_id}"
    yield "get", base
    yield "get", f"{base}/history"
    yield "get", f"{base}/delete"
    yield "post", f"{base}/delete"
    yield "post", f"{base}/grade"
    yield "get", f"{base}/files/qualification_files/{file_id}"


def call(client: Any, method: str, path: str) -> int:
    if method == "get":
        return client.get(path).status_code
    data = {"version": "1", "grading": GRADING, "grade": "A", "reason": "x"}
    return client.post_form(path, data).status_code


def test_every_route_is_not_found_out_of_scope(as_role, crm, runtime) -> None:
    mine, other = as_role("account_manager"), as_role("account_manager")
    customer = crm.customer("甲", owner=other.user, qualification_files=[PDF])
    file_id = customer["qualification_files"][0]["id"]
    for method, path in routes(customer.id, file_id):
        assert call(mine, method, path) == 404, path
    assert runtime.records.get("customer", customer.id).version == customer.version


@pytest.mark.parametrize("record_id", ["0", "-1", "abc", "1.5", "99999999999999999999999"])
def test_garbage_ids_are_not_found(as_role, record_id) -> None:
    admin = as_role("admin")
    for method, path in routes(record_id):
        assert call(admin, method, path) == 404, path
    assert admin.get("/r/nope/1").status_code == 404


# -- an app with a child table, files on rows, a condition and a restricting link ------------
PROJECTS: dict[str, dict[str, Any]] = {
    "project": {
        "title": "name",
        "fields": {
            "name": {"type": "text", "required": True},
            "closed": {"type": "boolean", "default": False},
            "closed_on": {"type": "date", "visible_when": "closed"},
            "milestones": {"type": "table", "to": "milestone"},
        },
        "related": {"tasks": {"entity": "task", "via": "project"}},
    },
    "milestone": {
        "child_of": "project",
        "fields": {
            "title": {"type": "text", "required": True},
            "amount": {"type": "money"},
            "report": {"type": "attachment"},
        },
    },
    "task": {
        "title": "name",
        "fields": {
            "name": {"type": "text", "required": True},
            "project": {"type": "link", "to": "project"},
        },
    },
}


class TestAnAppWithChildTables:
    @pytest.fixture
    def app(self, tmp_path: Path) -> Iterator[Flask]:
        package = write_package(
            tmp_path, PROJECTS, app={"roles": {"admin": {"label": {"en": "Admin"}}}}
        )
        flask_app = create_app({"instance": tmp_path / "instance", "package": package})
        runtime = runtime_of(flask_app)
        apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=tmp_path)
        flask_app.extensions["formwork_users"].passwords = Passwords(CHEAP)
        yield flask_app
        runtime.close()

    def project(self, runtime: Any, **values: Any) -> Any:
        rows = [
            {"title": "设计", "amount": "1200.5", "report": [PDF]},
            {"title": "施工", "amount": "800"},
        ]
        return runtime.records.create("project", {"name": "一号楼", "milestones": rows, **values})

    def test_rows_show_as_a_table_with_their_files(self, as_role, runtime) -> None:
        admin = as_role("admin")
        project = self.project(runtime)
        page = page_of(admin, f"/r/project/{project.id}")
        table = page.text("table-milestones")
        assert "设计 ¥1,200.50 资质证书.pdf" in table and "施工 ¥800.00" in table
        report = project["milestones"][0]["report"][0]
        url = f"/r/project/{project.id}/files/milestones.report/{report['id']}"
        with admin.get(url) as response:
            assert response.status_code == 200 and response.data == PDF.data
        assert admin.get(f"/r/project/{project.id}/files/milestones.title/x").status_code == 404

    def test_a_field_shows_only_while_its_condition_holds(self, as_role, runtime) -> None:
        admin = as_role("admin")
        project = self.project(runtime)
        assert "field-closed_on" not in page_of(admin, f"/r/project/{project.id}").ids
        runtime.records.update(
            "project", project.id, {"closed": True, "closed_on": "2025-03-01"}, project.version
        )
        assert page_of(admin, f"/r/project/{project.id}").text("field-closed_on") == "2025-03-01"

    def test_row_changes_are_summarized_in_the_history(self, as_role, runtime) -> None:
        admin = as_role("admin")
        project = self.project(runtime)
        first, second = (r["id"] for r in project["milestones"])
        rows = [{"id": first, "title": "方案设计"}, {"id": second}, {"title": "验收"}]
        changed = runtime.records.update(
            "project", project.id, {"milestones": rows}, project.version
        )
        runtime.records.update(
            "project", project.id, {"milestones": [{"id": first}]}, changed.version
        )
        newest, before = entries(history_of(admin, f"/r/project/{project.id}"))[:2]
        assert "milestones 2 rows removed" in newest
        assert "milestones 1 row added, 1 row changed" in before

    def test_a_record_still_in_use_is_not_deleted(self, as_role, runtime) -> None:
        admin = as_role("admin")
        project = self.project(runtime)
        for name in ("甲", "乙"):
            runtime.records.create("task", {"name": name, "project": project.id})
        path = f"/r/project/{project.id}"
        assert page_of(admin, path).text("related-tasks-count") == "2"
        response = admin.post_form(f"{path}/delete", {"version": project.version})
        assert response.status_code == 422
        assert "Still used by 2" in Page(response.get_data(as_text=True)).text("delete-problems")
        assert runtime.records.get("project", project.id).id == project.id
