"""Signing in and choosing the language, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.app_fixtures import PASSWORD


def sign_in_with(page: Page, username: str, password: str) -> None:
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")


def test_a_wrong_password_shows_an_error_and_keeps_the_username(page: Page, users) -> None:
    users.create("lilei", "Li Lei", PASSWORD, ["account_manager"])
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    sign_in_with(page, "lilei", "not the password")
    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("#username")).to_have_value("lilei")
    expect(page.locator("#password")).to_have_value("")
    expect(page.locator("#signed-in-user")).to_have_count(0)


def test_the_right_password_lands_on_the_home_page(page: Page, users, live_server) -> None:
    users.create("lilei", "Li Lei", PASSWORD, ["account_manager"])
    page.goto("/login")
    sign_in_with(page, "lilei", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("#page-title")).to_have_text("我的工作台")  # "my work", in Chinese
    expect(page.locator("#signed-in-user")).to_have_text("Li Lei")


def test_signing_in_returns_to_the_page_asked_for(page: Page, users, live_server) -> None:
    users.create("lilei", "Li Lei", PASSWORD, ["account_manager"])
    page.goto("/r/customer/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    sign_in_with(page, "lilei", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/r/customer/")


def test_signing_out_needs_signing_in_again(page: Page, login) -> None:
    login(page, "account_manager")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/r/customer/")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_the_language_switch_changes_the_ui_language(page: Page, login) -> None:
    login(page, "admin", locale=None)
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    expect(page.locator("#page-title")).to_have_text("我的工作台")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#page-title")).to_have_text("My work")
    expect(page.get_by_role("navigation").get_by_role("link", name="Customers")).to_be_visible()
    page.get_by_role("button", name="中文").click()
    expect(page.locator("#page-title")).to_have_text("我的工作台")


def test_the_language_switch_stays_on_the_current_page(page: Page, login, live_server) -> None:
    login(page, "admin", locale=None)
    page.goto("/r/customer/")
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(f"{live_server.url}/r/customer/")
    expect(page.locator("#page-title")).to_have_text("Customers")
