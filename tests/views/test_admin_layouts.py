"""The list and form layout editor: order with buttons, add from a list, sections."""

from __future__ import annotations

import pytest

from formwork.overlay.patches import Overlay, Patch
from tests.pages import Page

URL = "/admin/config/entities/contact/layout"
BASE = "entities/contact"
COLUMNS = ["name", "customer", "level", "title", "mobile", "email"]


def columns(runtime) -> tuple[str, ...]:
    return runtime.site.candidate().require().entity("contact").list.columns


def test_moving_a_column_up_sets_the_columns(as_role, runtime) -> None:
    assert as_role("admin").post_form(URL, {"op": "up list/columns 2"}).status_code == 303
    reordered = ["name", "level", "customer", "title", "mobile", "email"]
    assert runtime.site.draft().patches == (
        Patch("set", f"{BASE}/list/columns", reordered, base=COLUMNS),
    )


def test_choosing_a_field_adds_it_and_remove_takes_it_off(as_role, runtime) -> None:
    admin = as_role("admin")
    admin.post_form(URL, {"__add/list/columns": "birthday"})
    assert columns(runtime)[-1] == "birthday"
    admin.post_form(URL, {"op": "drop list/columns 6"})
    assert runtime.site.draft() == Overlay()


def test_filters_and_sort_direction(as_role, runtime) -> None:
    admin = as_role("admin")
    admin.post_form(URL, {"__add/list/filters": "influence", "__sort/0": "desc"})
    listing = runtime.site.candidate().require().entity("contact").list
    assert listing.filters[-1] == "influence"
    assert listing.sort[0].field == "name" and listing.sort[0].descending


def test_only_fitting_fields_are_offered(as_role) -> None:
    html = as_role("admin").get(URL).get_data(as_text=True)
    search = html.split('name="__add/list/search"')[1].split("</select>")[0]
    assert 'value="influence"' not in search  # a rating cannot be searched as text


def test_the_form_can_be_arranged_in_sections(as_role, runtime) -> None:
    admin = as_role("admin")
    admin.post_form(URL, {"arrange": "sections"})
    form = runtime.site.candidate().require().entity("contact").form
    assert len(form.sections) == 1 and form.sections[0].fields[0] == "name"
    admin.post_form(URL, {"op": "add form/sections"})
    response = admin.post_form(URL, {f"{BASE}/form/sections/1/label/zh": "其他"})
    assert response.status_code == 422  # a section needs fields: the draft keeps it all the same
    assert (
        "p-entities-contact-form-sections-1-fields-error"
        in Page(response.get_data(as_text=True)).ids
    )
    admin.post_form(
        URL, {"__add/form/sections/1/fields": "birthday", "op": "drop form/sections/0/fields 6"}
    )
    sections = runtime.site.candidate().require().entity("contact").form.sections
    assert sections[1].fields == ("birthday",) and "birthday" not in sections[0].fields


def test_a_field_off_every_section_is_pointed_out(as_role, runtime) -> None:
    admin = as_role("admin")
    admin.post_form(URL, {"arrange": "sections"})
    admin.post_form(URL, {"op": "drop form/sections/0/fields 0"})
    assert "name" in Page(admin.get(URL).get_data(as_text=True)).text("unplaced")


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({f"{BASE}/list/page_size": "3"}, 422),
        ({f"{BASE}/list/page_size": "many"}, 422),
        ({"__add/list/columns": "nothing_such"}, 422),
        ({"__add/fields": "name"}, 400),
        ({"op": "up list/columns 99"}, 400),
        ({"op": "drop form/sections 0"}, 400),  # contact's form has no sections
    ],
)
def test_bad_layout_input(as_role, data, status) -> None:
    assert as_role("admin").post_form(URL, data).status_code == status
