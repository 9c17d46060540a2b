"""The generated create and edit forms: widgets, round trips, errors by field, live checks,
child rows, files, version conflicts and permissions — and never a 500 for bad input.

Most tests use a test-only app with a field of every type (`form_packages`); the grade
preview and the permissions per role use the reference app.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from formwork import create_app
from formwork.app import runtime_of
from formwork.auth.passwords import Passwords
from formwork.metamodel import App, load_app
from formwork.store.schema_sync import apply_sync
from formwork.views.records.form_input import PostedForm, form_values, read_form
from tests.pages import sign_in
from tests.views.conftest import CHEAP, PASSWORD, SignedIn
from tests.views.form_packages import job_package

SHANGHAI = ZoneInfo("Asia/Shanghai")


# -- reading pages ------------------------------------------------------------------------------
class Html(HTMLParser):
    """Elements by id with their attributes, and what a browser would submit for each name."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str | None]] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.values: MultiDict[str, str] = MultiDict()
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[str | None] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        self.tags.append((tag, attr))
        if attr.get("id"):
            self.by_id[attr["id"] or ""] = {"tag": tag, **attr}
            self.texts.setdefault(attr["id"] or "", [])
        name = attr.get("name") or ""
        if tag == "input" and name and attr.get("type") not in ("submit", "file"):
            kind = attr.get("type") or "text"
            if kind not in ("checkbox", "radio") or "checked" in attr:
                self.values.add(name, attr.get("value") or "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attr:
            self.values.add(self._select, attr.get("value") or "")
        elif tag == "textarea":
            self._textarea, self._text = name, []
        if tag not in ("input", "br", "meta", "link", "hr", "img"):
            self._open.append(attr.get("id"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea" and self._textarea:
            self.values.add(self._textarea, "".join(self._text))
            self._textarea = None
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)
        for element_id in self._open:
            if element_id:
                self.texts[element_id].append(data)

    def text(self, element_id: str) -> str:
        return " ".join(" ".join(self.texts.get(element_id, [])).split())

    def named(self, name: str) -> list[dict[str, str | None]]:
        return [{"tag": t, **a} for t, a in self.tags if a.get("name") == name]


def html(response: Any) -> Html:
    return Html(response.get_data(as_text=True))


def form_data(page: Html, **changes: Any) -> dict[str, Any]:
    """What submitting the page's form sends, with `changes` (lists for many values)."""
    data: dict[str, Any] = {k: v if len(v) > 1 else v[0] for k, v in page.values.lists()}
    data.pop("csrf_token", None)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# -- the test-only app --------------------------------------------------------------------------
@pytest.fixture
def jobs(tmp_path: Path) -> Iterator[Flask]:
    flask_app = create_app(
        {"instance": tmp_path, "package": job_package(tmp_path), "timezone": "Asia/Shanghai"}
    )
    runtime = runtime_of(flask_app)
    apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=tmp_path)
    flask_app.extensions["formwork_users"].passwords = Passwords(CHEAP)
    flask_app.test_client_class = SignedIn
    yield flask_app
    runtime.close()


def signed_in(app: Flask, username: str, role: str, display_name: str | None = None) -> SignedIn:
    user = app.extensions["formwork_users"].create(
        username, display_name or username.title(), PASSWORD, [role]
    )
    client = app.test_client()
    assert isinstance(client, SignedIn)
    assert sign_in(client, username, PASSWORD).status_code == 303
    client.user = user
    return client


@pytest.fixture
def worker(jobs: Flask) -> SignedIn:
    return signed_in(jobs, "wendy", "worker", "Wendy Woo")


@pytest.fixture
def job_app(tmp_path: Path) -> App:
    return load_app(job_package(tmp_path / "model"))


def service(app: Flask) -> Any:
    return runtime_of(app).records


def site(app: Flask, name: str) -> int:
    return service(app).create("site", {"name": name}).id


def job(app: Flask, **values: Any) -> Any:
    return service(app).create("job", {"title": "Roof", **values})


# == the wire format: posted forms → service input ==============================================
def read(app: App, values: dict[str, Any], files: MultiDict | None = None) -> PostedForm:
    ent = app.entity("job")
    posted = MultiDict()
    for key, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            posted.add(key, item)
    fields = [f for f in ent.fields.values() if f.writable]
    return read_form(app, ent, fields, posted, files or MultiDict(), SHANGHAI)


def test_blanks_are_none_and_groups_are_lists(job_app: App) -> None:
    data = read(job_app, {"title": "Roof", "notes": "  ", "tags": ["red", "", "blue"]}).data
    assert data["title"] == "Roof" and data["notes"] is None and data["crew"] is None
    assert data["tags"] == ["red", "blue"]
    assert data["urgent"] is False, "an unchecked box is sent as no, not left out"
    assert read(job_app, {"urgent": "true"}).data["urgent"] is True


def test_local_times_become_utc(job_app: App) -> None:
    data = read(job_app, {"meeting_at": "2026-05-01T10:30"}).data
    assert data["meeting_at"] == dt.datetime(2026, 5, 1, 2, 30, tzinfo=dt.UTC)
    assert read(job_app, {"meeting_at": "soon"}).data["meeting_at"] == "soon", (
        "the service says why"
    )


def test_rows_are_listed_in_form_order_without_blank_or_removed_ones(job_app: App) -> None:
    posted = read(
        job_app,
        {
            "tasks[0].id": "11",
            "tasks[0].title": "Scaffold",
            "tasks[3].id": "",
            "tasks[3].title": "",  # a new row left blank
            "tasks[5].id": "12",
            "tasks[5]._delete": "1",
            "tasks[5].title": "Gone",
            "tasks[7].id": "",
            "tasks[7].title": "Tiles",
            "tasks[7].hours": "2.5",
            "tasks[7].done": "true",
        },
    )
    assert posted.data["tasks"] == [
        {
            "id": "11",
            "title": "Scaffold",
            "due_on": None,
            "hours": None,
            "owner": None,
            "done": False,
        },
        {"title": "Tiles", "due_on": None, "hours": "2.5", "owner": None, "done": True},
    ]
    assert posted.positions["tasks"] == [0, 7]
    errors = posted.form_errors({"tasks[1].hours": ["x"], "tasks[0].id": ["y"], "tasks": ["z"]})
    assert errors == {"tasks[7].hours": ["x"], "tasks[0].id": ["y"], "tasks": ["z"]}


def test_a_link_typed_as_text_waits_for_a_search(job_app: App) -> None:
    kept = read(job_app, {"site": "4", "site__q": "Harbour", "site__t": "Harbour"})
    assert kept.data["site"] == "4" and not kept.pending
    cleared = read(job_app, {"site": "4", "site__q": " ", "site__t": "Harbour"})
    assert cleared.data["site"] is None
    typed = read(job_app, {"site": "4", "site__q": "Dock", "site__t": "Harbour"})
    assert typed.data["site"] is None
    assert [(p.key, p.target, p.text) for p in typed.pending] == [("site", "site", "Dock")]
    typed.resolve("site", 9)
    assert typed.data["site"] == 9


def test_files_keep_what_is_not_removed_and_add_uploads(job_app: App) -> None:
    from werkzeug.datastructures import FileStorage

    upload = FileStorage(io.BytesIO(b"hello"), filename="a.txt", content_type="text/plain")
    posted = read(
        job_app,
        {"files__present": "1", "files__keep": ["f1", "f2"], "files__remove": "f2"},
        MultiDict([("files", upload)]),
    )
    kept, new = posted.data["files"]
    assert kept == {"id": "f1"}
    assert (new.filename, new.content_type, new.data) == ("a.txt", "text/plain", b"hello")
    assert "files" not in read(job_app, {}).data, "no file input on the form: files untouched"


def test_other_fields_posted_go_to_the_service_to_be_refused(job_app: App) -> None:
    ent = job_app.entity("job")
    posted = MultiDict([("title", "T"), ("total", "5"), ("csrf_token", "x"), ("nope", "1")])
    data = read_form(job_app, ent, [ent.fields["title"]], posted, MultiDict(), SHANGHAI).data
    assert data == {"title": "T", "total": "5"}


def test_stored_values_round_trip_through_the_inputs(job_app: App) -> None:
    ent = job_app.entity("job")
    stored = {
        "title": "Roof",
        "budget": Decimal("1200.50"),
        "urgent": True,
        "start_on": dt.date(2026, 3, 1),
        "meeting_at": dt.datetime(2026, 5, 1, 2, 30, tzinfo=dt.UTC),
        "tags": ["red"],
        "stars": 4,
        "site": 3,
        "tasks": [{"id": 5, "title": "Scaffold", "hours": Decimal("1.5"), "done": False}],
    }
    fields = [f for f in ent.fields.values() if f.writable]
    values = form_values(job_app, fields, stored, SHANGHAI)
    assert values["meeting_at"] == "2026-05-01T10:30"
    data = read_form(job_app, ent, fields, values, MultiDict(), SHANGHAI).data
    assert data["budget"] == "1200.50" and data["start_on"] == "2026-03-01"
    assert data["meeting_at"] == stored["meeting_at"]
    assert data["urgent"] is True and data["tags"] == ["red"] and data["stars"] == "4"
    assert data["site"] == "3"
    assert data["tasks"] == [
        {
            "id": "5",
            "title": "Scaffold",
            "due_on": None,
            "hours": "1.5",
            "owner": None,
            "done": False,
        }
    ]


# == pages ======================================================================================
WIDGETS = {
    # element id → (tag, attributes it must have)
    "f-title": ("input", {"type": "text", "name": "title", "aria-required": "true"}),
    "f-notes": ("textarea", {"name": "notes"}),
    "f-body": ("textarea", {"name": "body", "data-richtext": None}),
    "f-crew": ("input", {"inputmode": "numeric", "data-min": "1", "data-max": "50"}),
    "f-weight": ("input", {"inputmode": "decimal"}),
    "f-budget": ("input", {"inputmode": "decimal", "data-min": "0"}),
    "f-margin": ("input", {"inputmode": "decimal"}),
    "f-urgent": ("input", {"type": "checkbox", "value": "true"}),
    "f-start_on": ("input", {"type": "date"}),
    "f-meeting_at": ("input", {"type": "datetime-local"}),
    "f-kind": ("select", {"name": "kind"}),
    "f-stage": ("span", {"class": "chips"}),
    "f-tags": ("span", {"class": "chips"}),
    "f-stars": ("span", {"class": "stars"}),
    "f-email": ("input", {"type": "email"}),
    "f-phone": ("input", {"type": "tel"}),
    "f-website": ("input", {"type": "url"}),
    "f-site": ("input", {"role": "combobox", "name": "site__q", "aria-controls": "lb-site"}),
    "f-lead": ("input", {"role": "combobox", "name": "lead__q"}),
    "f-files": ("input", {"type": "file", "name": "files", "multiple": None}),
    "rows-tasks": ("tbody", {}),
    "value-number": ("div", {"class": "field-value"}),
    "value-total": ("div", {"class": "field-value"}),
}


def test_every_field_type_has_its_widget(worker: SignedIn) -> None:
    response = worker.get("/r/job/new")
    assert response.status_code == 200
    page = html(response)
    for element_id, (tag, attrs) in WIDGETS.items():
        element = page.by_id.get(element_id)
        assert element is not None, element_id
        assert element["tag"] == tag, element_id
        for name, value in attrs.items():
            assert name in element, (element_id, name)
            assert value is None or element[name] == value, (element_id, name, element[name])
    assert [o.get("value") for o in page.named("stage")] == ["open", "won", "lost", ""]
    assert [o.get("value") for o in page.named("stars")] == ["5", "4", "3", "2", "1", ""]
    assert page.by_id["label-title"]["for"] == "f-title"
    assert page.text("help-title") == "Short name"
    assert "help-title" in (page.by_id["f-title"]["aria-describedby"] or "")
    assert not page.named("total") and not page.named("number"), "read-only: shown, not sent"
    assert page.by_id["record-form"]["enctype"] == "multipart/form-data"


def test_labels_and_descriptions_point_at_elements_that_exist(
    jobs: Flask, worker: SignedIn
) -> None:
    record = job(jobs, tasks=[{"title": "a"}])
    for path in ["/r/job/new", f"/r/job/{record.id}/edit"]:
        page = html(worker.get(path))
        ids = Counter(a["id"] for _tag, a in page.tags if a.get("id"))
        assert [i for i, n in ids.items() if n > 1] == [], "ids are unique"
        described = {d for _t, a in page.tags for d in (a.get("aria-describedby") or "").split()}
        labelled = {a["for"] for t, a in page.tags if t == "label" and a.get("for")}
        assert described - set(ids) == set() and labelled - set(ids) == set()


def test_every_value_round_trips(jobs: Flask, worker: SignedIn) -> None:
    harbour = site(jobs, "Harbour")
    page = html(worker.get("/r/job/new"))
    sent = form_data(
        page,
        title="Roof",
        notes="line one\nline two",
        body="<p>Hi <strong>there</strong><script>x()</script></p>",
        crew="12",
        weight="1.250",
        budget="1,000",
        extras="250.5",
        margin="12.5",
        urgent="true",
        start_on="2026-03-01",
        meeting_at="2026-05-01T10:30",
        stage="open",
        kind="e",
        tags=["red", "blue"],
        stars="4",
        email="a@example.com",
        phone="+86 10 1234 5678",
        website="https://example.com",
        site=str(harbour),
        site__q="Harbour",
        site__t="Harbour",
        lead=str(worker.user.id),
        lead__q="Wendy Woo",
        lead__t="Wendy Woo",
        **{"tasks[0].id": "", "tasks[0].title": "Scaffold", "tasks[0].hours": "1.5"},
    )
    response = worker.post_form("/r/job/new", sent)
    assert response.status_code == 303, html(response).text("form-errors")
    record_id = int(response.location.rsplit("/", 1)[1])
    record = service(jobs).get("job", record_id)
    assert record["body"] == "<p>Hi <strong>there</strong></p>"
    assert record["budget"] == Decimal("1000.00") and record["total"] == Decimal("1250.50")
    assert record["meeting_at"] == dt.datetime(2026, 5, 1, 2, 30, tzinfo=dt.UTC)
    assert record["tags"] == ["red", "blue"] and record["urgent"] is True
    assert record["tasks"][0]["title"] == "Scaffold"
    again = html(worker.get(f"/r/job/{record_id}/edit"))
    shown = form_data(again)
    for key in (
        "title",
        "notes",
        "crew",
        "weight",
        "start_on",
        "meeting_at",
        "stage",
        "kind",
        "tags",
        "stars",
        "email",
        "phone",
        "website",
        "site",
        "lead",
    ):
        assert shown[key] == sent[key], key
    assert shown["body"] == "<p>Hi <strong>there</strong></p>"
    assert shown["budget"] == "1000.00" and shown["margin"] == "12.50"
    assert shown["urgent"] == "true"
    assert shown["site__q"] == "Harbour" and shown["lead__q"] == "Wendy Woo"
    assert shown["tasks[0].title"] == "Scaffold" and shown["tasks[0].id"].isdigit()
    assert again.text("value-total") == "¥1,250.50"
    saved = worker.post_form(f"/r/job/{record_id}/edit", shown)
    assert saved.status_code == 303
    assert service(jobs).get("job", record_id).version == record.version, "nothing changed"


def test_a_refused_create_shows_errors_by_field_and_keeps_the_input(worker: SignedIn) -> None:
    page = html(worker.get("/r/job/new"))
    response = worker.post_form(
        "/r/job/new", form_data(page, title="", crew="many", notes="keep me", tags=["green"])
    )
    assert response.status_code == 422
    again = html(response)
    assert again.text("err-title") == "This field is required."
    assert again.text("err-crew") == "Not a whole number."
    assert again.by_id["f-crew"]["aria-invalid"] == "true"
    assert "err-crew" in (again.by_id["f-crew"]["aria-describedby"] or "")
    assert again.values["crew"] == "many" and again.values["notes"] == "keep me"
    assert again.values.getlist("tags") == ["green"]
    assert "crew: Not a whole number." in again.text("form-errors"), "labelled in the summary"
    fixed = worker.post_form("/r/job/new", form_data(again, title="Roof", crew="3"))
    assert fixed.status_code == 303 and re.fullmatch(r"/r/job/\d+", fixed.location)
    assert "Record created." in worker.get(fixed.location).get_data(as_text=True)


def test_a_validation_rule_shows_at_its_field(as_role) -> None:
    client = as_role("admin")
    data = {
        "name": "甲",
        "customer_type": "开发商",
        "annual_amount": "10",
        "max_single_contract": "99",
    }
    response = client.post_form("/r/customer/new", data)
    assert response.status_code == 422
    assert html(response).text("err-annual_amount") == "年度合同金额不能小于最大单笔合同金额"


def test_rows_are_added_removed_and_their_errors_sit_in_their_cells(
    jobs: Flask, worker: SignedIn
) -> None:
    record = job(jobs, tasks=[{"title": "One"}, {"title": "Two"}])
    page = html(worker.get(f"/r/job/{record.id}/edit"))
    assert page.values["tasks__next"] == "2"
    added = worker.post_form(
        f"/r/job/{record.id}/edit", form_data(page, _add_row="tasks")
    )  # the no-JS "Add a row": the form again, one blank row more, nothing saved
    assert added.status_code == 200
    page = html(added)
    assert "f-tasks-2-title" in page.by_id
    sent = form_data(
        page,
        **{"tasks[0]._delete": "1", "tasks[2].title": "Three", "tasks[2].hours": "-1"},
    )
    response = worker.post_form(f"/r/job/{record.id}/edit", sent)
    assert response.status_code == 422
    again = html(response)
    assert again.text("err-tasks-2-hours") == "Must be greater than or equal to 0."
    assert again.values["tasks[0]._delete"] == "1", "the choice to remove a row is kept"
    assert service(jobs).get("job", record.id)["tasks"][0]["title"] == "One"
    fixed = worker.post_form(
        f"/r/job/{record.id}/edit", form_data(again, **{"tasks[2].hours": "2"})
    )
    assert fixed.status_code == 303
    assert [t["title"] for t in service(jobs).get("job", record.id)["tasks"]] == ["Two", "Three"]


def test_a_blank_row_comes_with_the_next_index(worker: SignedIn) -> None:
    response = worker.get("/r/job/form-row/tasks?tasks__next=4")
    page = html(response)
    assert "row-tasks-4" in page.by_id and "f-tasks-4-title" in page.by_id
    assert page.by_id["next-tasks"]["value"] == "5"
    assert page.by_id["next-tasks"]["hx-swap-oob"] == "true"
    assert worker.get("/r/job/form-row/title").status_code == 404
    assert worker.get("/r/job/form-row/tasks?index=abc").status_code == 200


def test_files_are_uploaded_listed_and_removed(jobs: Flask, worker: SignedIn) -> None:
    page = html(worker.get("/r/job/new"))
    data = form_data(page, title="Roof")
    data["files"] = [(io.BytesIO(b"%PDF-1"), "plan.pdf"), (io.BytesIO(b"notes"), "n.txt")]
    response = worker.post_form("/r/job/new", data, content_type="multipart/form-data")
    assert response.status_code == 303
    record_id = int(response.location.rsplit("/", 1)[1])
    files = service(jobs).get("job", record_id)["files"]
    assert [f["name"] for f in files] == ["plan.pdf", "n.txt"]
    edit = html(worker.get(f"/r/job/{record_id}/edit"))
    assert "plan.pdf" in edit.text("files-files")
    bad = form_data(edit, files__remove=files[0]["id"])
    bad["files"] = [(io.BytesIO(b"MZ"), "tool.exe")]
    refused = worker.post_form(f"/r/job/{record_id}/edit", bad, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "tool.exe is not an allowed type" in html(refused).text("err-files")
    removed = worker.post_form(
        f"/r/job/{record_id}/edit",
        form_data(edit, files__remove=files[0]["id"]),
        content_type="multipart/form-data",
    )
    assert removed.status_code == 303
    assert [f["name"] for f in service(jobs).get("job", record_id)["files"]] == ["n.txt"]


def test_a_link_typed_without_js_is_found_by_its_text(jobs: Flask, worker: SignedIn) -> None:
    harbour = site(jobs, "Harbour")
    site(jobs, "Dock East")
    site(jobs, "Dock West")
    page = html(worker.get("/r/job/new"))
    response = worker.post_form("/r/job/new", form_data(page, title="Roof", site__q="harb"))
    assert response.status_code == 303
    assert service(jobs).get("job", int(response.location.rsplit("/", 1)[1]))["site"] == harbour
    for typed, message in [("Dock", "Several records match"), ("Nowhere", "Nothing matches")]:
        refused = worker.post_form("/r/job/new", form_data(page, title="Roof", site__q=typed))
        assert refused.status_code == 422
        again = html(refused)
        assert message in again.text("err-site") and again.values["site__q"] == typed


def test_the_picker_lists_matches(jobs: Flask, worker: SignedIn) -> None:
    site(jobs, "Harbour")
    site(jobs, "Dock")
    signed_in(jobs, "walter", "worker", "Walter White")
    sites = html(worker.get("/r/site/lookup?q=harb&key=site"))
    assert [a.get("data-title") for t, a in sites.tags if a.get("role") == "option"] == ["Harbour"]
    users = html(worker.get("/r/user/lookup?lead__q=wal&key=lead"))
    assert [a.get("data-title") for t, a in users.tags if a.get("data-id")] == ["Walter White"]
    nothing = worker.get("/r/site/lookup?q=zzz").get_data(as_text=True)
    assert "No matches" in nothing
    assert worker.get("/r/nope/lookup?q=a").status_code == 404


def test_the_picker_sees_only_records_in_scope(as_role, crm) -> None:
    mine, other = as_role("account_manager"), as_role("account_manager")
    crm.customer("甲方", owner=mine.user)
    crm.customer("乙方", owner=other.user)
    page = html(mine.get("/r/customer/lookup?q=方"))
    assert [a.get("data-title") for t, a in page.tags if a.get("data-id")] == ["甲方"]


# == live checks ================================================================================
def live(client: SignedIn, entity: str, data: dict[str, Any]) -> Html:
    response = client.post_form(f"/r/{entity}/form-state", data)
    assert response.status_code == 200
    return html(response)


def test_live_checks_report_only_touched_inputs(worker: SignedIn) -> None:
    page = html(worker.get("/r/job/new"))
    untouched = live(worker, "job", form_data(page, title="", crew="x"))
    assert untouched.text("err-title") == "" and untouched.text("err-crew") == ""
    touched = live(worker, "job", form_data(page, title="", crew="x", _touched="crew"))
    assert touched.text("err-crew") == "Not a whole number." and touched.text("err-title") == ""
    assert touched.by_id["err-crew"]["hx-swap-oob"] == "true"


def test_conditional_fields_follow_the_values_live(worker: SignedIn) -> None:
    page = html(worker.get("/r/job/new"))
    assert "is-hidden" in (page.by_id["state-lost_reason"]["class"] or "")
    lost = live(worker, "job", form_data(page, stage="lost"))
    state = lost.by_id["state-lost_reason"]
    assert "is-hidden" not in (state["class"] or "") and state["data-required"] == "true"
    assert state["hx-swap-oob"] == "true"
    open_again = live(worker, "job", form_data(page, stage="open", lost_reason="price"))
    assert "is-hidden" in (open_again.by_id["state-lost_reason"]["class"] or "")


def test_a_hidden_conditional_field_is_not_sent(jobs: Flask, worker: SignedIn) -> None:
    page = html(worker.get("/r/job/new"))
    response = worker.post_form("/r/job/new", form_data(page, title="A", lost_reason="typed"))
    assert response.status_code == 303
    assert service(jobs).get("job", int(response.location.rsplit("/", 1)[1]))["lost_reason"] is None
    refused = worker.post_form("/r/job/new", form_data(page, title="A", stage="lost"))
    assert refused.status_code == 422
    assert html(refused).text("err-lost_reason") == "This field is required."


def test_computed_fields_are_previewed_live(worker: SignedIn) -> None:
    page = html(worker.get("/r/job/new"))
    preview = live(worker, "job", form_data(page, budget="100", extras="20.5"))
    assert preview.text("value-total") == "¥120.50"
    assert preview.by_id["value-total"]["hx-swap-oob"] == "true"


def test_the_grade_is_previewed_live(as_role) -> None:
    client = as_role("admin")
    page = html(client.get("/r/customer/new"))
    assert "form-preview" in page.by_id
    data = form_data(page, name="甲", customer_type="开发商", annual_amount="30000000")
    preview = live(client, "customer", data)
    assert "A – strategic account" in preview.text("form-preview")
    assert "a rule moved it" in preview.text("form-preview")
    assert preview.text("value-grade") == "A – strategic"
    small = live(client, "customer", form_data(page, annual_amount="1000"))
    assert "C – standard account" in small.text("form-preview")


def test_live_checks_of_an_edit_see_a_stale_version(jobs: Flask, worker: SignedIn) -> None:
    record = job(jobs)
    page = html(worker.get(f"/r/job/{record.id}/edit"))
    service(jobs).update("job", record.id, {"notes": "theirs"}, record.version)
    stale = live(worker, "job", form_data(page, title="Mine", _touched="title"))
    assert "Someone else has changed this record" in stale.text("form-errors")


def test_readonly_when_shows_the_value_and_refuses_a_change(jobs: Flask, worker: SignedIn) -> None:
    record = job(jobs, budget="10", stage="open")
    record = service(jobs).update("job", record.id, {"stage": "won"}, record.version)
    page = html(worker.get(f"/r/job/{record.id}/edit"))
    assert not page.named("budget") and page.text("value-budget") == "¥10.00"
    forged = worker.post_form(f"/r/job/{record.id}/edit", form_data(page, budget="99"))
    assert forged.status_code == 422
    assert "budget: This field cannot be changed now." in html(forged).text("form-errors")
    assert service(jobs).get("job", record.id)["budget"] == Decimal("10.00")


# == version conflicts ==========================================================================
def test_a_conflict_shows_both_values_and_saves_the_choices(jobs: Flask, worker: SignedIn) -> None:
    record = job(jobs, title="Roof", notes="first", crew=2)
    page = html(worker.get(f"/r/job/{record.id}/edit"))
    theirs = service(jobs).update(
        "job", record.id, {"title": "Their roof", "notes": "theirs", "crew": 5}, record.version
    )
    response = worker.post_form(
        f"/r/job/{record.id}/edit", form_data(page, title="My roof", notes="first", crew="3")
    )
    assert response.status_code == 409
    conflict = html(response)
    assert conflict.values["_version"] == str(theirs.version)
    row = conflict.text("conflict-title")
    assert "Their roof" in row and "My roof" in row, "their value and mine, side by side"
    assert conflict.values["_resolve.title"] == "mine", "changed by both: mine by default"
    assert conflict.values["_resolve.notes"] == "theirs", "changed only by them: theirs"
    assert conflict.values["_resolve.crew"] == "mine"
    assert conflict.values["title"] == "My roof", "the user's input is kept"
    saved = worker.post_form(
        f"/r/job/{record.id}/edit", form_data(conflict, **{"_resolve.crew": "theirs"})
    )
    assert saved.status_code == 303
    final = service(jobs).get("job", record.id)
    assert (final["title"], final["notes"], final["crew"]) == ("My roof", "theirs", 5)


def test_a_bad_version_is_refused_at_the_top(jobs: Flask, worker: SignedIn) -> None:
    record = job(jobs)
    page = html(worker.get(f"/r/job/{record.id}/edit"))
    response = worker.post_form(f"/r/job/{record.id}/edit", form_data(page, _version="abc"))
    assert response.status_code == 422
    assert "Not a record version" in html(response).text("form-errors")


# == permissions ================================================================================
def test_creating_needs_the_create_permission(as_role) -> None:
    assert as_role("executive").get("/r/customer/new").status_code == 403
    assert as_role("executive").post_form("/r/customer/new", {"name": "x"}).status_code == 403
    assert as_role("account_manager").get("/r/customer/new").status_code == 200


def test_editing_needs_the_record_in_write_scope(as_role, crm) -> None:
    owner, other = as_role("account_manager"), as_role("account_manager")
    record = crm.customer("甲", owner=owner.user)
    assert owner.get(f"/r/customer/{record.id}/edit").status_code == 200
    assert other.get(f"/r/customer/{record.id}/edit").status_code == 404, "not even readable"
    assert as_role("tech_support").get(f"/r/customer/{record.id}/edit").status_code == 403
    assert as_role("executive").post_form(f"/r/customer/{record.id}/edit", {}).status_code == 403
    assert other.post_form("/r/customer/form-state", {"_id": str(record.id)}).status_code == 404
    assert as_role("admin").get("/r/customer/999/edit").status_code == 404


def test_a_read_only_field_is_a_value_and_a_forged_one_is_refused(as_role, crm) -> None:
    manager = as_role("account_manager")
    record = crm.customer("甲", owner=manager.user, credit_rating="AA")
    page = html(manager.get(f"/r/customer/{record.id}/edit"))
    assert not page.named("credit_rating") and "AA" in page.text("value-credit_rating")
    forged = manager.post_form(f"/r/customer/{record.id}/edit", form_data(page, credit_rating="BB"))
    assert forged.status_code == 422
    assert "This field cannot be written." in html(forged).text("form-errors")


def test_hidden_fields_are_absent_and_refused(jobs: Flask) -> None:
    clerk = signed_in(jobs, "carl", "clerk")
    page = html(clerk.get("/r/job/new"))
    assert "field-budget" not in page.by_id and not page.named("budget")
    assert "value-margin" in page.by_id and not page.named("margin")
    forged = clerk.post_form("/r/job/new", form_data(page, title="T", budget="5"))
    assert forged.status_code == 422
    assert "budget: Unknown field." in html(forged).text("form-errors")


# == garbage in, no 500 =========================================================================
GARBAGE = [
    {"crew": "abc", "stars": "9", "urgent": "maybe", "tags": ["nope"], "stage": "??"},
    {"nope": "1", "id": "5", "version": "x", "created_at": "now", "total": "1"},
    {"crew": "9" * 400, "weight": "1e999999", "budget": "-0", "title": "x" * 100_000},
    {"start_on": "2026-13-45", "meeting_at": "yesterday"},
    {"meeting_at": "99999-01-01T00:00", "start_on": "0000-00-00"},
    {"meeting_at": "9999-12-31T23:59+14:00"},
    {"_version": "-1"},
    {"_version": "999999999999999999999999"},
    {"tasks[abc].title": "x", "tasks[99999999].title": "y", "tasks[-1].title": "z"},
    {"tasks[0].id": "xyz", "tasks[0].title": "x", "tasks[1].id": "999", "tasks[1].title": "y"},
    {"tasks[0].nope": "x", "tasks[0].done": "true"},
    {
        "tasks[0].title": "a",
        "tasks[1].title": "b",
        "tasks[2].title": "c",
        "tasks[3].title": "d",
        "tasks[4].title": "e",
    },
    {"site": "abc", "lead": "0", "site__q": "x" * 5000},
    {"site": "99999", "site__q": "", "lead": "-4", "lead__q": "Wendy", "lead__t": "other"},
    {"files__present": "1", "files__keep": "not-a-file", "files__remove": "x"},
    {"_resolve.title": "theirs", "_original": "{not json", "_add_row": "nope"},
    {"_original": "[1, 2]", "_touched": "\x00 \ufffd", "_id": "abc"},
]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_never_breaks_the_forms(jobs: Flask, worker: SignedIn, garbage: dict) -> None:
    record = job(jobs)
    new_page = form_data(html(worker.get("/r/job/new")), title="T")
    edit_page = form_data(html(worker.get(f"/r/job/{record.id}/edit")))
    for path, base in [
        ("/r/job/new", new_page),
        (f"/r/job/{record.id}/edit", edit_page),
        ("/r/job/form-state", new_page),
        ("/r/job/form-state", edit_page),
    ]:
        response = worker.post_form(path, {**base, **garbage})
        assert response.status_code < 500, (path, response.status_code)
        assert response.status_code in (200, 303, 404, 409, 422), (path, response.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/r/job/0/edit",
        "/r/job/99999999999999999999/edit",
        "/r/nope/new",
        "/r/task/new",
        "/r/job/form-row/nope",
        "/r/job/form-row/tasks?tasks__next=99999999",
        "/r/user/lookup?q=%00",
        "/r/site/lookup?q=" + "x" * 3000,
    ],
)
def test_bad_urls_are_4xx(worker: SignedIn, path: str) -> None:
    assert worker.get(path).status_code < 500


def test_values_in_the_url_prefill_a_new_form(as_role, crm) -> None:
    client = as_role("admin")
    customer = crm.customer("甲方集团", owner=client.user)
    html = client.get(f"/r/contact/new?customer={customer.id}&level=高层").get_data(as_text=True)
    assert f'value="{customer.id}"' in html and "甲方集团" in html
    assert re.search(r'value="高层"[^>]*(selected|checked)', html)


@pytest.mark.parametrize("query", ["customer=abc", "customer=-4", "level=nope", "name=x&name=y"])
def test_values_in_the_url_that_do_not_fit_are_left_out(as_role, query: str) -> None:
    client = as_role("admin")
    response = client.get(f"/r/contact/new?{query}")
    assert response.status_code == 200
    value = query.split("=")[1].split("&")[0]
    assert f'value="{value}"' not in response.get_data(as_text=True)
