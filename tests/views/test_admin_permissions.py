"""Role permissions per entity: scopes, create and import, hidden and read-only fields."""

from __future__ import annotations

from formwork.overlay.patches import Overlay, Patch
from tests.pages import Page

URL = "/admin/config/entities/customer/permissions"
BASE = "entities/customer/permissions"


def test_a_changed_scope_is_a_patch_of_that_scope(as_role, runtime) -> None:
    response = as_role("admin").post_form(URL, {f"{BASE}/finance/write": "none"})
    assert response.status_code == 303
    assert runtime.site.draft().patches == (Patch("remove", f"{BASE}/finance/write", base="all"),)
    finance = runtime.site.candidate().require().entity("customer").permissions["finance"]
    assert finance.write.kind == "none" and finance.read.kind == "all"


def test_hidden_fields_and_create(as_role, runtime) -> None:
    as_role("admin").post_form(
        URL,
        {
            f"{BASE}/finance/hidden": ["notes", "tags"],
            f"{BASE}/finance/hidden__shown": "1",
            f"{BASE}/finance/create": "1",
            f"{BASE}/finance/create__shown": "1",
        },
    )
    finance = runtime.site.candidate().require().entity("customer").permissions["finance"]
    assert finance.hidden == frozenset({"notes", "tags"}) and finance.create


def test_a_scope_by_formula_is_checked_like_any_formula(as_role, runtime) -> None:
    admin = as_role("admin")
    admin.post_form(URL, {f"{BASE}/executive/read": "when"})
    response = admin.post_form(
        URL, {f"{BASE}/executive/read": "when", f"{BASE}/executive/read/when": "grade = 'A'"}
    )
    assert response.status_code == 422
    assert Page(response.get_data(as_text=True)).text(
        "p-entities-customer-permissions-executive-read-when-error"
    )
    admin.post_form(
        URL, {f"{BASE}/executive/read": "when", f"{BASE}/executive/read/when": "grade == 'A'"}
    )
    executive = runtime.site.candidate().require().entity("customer").permissions["executive"]
    assert executive.read.formula == "grade == 'A'"


def test_an_entry_back_to_what_the_package_says_drops_the_patch(as_role, runtime) -> None:
    admin = as_role("admin")
    admin.post_form(URL, {f"{BASE}/admin/delete": "own"})
    assert runtime.site.draft().patch_at(f"{BASE}/admin").value["delete"] == "own"
    admin.post_form(URL, {f"{BASE}/admin/delete": "all"})
    assert runtime.site.draft() == Overlay()


def test_an_unknown_scope_keeps_the_current_one(as_role, runtime) -> None:
    assert (
        as_role("admin").post_form(URL, {f"{BASE}/finance/read": "everything"}).status_code == 303
    )
    assert runtime.site.draft() == Overlay()
