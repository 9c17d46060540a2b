"""The field editors: adding a field of any registered type, editing its labels, rules,
settings and options, hiding it and removing it — each a patch on the draft."""

from __future__ import annotations

import pytest

from formwork.overlay.patches import Overlay, Patch
from tests.pages import Page

FIELDS = "/admin/config/entities/contact/fields"
NEW = f"{FIELDS}/new"
BASE = "entities/contact"


def new_field(**values: str) -> dict[str, str]:
    return {"name": "wechat", "type": "text", "label/zh": "微信", "label/en": "WeChat", **values}


def test_adding_a_field_writes_it_and_places_it_on_the_form_and_list(as_role, runtime) -> None:
    data = new_field(
        required="1",
        required__shown="1",
        default="none",
        section="0",
        in_list="1",
        in_list__shown="1",
    )
    response = as_role("admin").post_form(NEW, data)
    assert response.status_code == 303
    assert response.location.endswith(f"{FIELDS}/wechat")
    patches = {p.path: p for p in runtime.site.draft().patches}
    assert patches[f"{BASE}/fields/wechat"].value == {
        "type": "text",
        "label": {"zh": "微信", "en": "WeChat"},
        "required": True,
        "default": "none",
    }
    columns = patches[f"{BASE}/list/columns"]
    assert columns.value[-1] == "wechat" and columns.base == columns.value[:-1]
    candidate = runtime.site.candidate()
    assert candidate.valid and "wechat" in candidate.app.entity("contact").fields


def test_a_new_field_goes_into_the_chosen_form_section(as_role, runtime) -> None:
    as_role("admin").post_form("/admin/config/entities/customer/fields/new", new_field(section="2"))
    sections = runtime.site.candidate().app.entity("customer").form.sections
    assert sections[2].fields[-1] == "wechat"


@pytest.mark.parametrize(
    "type_name",
    ["integer", "money", "boolean", "date", "multiselect", "attachment", "rating", "email"],
)
def test_fields_of_any_registered_type_can_be_added(as_role, runtime, type_name) -> None:
    data = new_field(type=type_name, options="a\nb")
    assert as_role("admin").post_form(NEW, data).status_code == 303
    field = runtime.site.candidate().require().entity("contact").fields["wechat"]
    assert field.type == type_name


def test_the_type_chooser_offers_each_types_own_settings(as_role) -> None:
    admin = as_role("admin")
    link = Page(admin.get(f"{FIELDS}/new-settings?type=link").get_data(as_text=True))
    assert {"new-setting-to", "new-setting-on_delete"} <= link.ids
    text = Page(admin.get(f"{FIELDS}/new-settings?type=text").get_data(as_text=True))
    assert "new-setting-max_length" in text.ids and "new-setting-to" not in text.ids
    select = Page(admin.get(f"{FIELDS}/new-settings?type=select").get_data(as_text=True))
    assert "new-options" in select.ids
    assert admin.get(f"{FIELDS}/new-settings?type=nope").status_code == 400


@pytest.mark.parametrize(
    ("values", "input_id"),
    [
        ({"name": "WeChat"}, "new-name"),
        ({"name": ""}, "new-name"),
        ({"name": "a/b"}, "new-name"),
        ({"name": "customer"}, "new-name"),  # taken
        ({"name": "version"}, "new-name"),  # a system column
        ({"type": "hologram"}, "new-type"),
    ],
)
def test_a_new_field_that_cannot_be_made_is_refused_by_its_input(
    as_role, runtime, values, input_id
) -> None:
    response = as_role("admin").post_form(NEW, new_field(**values))
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert page.text(f"{input_id}-error")
    assert page.forms[-1].fields["label/en"] == "WeChat"  # what was typed is still there
    assert runtime.site.draft() == Overlay()


def test_a_link_without_its_target_is_kept_with_the_problem_beside_the_setting(
    as_role, runtime
) -> None:
    admin = as_role("admin")
    admin.post_form(NEW, new_field(type="link"))
    assert runtime.site.draft().patches[0].value["type"] == "link"
    page = Page(admin.get(f"{FIELDS}/wechat").get_data(as_text=True))
    assert "'to'" in page.text("p-entities-contact-fields-wechat-to-error")
    fixed = admin.post_form(f"{FIELDS}/wechat", {f"{BASE}/fields/wechat/to": "customer"})
    assert fixed.status_code == 303
    assert (
        runtime.site.candidate().app.entity("contact").fields["wechat"].setting("to") == "customer"
    )


def test_editing_a_label_and_flags_writes_only_what_changed(as_role, runtime) -> None:
    path = f"{BASE}/fields/title"
    as_role("admin").post_form(
        f"{FIELDS}/title",
        {
            f"{path}/label/en": "Position",
            f"{path}/required": "1",
            f"{path}/required__shown": "1",
            f"{path}/unique__shown": "1",
        },
    )
    assert set(runtime.site.draft().patches) == {
        Patch("set", f"{path}/label/en", "Position", base="Job title"),
        Patch("set", f"{path}/required", True),
    }


def test_a_type_setting_is_edited_from_what_the_type_accepts(as_role, runtime) -> None:
    path = f"{BASE}/fields/name/max_length"
    admin = as_role("admin")
    assert admin.post_form(f"{FIELDS}/name", {path: "80"}).status_code == 303
    assert runtime.site.draft().patches == (Patch("set", path, 80, base=50),)
    bad = admin.post_form(f"{FIELDS}/name", {path: "long"})
    assert bad.status_code == 422
    assert Page(bad.get_data(as_text=True)).text("p-entities-contact-fields-name-max_length-error")


def test_options_can_be_relabelled_coloured_added_and_reordered(as_role, runtime) -> None:
    admin = as_role("admin")
    url, option = f"{FIELDS}/level", f"{BASE}/fields/level/options/value=采购"
    admin.post_form(url, {f"{option}/label/en": "Purchasing", f"{option}/color": "teal"})
    assert set(runtime.site.draft().patches) == {
        Patch("set", f"{option}/label/en", "Purchasing", base="Procurement"),
        Patch("set", f"{option}/color", "teal"),
    }
    admin.post_form(
        url,
        {
            "op": "add options",
            "__new_option/value": "财务",
            "__new_option/label/zh": "财务",
            "__new_option/label/en": "Finance",
        },
    )
    admin.post_form(url, {"op": "up options 3"})
    options = runtime.site.candidate().app.entity("contact").fields["level"].options
    assert [o.value for o in options] == ["高层", "技术", "财务", "采购"]
    assert options[2].label.get("en") == "Finance" and options[3].color == "teal"


@pytest.mark.parametrize("value", ["", "高层"])
def test_a_new_option_needs_a_new_value(as_role, runtime, value) -> None:
    response = as_role("admin").post_form(
        f"{FIELDS}/level", {"op": "add options", "__new_option/value": value}
    )
    assert response.status_code == 422
    assert Page(response.get_data(as_text=True)).text("new-option-value-error")
    assert runtime.site.draft() == Overlay()


def test_a_condition_with_an_unknown_field_shows_the_checker_problem(as_role, runtime) -> None:
    path = f"{BASE}/fields/email/visible_when"
    response = as_role("admin").post_form(f"{FIELDS}/email", {path: "is_primry"})
    assert response.status_code == 422
    assert runtime.site.draft().patch_at(path).value == "is_primry"
    problem = Page(response.get_data(as_text=True)).text(
        "p-entities-contact-fields-email-visible_when-error"
    )
    assert "is_primary" in problem  # the hint suggests the right name


def test_hiding_takes_a_field_off_lists_and_forms_and_keeps_it(as_role, runtime) -> None:
    admin = as_role("admin")
    response = admin.post_form("/admin/config/entities/customer/fields/region/hide")
    assert response.status_code == 303
    app = runtime.site.candidate().require()
    customer = app.entity("customer")
    assert "region" in customer.fields
    assert "region" not in customer.list.columns and "region" not in customer.list.filters
    assert all("region" not in s.fields for s in customer.form.sections)


def test_removing_a_field_and_resetting_the_removal(as_role, runtime) -> None:
    admin = as_role("admin")
    assert admin.post_form(f"{FIELDS}/mobile/remove").status_code == 303
    removal = runtime.site.draft().patch_at(f"{BASE}/fields/mobile")
    assert removal.op == "remove" and removal.base["type"] == "phone"
    contact = runtime.site.candidate().require().entity("contact")
    assert "mobile" not in contact.fields and "mobile" not in contact.list.columns
    assert admin.get(f"{FIELDS}/mobile").status_code == 404
    for patch in runtime.site.draft().patches:
        admin.post_form("/admin/config/reset", {"path": patch.path})
    assert runtime.site.draft() == Overlay()


def test_removing_a_field_that_others_use_shows_where_it_is_used(as_role, runtime) -> None:
    admin = as_role("admin")
    admin.post_form(f"{FIELDS}/birthday/remove")
    problems = runtime.site.candidate().problems
    assert problems and all("birthday" in p.message for p in problems)
    overview = Page(admin.get("/admin/config/").get_data(as_text=True))
    assert "birthday" in overview.text("problem-list")


@pytest.mark.parametrize(
    "path",
    [
        f"{FIELDS}/nope",
        "/admin/config/entities/nope/fields",
        "/admin/config/entities/nope/fields/name",
    ],
)
def test_unknown_entities_and_fields_are_not_found(as_role, path) -> None:
    assert as_role("admin").get(path).status_code == 404
