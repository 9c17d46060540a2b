"""The web app's current runtime, swapped when a newer config revision is published.

`LiveRuntime` sits in `app.extensions["formwork"]` and stands for the current `Runtime`
(attribute access goes to it, so code written against a Runtime keeps working). Each request
is pinned, when it begins, to the runtime current then, and finishes on it even if a publish
swaps in another meanwhile. A publish through this process swaps at once (the SiteConfig
tells the holder); other server processes on the same database notice the newer revision by
a cheap stamp (the highest revision number), read at most once per `CHECK_SECONDS`, and
rebuild then. New runtimes share the database (its connection pool) with the old ones.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from flask import Flask, g, has_request_context

from .candidate import Candidate
from .revisions import Revision

if TYPE_CHECKING:
    from ..runtime import Runtime

log = logging.getLogger(__name__)

#: How often a process looks for a revision published by another process.
CHECK_SECONDS = 1.0
_PINNED = "fw_runtime"


class LiveRuntime:
    """The current runtime of one web app; see the module docstring."""

    def __init__(self, runtime: Runtime, check_seconds: float = CHECK_SECONDS) -> None:
        self._runtime = runtime
        self._lock = threading.Lock()
        self.check_seconds = check_seconds
        self._checked = time.monotonic()
        runtime.site.subscribe(self._published)

    @property
    def current(self) -> Runtime:
        """The request's runtime inside a request, else the newest."""
        if has_request_context():
            pinned = g.get(_PINNED)
            if pinned is not None:
                return pinned
        return self._runtime

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current, name)

    def pin(self) -> None:
        """At the start of a request: catch up with the database, then pin the runtime."""
        self.refresh()
        g.setdefault(_PINNED, self._runtime)

    def refresh(self, force: bool = False) -> Runtime:
        """Swap to a newer active revision if there is one (checked at most once per
        `check_seconds` unless `force`); returns the current runtime."""
        now = time.monotonic()
        if not force and now - self._checked < self.check_seconds:
            return self._runtime
        with self._lock:
            if not force and now - self._checked < self.check_seconds:
                return self._runtime
            self._checked = now
            runtime = self._runtime
            try:
                newest = runtime.site.active_number()
            except Exception:  # a database hiccup must not fail the request: retry later
                log.exception("reading the active config revision")
                return runtime
            if newest is not None and newest != runtime.site.status.revision:
                self._rebuild()
        return self._runtime

    def _rebuild(self) -> None:
        from ..runtime import assemble, new_site

        old = self._runtime
        site = new_site(old.settings, old.db, old.model)
        try:
            model = site.load()
        except Exception:
            log.exception("loading the newest config revision; staying on the current one")
            return
        self._install(assemble(old.settings, old.db, model, site))

    def _published(self, revision: Revision, candidate: Candidate) -> None:
        from ..runtime import assemble, new_site

        with self._lock:
            old = self._runtime
            site = new_site(old.settings, old.db, old.model)
            model = site.load()
            self._install(assemble(old.settings, old.db, model, site))
            self._checked = time.monotonic()
        log.info("config revision %s is active", revision.number)

    def _install(self, runtime: Runtime) -> None:
        runtime.site.subscribe(self._published)
        self._runtime = runtime


def install_runtime(app: Flask, runtime: Runtime) -> LiveRuntime:
    """Put a LiveRuntime for `runtime` in the app and pin each request to the current one."""
    live = LiveRuntime(runtime)
    app.extensions["formwork"] = live
    app.before_request(live.pin)
    return live


def pinned_runtime() -> Runtime | None:
    """The runtime the current request is pinned to (None before it is, or outside a
    request): what `current_runtime` finds first, without going through the app."""
    return g.get(_PINNED) if has_request_context() else None


def current_runtime(app: Flask) -> Runtime:
    """The runtime a request (or, outside one, the app) runs on now."""
    holder = app.extensions["formwork"]
    return holder.current if isinstance(holder, LiveRuntime) else holder
