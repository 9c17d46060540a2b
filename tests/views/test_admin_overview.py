"""The admin config overview: who may see it, what it lists, the draft's changes and reset."""

from __future__ import annotations

from html import unescape
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict

from formwork.overlay.patches import Overlay
from tests.pages import Page

GRADE_A = "gradings/customer_grade/grades/grade=A/min_score"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/config/",
        "/admin/config/gradings/customer_grade",
        "/admin/config/entities/customer/fields",
        "/admin/config/entities/customer/fields/name",
        "/admin/config/entities/customer/layout",
        "/admin/config/entities/customer/permissions",
        "/admin/config/flows/contract_approval",
        "/admin/config/labels",
        "/admin/config/entities/customer/labels",
        "/admin/config/formula/check?entity=customer&formula=score",
    ],
)
@pytest.mark.parametrize("role", ["account_manager", "sales_director", None])
def test_only_admins_reach_the_editors(as_role, role, path) -> None:
    assert as_role(role).get(path).status_code == 403


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/config/gradings/customer_grade", {f"{GRADE_A}": "70"}),
        ("/admin/config/reset", {"path": GRADE_A}),
        ("/admin/config/discard", {}),
        ("/admin/config/entities/customer/fields/new", {"name": "x", "type": "text"}),
    ],
)
def test_other_roles_cannot_post_either(as_role, runtime, path, data) -> None:
    client = as_role("sales_director")
    assert client.post_form(path, data).status_code == 403
    assert runtime.site.draft() == Overlay()


def test_posts_need_the_csrf_token(as_role, runtime) -> None:
    admin = as_role("admin")
    response = admin.post("/admin/config/gradings/customer_grade", data={GRADE_A: "70"})
    assert response.status_code == 400
    assert runtime.site.draft() == Overlay()


def test_the_overview_lists_what_can_be_edited(as_role) -> None:
    page = Page(as_role("admin").get("/admin/config/").get_data(as_text=True))
    assert {"entity-customer", "entity-contract"} <= page.ids
    assert "Customer grading" in page.text("grading-list")
    assert "Contract approval" in page.text("flow-list")
    assert "Account manager" in page.text("role-list")
    assert "no-changes" in page.ids


def test_the_top_bar_links_admins_to_the_configuration(as_role) -> None:
    assert "nav-config" in Page(as_role("admin").get("/").get_data(as_text=True)).ids
    assert "nav-config" not in Page(as_role("finance").get("/").get_data(as_text=True)).ids


def test_pending_changes_show_package_and_draft_values_and_reset(as_role, runtime) -> None:
    admin = as_role("admin")
    runtime.site.save_draft(Overlay().set(GRADE_A, 70, base=80), "admin")
    table = Page(admin.get("/admin/config/").get_data(as_text=True)).text("change-table")
    assert GRADE_A in table and "80" in table and "70" in table
    response = admin.post_form("/admin/config/reset", {"path": GRADE_A, "next": "/admin/config/"})
    assert response.status_code == 303
    assert runtime.site.draft().patch_at(GRADE_A) is None


@pytest.mark.parametrize("path", ["", "nowhere/x", "gradings/customer_grade/grades/grade=A/label"])
def test_resetting_something_the_draft_does_not_change_is_a_bad_request(as_role, path) -> None:
    assert as_role("admin").post_form("/admin/config/reset", {"path": path}).status_code == 400


def test_problems_of_the_draft_are_listed_with_a_link_to_their_editor(as_role, runtime) -> None:
    admin = as_role("admin")
    runtime.site.save_draft(Overlay().set(GRADE_A, 50, base=80), "admin")
    page = Page(admin.get("/admin/config/").get_data(as_text=True))
    assert "min_score" in page.text("problem-list")
    assert 'href="/admin/config/gradings/customer_grade#' in admin.get("/admin/config/").get_data(
        as_text=True
    )


def test_discarding_the_draft_empties_it(as_role, runtime) -> None:
    admin = as_role("admin")
    runtime.site.save_draft(Overlay().set(GRADE_A, 70, base=80), "admin")
    assert admin.post_form("/admin/config/discard").status_code == 303
    assert runtime.site.draft() == Overlay()


class EditorForm(HTMLParser):
    """The fields of the form `#editor` as a browser would post them (checked boxes, selected
    options, textareas), as a list of (name, value)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._inside = False
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form":
            self._inside = attr.get("id") == "editor"
        if not self._inside:
            return
        name = attr.get("name") or ""
        if tag == "input" and name and attr.get("type") not in ("checkbox", "radio"):
            self.fields.append((name, attr.get("value") or ""))
        elif tag == "input" and name and "checked" in attr:
            self.fields.append((name, attr.get("value") or "on"))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attr:
            self.fields.append((self._select, attr.get("value") or ""))
        elif tag == "textarea":
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, unescape("".join(self._text))))
            self._textarea = None
        elif tag == "form":
            self._inside = False


EDITORS = [
    "/admin/config/gradings/customer_grade",
    "/admin/config/entities/customer/fields/name",
    "/admin/config/entities/customer/fields/customer_type",
    "/admin/config/entities/contact/fields/customer",
    "/admin/config/entities/customer/layout",
    "/admin/config/entities/customer/permissions",
    "/admin/config/flows/contract_approval",
    "/admin/config/labels",
    "/admin/config/entities/customer/labels",
]


@pytest.mark.parametrize("path", EDITORS)
def test_posting_an_editor_back_unchanged_changes_nothing(as_role, runtime, path) -> None:
    admin = as_role("admin")
    page = admin.get(path)
    assert page.status_code == 200
    fields = EditorForm(page.get_data(as_text=True)).fields
    assert len(fields) > 5
    response = admin.post(path, data=MultiDict(fields))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert runtime.site.draft() == Overlay()
