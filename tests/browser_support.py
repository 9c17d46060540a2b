"""The machinery behind the browser tests: Debian's Chromium driven by Playwright, the real app
served on a local port, and a watch on every page for errors.

Playwright cannot download browsers here, so it drives the `chromium` package's binary
(`/usr/bin/chromium`, or `$CHROMIUM_PATH`). Without that binary or the `playwright` package
the browser tests are skipped with the reason, unless `CI=true`, where that is a failure.
Fixtures built on this live in `tests/browser/conftest.py`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

import pytest
from flask import Flask
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Response

DEFAULT_CHROMIUM = "/usr/bin/chromium"

#: Flags for a headless Chromium on a closed network, possibly as root in a container: no
#: sandbox (root), shared memory in /tmp (a container's /dev/shm is often too small), and none
#: of the background traffic whose refused connections would only slow it down.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

LAUNCH_TIMEOUT_MS = 30_000
#: How long an action or an `expect` waits, and how long a navigation may take. Generous for a
#: loaded 2-core CI machine, short enough that a broken page fails quickly instead of hanging.
ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 20_000

#: A last wait at the end of a test, to collect late console messages.
SETTLE_MS = 50

#: Subresources that must load: a 4xx for one of them is a missing asset, not app behaviour.
ASSET_TYPES = {"stylesheet", "script", "image", "font", "media"}

#: Chromium's console note for every 4xx/5xx response; responses are judged on their own.
STATUS_NOTE = re.compile(r"^Failed to load resource: the server responded with a status of")


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM


def unavailable(message: str) -> NoReturn:
    """Skip for want of a browser; on CI (`CI=true`) fail instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"Chromium and Playwright are required on CI: {message}")
    pytest.skip(message)


def playwright_missing() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return True
    return False


@contextmanager
def chromium(executable: str | None = None) -> Iterator[Browser]:
    """A headless Chromium from `executable` (default: `chromium_path()`), closed afterwards."""
    path = executable or chromium_path()
    if not os.access(path, os.X_OK):
        unavailable(f"no Chromium at {path} (apt install chromium, or set CHROMIUM_PATH)")
    if playwright_missing():
        unavailable("the playwright package is not installed (pip install -e '.[test]')")
    from playwright.sync_api import Error, sync_playwright

    driver: Playwright = sync_playwright().start()
    try:
        try:
            browser = driver.chromium.launch(
                executable_path=path, args=CHROMIUM_ARGS, timeout=LAUNCH_TIMEOUT_MS
            )
        except Error as exc:
            unavailable(f"Chromium at {path} did not start: {exc.message}")
        try:
            yield browser
        finally:
            browser.close()
    finally:
        driver.stop()


class LiveServer:
    """`app` served by werkzeug on 127.0.0.1 at a free port, in a background thread, while
    the `with` block runs."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        # `shutdown()` waits for the loop's next poll; the default half second adds up.
        self._server.serve_forever(poll_interval=0.05)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@dataclass
class PageWatch:
    """Everything that went wrong on the pages of one test: console errors (CSP violations
    among them), uncaught exceptions, 5xx responses and assets that failed to load.

    `allow(pattern)` accepts problems matching a regular expression, for a test whose point
    is a failure the browser reports (e.g. htmx's `htmx:responseError` on a 409).
    """

    problems: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self._add(f"uncaught error: {error}"))
        page.on("response", self._response)
        self.pages.append(page)
        return page

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def settle(self) -> list[str]:
        """The problems so far, after taking in events the browser has sent but Playwright
        has not yet dispatched: they arrive only while it waits on the browser, and one short
        wait on any open page takes in those of every page."""
        from playwright.sync_api import Error

        for page in self.pages:
            if not page.is_closed():
                with suppress(Error):  # closed meanwhile
                    page.wait_for_timeout(SETTLE_MS)
                break
        return self.problems

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not STATUS_NOTE.match(message.text):
            url = message.location.get("url")
            kind = "CSP violation" if "Content Security Policy" in message.text else "console error"
            self._add(f"{kind}{f' on {url}' if url else ''}: {message.text}")

    def _response(self, response: Response) -> None:
        status, kind = response.status, response.request.resource_type
        if status >= 500 or (status >= 400 and kind in ASSET_TYPES):
            self._add(f"HTTP {status} for {kind} {response.request.method} {response.url}")

    def _add(self, problem: str) -> None:
        if not any(pattern.search(problem) for pattern in self.allowed):
            self.problems.append(problem)
