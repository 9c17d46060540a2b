"""Fixtures for tests in a real browser: the reference app served on a local port, Chromium
driven by Playwright, and a signed-in user in a few lines.

    from playwright.sync_api import expect

    def test_x(page, login, crm):
        user = login(page, "account_manager")          # signs in through the real form
        customer = crm.customer("甲", owner=user)      # records straight through the service
        page.goto("/r/customer/")                      # relative to the live server
        page.get_by_role("row").filter(has_text="甲").get_by_role("link").first.click()
        expect(page.locator("#page-title")).to_have_text("甲")

Fixtures:

- `page`: a fresh page (own cookies) on the live server; `page.goto("/path")` works.
- `new_page(**options)`: another page in its own browser context, for a second user at the
  same time or a phone: `new_page(viewport={"width": 390, "height": 844})`.
- `login(page, role, name=None, team=None, locale="en")` → the new `User`, signed in on
  `page` through the sign-in form, the UI switched to `locale` with the language buttons
  (pass `locale=None` to keep the app's default, Chinese). `role=None` gives no roles.
- `live_server`: `.url` and `.app` of the server; `app`, `runtime`, `users` and `crm` are the
  same fixtures as in `tests/views` (one fresh migrated SQLite app per test).
- `page_watch`: every page above is watched. The test fails on any console error (CSP
  violations included), uncaught page error, HTTP 5xx, or asset (CSS, JS, image, font) that
  fails to load. A test whose point is such an error accepts it first:
  `page_watch.allow(r"htmx:responseError")` (a regular expression).
- `browser`: the one Chromium of this test session (per xdist worker).

Actions and `expect` wait at most 10 s and navigations 20 s, so a broken page fails instead
of hanging. Tests using these fixtures get the `browser` marker (`-m "not browser"` skips
them). Without Chromium or Playwright they are skipped with the reason, on CI they fail; see
`tests/browser_support.py` and docs/testing.md.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask

from formwork.auth import User, UserStore
from tests.app_fixtures import PASSWORD
from tests.browser_support import (
    ACTION_TIMEOUT_MS,
    NAVIGATION_TIMEOUT_MS,
    LiveServer,
    PageWatch,
    chromium,
    playwright_missing,
    unavailable,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

HERE = Path(__file__).resolve().parent
WATCH = pytest.StashKey[PageWatch]()


class WithoutPlaywright(pytest.Module):
    """A test module here when the playwright package is missing: skipped as a whole (on CI
    failed) rather than reported as an import error."""

    def collect(self) -> list[pytest.Item]:
        unavailable("the playwright package is not installed (pip install -e '.[test]')")


def pytest_pycollect_makemodule(
    module_path: Path, parent: pytest.Collector
) -> pytest.Module | None:
    if playwright_missing():
        return WithoutPlaywright.from_parent(parent, path=module_path)
    return None


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE) and "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a test that passed if its pages saw errors; show them with any failure."""
    watch = item.stash.get(WATCH, None)
    try:
        result = yield
    except BaseException:
        if watch is not None and watch.problems:
            item.add_report_section("call", "browser", "\n".join(watch.problems))
        raise
    if watch is not None and watch.settle():
        pytest.fail("the browser reported problems:\n" + "\n".join(watch.problems), pytrace=False)
    return result


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        from playwright.sync_api import expect

        expect.set_options(timeout=ACTION_TIMEOUT_MS)
        yield launched


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def page_watch(request: pytest.FixtureRequest) -> PageWatch:
    watch = PageWatch()
    request.node.stash[WATCH] = watch
    return watch


@pytest.fixture
def new_page(
    browser: Browser, live_server: LiveServer, page_watch: PageWatch
) -> Iterator[Callable[..., Page]]:
    contexts: list[BrowserContext] = []

    def open_page(**context_options: Any) -> Page:
        context = browser.new_context(base_url=live_server.url, **context_options)
        contexts.append(context)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        return page_watch.watch(context.new_page())

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture
def login(users: UserStore) -> Callable[..., User]:
    made: dict[str, int] = {}

    def sign_in(
        page: Page,
        role: str | None,
        name: str | None = None,
        team: str | None = None,
        locale: str | None = "en",
    ) -> User:
        from playwright.sync_api import expect

        base = name or role or "nobody"
        made[base] = made.get(base, 0) + 1
        username = base if made[base] == 1 else f"{base}{made[base]}"
        user = users.create(username, username, PASSWORD, [role] if role else [], team=team)
        page.goto("/login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(PASSWORD)
        page.locator("#password").press("Enter")
        expect(page.locator("#signed-in-user")).to_have_text(user.display_name)
        if locale and page.locator("html").get_attribute("lang") != locale:
            page.locator(f"button[name='locale'][value='{locale}']").click()
            expect(page.locator("html")).to_have_attribute("lang", locale)
        return user

    return sign_in
