"""The periodic job in development: `formwork tick`'s flow work on a background thread.

In production cron runs `formwork tick`; under the development server a `Ticker` runs the
same work every `interval` seconds: the daily refresh of values that read the date, the
flows' deadlines, then the reminders' to-dos. Errors
are logged, never raised: the next round tries again. `stop()` ends the thread (tests,
shutdown).
"""

from __future__ import annotations

import logging
import threading

from ..store.daily import refresh_daily
from .service import FlowService

log = logging.getLogger(__name__)


class Ticker:
    def __init__(self, flows: FlowService, interval: float = 60.0) -> None:
        self.flows = flows
        self.interval = interval
        from ..reminders import Reminders  # reminders build on the store, as flows do

        self.reminders = Reminders(flows.records)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="formwork-tick", daemon=True)

    def start(self) -> Ticker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                refreshed = refresh_daily(self.flows.records)
                if refreshed is not None:
                    log.info("daily refresh: %s records moved on", refreshed.changed)
            except Exception:  # the next round tries again
                log.exception("daily refresh failed")
            try:
                report = self.flows.tick()
                if report.escalated or report.overdue or report.reminded:
                    log.info("flows tick: %s", report)
            except Exception:  # the next round tries again
                log.exception("flows tick failed")
            try:
                todos = self.reminders.generate()
                if todos.total_opened or todos.total_closed:
                    log.info("reminders: %s", todos)
            except Exception:
                log.exception("reminders tick failed")
            self._stop.wait(self.interval)
