"""The browser plumbing itself: skipped without Chromium or Playwright locally, a failure on
CI; and the watch that fails a test on console errors, CSP violations and 5xx."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from flask import Flask

from formwork.views.headers import init_app as add_security_headers
from tests import browser_support
from tests.browser_support import LiveServer, PageWatch, chromium


@pytest.fixture
def missing(tmp_path: Path) -> str:
    return str(tmp_path / "no-chromium-here")


def test_missing_chromium_skips_locally(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"no Chromium at {missing}"), chromium(missing):
        pass


def test_missing_chromium_fails_on_ci(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    monkeypatch.setenv("CI", "true")
    with (
        pytest.raises(pytest.fail.Exception, match="required on CI: no Chromium at"),
        chromium(missing),
    ):
        pass


def test_chromium_path_can_be_set(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("CHROMIUM_PATH", missing)
    assert browser_support.chromium_path() == missing
    with pytest.raises(pytest.skip.Exception, match=missing), chromium():
        pass


@pytest.mark.parametrize(("ci", "outcome"), [("", pytest.skip), ("true", pytest.fail)])
def test_missing_playwright_skips_locally_and_fails_on_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # import fails
    any_executable = sys.executable
    with pytest.raises(outcome.Exception, match="playwright package"), chromium(any_executable):
        pass


def site() -> Flask:
    """A tiny site under Formwork's real security headers, with one page per kind of defect."""
    app = Flask(__name__)
    add_security_headers(app)
    pages = {
        "/clean": '<link rel="stylesheet" href="/style.css"><p>fine</p>',
        "/inline-style": '<p style="color: red">styled inline</p>',
        "/inline-script": "<script>document.title = 'ran'</script>",
        "/throws": '<script src="/throws.js"></script>',
        "/missing-asset": '<script src="/nowhere.js"></script>',
        "/logs-error": '<script src="/logs.js"></script>',
    }
    for path, html in pages.items():
        app.add_url_rule(path, path, lambda html=html: f"<!doctype html><title>t</title>{html}")
    assets = {
        "/style.css": ("p { color: teal }", "text/css"),
        "/throws.js": ("throw new Error('boom in page')", "text/javascript"),
        "/logs.js": ("console.error('something broke')", "text/javascript"),
    }
    for path, (body, mimetype) in assets.items():
        app.add_url_rule(
            path, path, lambda body=body, mimetype=mimetype: (body, 200, {"Content-Type": mimetype})
        )
    app.add_url_rule("/broken", "broken", lambda: ("server trouble", 500))
    app.add_url_rule("/gone", "gone", lambda: ("not here", 404))
    return app


@pytest.fixture(scope="module")
def defects(browser):
    """visit(path) → what a watch of its own (not the test's, which would fail it) reported
    for that page of the tiny site."""
    with LiveServer(site()) as server:

        def visit(path: str) -> list[str]:
            context = browser.new_context(base_url=server.url)
            try:
                watch = PageWatch()
                watch.watch(context.new_page()).goto(path)
                return watch.settle()
            finally:
                context.close()

        yield visit


#: Each defective page of the tiny site, and what the watch must say about it.
DEFECTS = {
    "/inline-style": r"CSP violation .*style-src",
    "/inline-script": r"CSP violation .*script-src",
    "/throws": r"uncaught error: .*boom in page",
    "/logs-error": r"console error on .*/logs\.js: something broke",
    "/missing-asset": r"HTTP 404 for script GET .*/nowhere\.js",
    "/broken": r"HTTP 500 for document GET .*/broken",
}


@pytest.mark.parametrize("path", DEFECTS)
def test_the_watch_reports_defects(defects, path: str) -> None:
    problems = defects(path)
    assert any(re.search(DEFECTS[path], problem) for problem in problems), problems


@pytest.mark.parametrize("path", ["/clean", "/gone"])
def test_the_watch_accepts_working_pages_and_4xx_answers(defects, path: str) -> None:
    assert defects(path) == []


def test_every_page_of_a_test_is_watched(page, new_page, page_watch) -> None:
    second = new_page()
    for watched in (page, second):
        watched.evaluate("console.error('seen by the watch')")
    assert page_watch.settle() == [
        "console error: seen by the watch",
        "console error: seen by the watch",
    ]
    page_watch.problems.clear()  # this test's point; the watch would otherwise fail it


def test_an_expected_error_can_be_allowed(page, page_watch) -> None:
    page_watch.allow(r"expected trouble")
    page.evaluate("console.error('expected trouble')")
    assert page_watch.settle() == []
