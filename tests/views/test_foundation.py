"""The shared page machinery: menu by permission, language switch, errors as pages."""

from __future__ import annotations

from tests.pages import Page


def test_the_menu_lists_only_entities_the_user_may_read(as_role) -> None:
    admin = as_role("admin")
    menu = Page(admin.get("/").get_data(as_text=True))
    assert "count-customer" in menu.ids and "count-contact" in menu.ids
    nobody = as_role(None)
    assert "count-customer" not in Page(nobody.get("/").get_data(as_text=True)).ids


def test_the_language_switch_changes_the_ui_and_labels(as_role) -> None:
    client = as_role("admin", locale="zh")
    assert "客户" in client.get("/r/customer/").get_data(as_text=True)
    client.post_form("/language", {"locale": "en", "next": "/r/customer/"})
    assert "Customers" in client.get("/r/customer/").get_data(as_text=True)


def test_an_unknown_language_is_ignored(as_role) -> None:
    client = as_role("admin", locale="zh")
    response = client.post_form("/language", {"locale": "xx", "next": "//evil.example/"})
    assert response.status_code == 302 and response.location == "/"
    assert "客户" in client.get("/r/customer/").get_data(as_text=True)


def test_a_record_out_of_scope_is_not_found(as_role, crm) -> None:
    mine, other = as_role("account_manager"), as_role("account_manager")
    record = crm.customer("甲", owner=other.user)
    assert mine.get(f"/r/customer/{record.id}").status_code == 404
    assert other.get(f"/r/customer/{record.id}").status_code == 200


def test_bad_urls_are_4xx(as_role) -> None:
    client = as_role("admin")
    assert client.get("/r/nope/").status_code == 404
    assert client.get("/r/customer/999").status_code == 404
    assert client.get("/r/customer/?after=garbage").status_code == 400
