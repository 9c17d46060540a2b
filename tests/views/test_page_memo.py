"""What pages remember between requests (`formwork.views.memo`: the menu, the list's layout,
filter choices, the bulk bar) is kept apart by config, roles and language: a publish or a
rollback shows at once, and no role or language ever sees what was made for another."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask_babel import force_locale

from formwork.overlay import Overlay
from formwork.runtime import Runtime
from formwork.views import translate
from tests.app_fixtures import Crm
from tests.pages import page
from tests.views.conftest import SignedIn

RENAME = Overlay().set("entities/customer/plural_label/en", "Clients", base="Customers")
REGION = "entities/customer/fields/region/label/en"


def menu_entry(client: SignedIn, path: str = "/r/contact/") -> str:
    html = client.get(path).get_data(as_text=True)
    start = html.index('href="/r/customer/"')
    return html[start : html.index("</a>", start)]


def test_a_publish_and_a_rollback_show_at_once(
    as_role: Callable[..., SignedIn], runtime: Runtime, crm: Crm
) -> None:
    admin = as_role("admin")
    crm.customer("甲")
    assert page(admin, "/r/customer/").text("page-title") == "Customers"
    assert "Customers" in menu_entry(admin)
    region = page(admin, "/r/customer/").text("col-region")
    runtime.site.save_draft(RENAME.set(REGION, "Area", base=region), "admin")
    runtime.site.publish("admin", "Call them clients")

    listed = page(admin, "/r/customer/")
    assert listed.text("page-title") == "Clients"
    assert listed.text("col-region") == "Area"
    assert "Area" in listed.text("f-region")  # the filter panel's legend
    assert "Clients" in menu_entry(admin)

    runtime.site.rollback(0, "admin", "Back to the package")
    listed = page(admin, "/r/customer/")
    assert listed.text("page-title") == "Customers"
    assert listed.text("col-region") == region
    assert "Clients" not in menu_entry(admin)


def test_roles_never_see_what_was_made_for_another(
    as_role: Callable[..., SignedIn], crm: Crm
) -> None:
    crm.customer("甲")
    admin, support = as_role("admin"), as_role("tech_support")
    for _ in range(2):  # the second time from what was remembered
        shown = page(admin, "/r/customer/")
        assert "col-annual_amount" in shown.ids and "bulk-delete" in shown.ids
        assert "f-annual_amount" in shown.ids
        limited = page(support, "/r/customer/")
        assert "col-annual_amount" not in limited.ids and "f-annual_amount" not in limited.ids
        assert "bulk-delete" not in limited.ids and "new-record" not in limited.ids


def test_languages_never_see_what_was_made_for_another(
    as_role: Callable[..., SignedIn], crm: Crm
) -> None:
    crm.customer("甲")
    english, chinese = as_role("admin"), as_role("admin", locale="zh")
    for _ in range(2):
        en = english.get("/r/customer/").get_data(as_text=True)
        zh = chinese.get("/r/customer/").get_data(as_text=True)
        assert "(no value)" in en and "Anyone" in en and ">Customers</a>" in en
        assert "（空）" in zh and "(no value)" not in zh
        assert "Anyone" not in zh and ">Customers</a>" not in zh
        assert page(english, "/r/customer/").text("page-title") == "Customers"
        assert page(chinese, "/r/customer/").text("page-title") == "客户"


def test_ui_text_follows_force_locale_and_comes_back(app: Flask) -> None:
    with app.test_request_context("/"):
        app.preprocess_request()
        assert translate.gettext("Save") == "保存"  # the app's default language
        with force_locale("en"):
            assert translate.gettext("Save") == "Save"
            assert translate.ngettext("%(num)s record", "%(num)s records", 2) == "2 records"
        assert translate.gettext("Save") == "保存"
        assert translate.ngettext("%(num)s record", "%(num)s records", 2) == "2 条记录"
        assert translate.gettext("Select %(name)s", name="<b>") == "选择 <b>"
