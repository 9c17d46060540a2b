"""Publishing in the background: one publish (or rollback) at a time per site, with progress.

A publish re-grades every record of each changed grading, which takes a while on a large
table, so it runs in a thread of the process that started it. Its state (`<token>.json` in
the instance's `publish/` folder, replaced atomically) is what the page polls, so any worker
process can show it. A lock file (`running`, created exclusively) names the job that runs: a
second publish — a double click, another admin — is refused while one runs, and the caller's
`check` runs only once the lock is held, so it sees the site as the running job left it.

While it works the thread touches its state every few seconds; a running job whose state has
not moved for `STALE_AFTER` seconds lost its process (the publish itself is atomic, nothing of
it was kept), and its lock is taken over.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from typing import Any

Progress = Callable[[str, int, int], None]
Work = Callable[[Progress], dict[str, Any]]

HEARTBEAT = 5.0
STALE_AFTER = 60.0
SAVE_EVERY = 0.5
KEEP_FOR = 7 * 24 * 3600.0
TOKEN_BYTES = 16
LOCK = "running"


class Busy(Exception):
    """Another publish is running."""

    def __init__(self, job: PublishJob | None) -> None:
        super().__init__("a publish is running")
        self.job = job


class PublishJob:
    """One publish or rollback: its state is `kind`, `user_id`, `phase` (running, done or
    failed), `step`/`done`/`total` while it runs, `result` or `error` once it ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.token = path.stem
        self.state: dict[str, Any] = json.loads(path.read_text("utf-8"))
        self._lock = threading.Lock()
        self._saved = 0.0
        self._thread: threading.Thread | None = None

    @property
    def phase(self) -> str:
        return self.state["phase"]

    @property
    def stale(self) -> bool:
        return self.phase == "running" and time.time() - self.state["touched"] > STALE_AFTER

    @property
    def running(self) -> bool:
        return self.phase == "running" and not self.stale

    def save(self, **changes: Any) -> None:
        with self._lock:
            self.state.update(changes, touched=time.time())
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.state, ensure_ascii=False), "utf-8")
            os.replace(temporary, self.path)
            self._saved = time.monotonic()

    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds` for the job (started by this process) to end; whether it has."""
        if self._thread is not None:
            self._thread.join(seconds)
        return self._thread is None or not self._thread.is_alive()

    def _progress(self, step: str, done: int, total: int) -> None:
        if step != self.state.get("step") or done == total:
            self.save(step=step, done=done, total=total)
        elif time.monotonic() - self._saved >= SAVE_EVERY:
            self.save(done=done, total=total)


class PublishJobs:
    """The publish jobs of one site, under one folder (the instance's `publish/`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, token: str) -> PublishJob | None:
        if not token.replace("-", "").replace("_", "").isalnum():
            return None
        path = self.folder / f"{token}.json"
        return PublishJob(path) if path.is_file() else None

    def running(self) -> PublishJob | None:
        """The job that holds the lock, if it is still alive."""
        with suppress(FileNotFoundError):
            job = self.get((self.folder / LOCK).read_text("utf-8").strip())
            if job is not None and job.running:
                return job
        return None

    def start(
        self,
        kind: str,
        user_id: int | None,
        work: Work,
        wrap: Callable[[], AbstractContextManager[Any]],
        check: Callable[[], None] = lambda: None,
        **details: Any,
    ) -> PublishJob:
        """Run `work(progress)` in a thread once `check()` passes; Busy while another runs.

        `wrap()` gives the context the thread runs in (the app context, the language);
        whatever `check` raises is raised here, and nothing was started."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._clean()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self._claim(token)
        try:
            check()
            path = self.folder / f"{token}.json"
            state = {"kind": kind, "user_id": user_id, "phase": "running", **details}
            path.write_text(json.dumps({**state, "touched": time.time()}, ensure_ascii=False))
            job = PublishJob(path)
        except BaseException:
            self._release(token)
            raise
        job._thread = threading.Thread(
            target=self._run, args=(job, work, wrap), name=f"publish-{token}", daemon=True
        )
        job._thread.start()
        return job

    def _run(
        self, job: PublishJob, work: Work, wrap: Callable[[], AbstractContextManager[Any]]
    ) -> None:
        ended = threading.Event()

        def beat() -> None:
            while not ended.wait(HEARTBEAT):
                job.save()

        threading.Thread(target=beat, name=f"publish-beat-{job.token}", daemon=True).start()
        try:
            with wrap():
                result = work(job._progress)
        except Exception as exc:  # shown on the job's page; the publish changed nothing
            job.save(phase="failed", error=str(exc), error_kind=type(exc).__name__)
        else:
            job.save(phase="done", result=result)
        finally:
            ended.set()
            self._release(job.token)

    def _claim(self, token: str) -> None:
        lock = self.folder / LOCK
        for _ in range(2):
            try:
                handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                holder = self._holder()
                if holder is not None and holder.running:
                    raise Busy(holder) from None
                if holder is None and self._young(lock):  # being claimed, or checking
                    raise Busy(None) from None
                with suppress(FileNotFoundError):  # its process died: take the lock over
                    lock.unlink()
                continue
            with os.fdopen(handle, "w") as file:
                file.write(token)
            return
        raise Busy(self._holder())

    def _holder(self) -> PublishJob | None:
        with suppress(FileNotFoundError):
            token = (self.folder / LOCK).read_text("utf-8").strip()
            return self.get(token) if token else None
        return None

    @staticmethod
    def _young(lock: Path) -> bool:
        try:
            return time.time() - lock.stat().st_mtime < STALE_AFTER
        except FileNotFoundError:
            return False

    def _release(self, token: str) -> None:
        lock = self.folder / LOCK
        with suppress(FileNotFoundError):
            if lock.read_text("utf-8").strip() == token:
                lock.unlink()

    def _clean(self) -> None:
        limit = time.time() - KEEP_FOR
        for path in self.folder.glob("*.json"):
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
