"""Labels in every language: the app, roles, entities, fields and options."""

from __future__ import annotations

from formwork.overlay.patches import Patch
from tests.pages import Page

URL = "/admin/config/labels"


def test_the_app_title_in_one_language(as_role, runtime) -> None:
    response = as_role("admin").post_form(URL, {"app/title/en": "Key Accounts"})
    assert response.status_code == 303
    assert runtime.site.draft().patches == (
        Patch("set", "app/title/en", "Key Accounts", base="Engineering Key Accounts"),
    )


def test_role_and_entity_labels(as_role, runtime) -> None:
    as_role("admin").post_form(
        URL, {"app/roles/finance/label/en": "Accounts", "entities/visit/plural_label/en": "Calls"}
    )
    app = runtime.site.candidate().require()
    assert app.roles["finance"].label.get("en") == "Accounts"
    assert app.entity("visit").plural_label.get("en") == "Calls"


def test_a_label_without_the_default_language_is_a_problem_shown_beside_it(
    as_role, runtime
) -> None:
    response = as_role("admin").post_form(URL, {"app/roles/finance/label/zh": ""})
    assert response.status_code == 422
    assert Page(response.get_data(as_text=True)).text("p-app-roles-finance-label-error")
    assert runtime.site.draft().patch_at("app/roles/finance/label/zh").op == "remove"


def test_field_and_option_labels_of_an_entity(as_role, runtime) -> None:
    base = "entities/contact/fields/level"
    as_role("admin").post_form(
        "/admin/config/entities/contact/labels",
        {f"{base}/label/en": "Tier", f"{base}/options/value=高层/label/en": "Top"},
    )
    level = runtime.site.candidate().require().entity("contact").fields["level"]
    assert level.label.get("en") == "Tier" and level.options[0].label.get("en") == "Top"
