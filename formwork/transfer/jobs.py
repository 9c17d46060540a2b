"""Imports started from the web: the uploaded file, the chosen mapping and the progress of a
dry run or an import, kept in a folder per job so any worker process can show them.

A job runs in a background thread of the process that started it and writes its state
(`state.json`, replaced atomically) as it goes; the page polls it. A job whose state has not
moved for `STALE_AFTER` seconds while running is taken as interrupted (the process died):
nothing of an unfinished batch was written, and it can be started again. Jobs older than
`KEEP_FOR` are removed when a new one is made.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from .pipeline import ImportResult, Progress
from .report import RowError

STALE_AFTER = 120.0
KEEP_FOR = 24 * 3600.0
SAVE_EVERY = 0.5
TOKEN_BYTES = 16
RUNNING = ("checking", "importing")


class Job:
    """One import's folder: `source` (the upload), `state.json`, `errors.json`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.token = folder.name
        self.state: dict[str, Any] = json.loads((folder / "state.json").read_text("utf-8"))
        self._saved = 0.0

    @property
    def source_path(self) -> Path:
        return self.folder / "source"

    @property
    def phase(self) -> str:
        """uploaded, checking, checked, importing, imported, or failed."""
        return self.state["phase"]

    @property
    def running(self) -> bool:
        return self.phase in RUNNING and not self.stale

    @property
    def stale(self) -> bool:
        return self.phase in RUNNING and time.time() - self.state["touched"] > STALE_AFTER

    def errors(self) -> list[RowError]:
        path = self.folder / "errors.json"
        if not path.exists():
            return []
        return [RowError(**e) for e in json.loads(path.read_text("utf-8"))]

    def save(self, **changes: Any) -> None:
        self.state.update(changes, touched=time.time())
        temporary = self.folder / "state.json.tmp"
        temporary.write_text(json.dumps(self.state, ensure_ascii=False), "utf-8")
        os.replace(temporary, self.folder / "state.json")
        self._saved = time.monotonic()

    def start(self, phase: str, work: Callable[[Progress], ImportResult], wrap: Any) -> None:
        """Run `work` in a thread as `phase`; `wrap()` gives the context it runs in (the
        app context and locale, for messages)."""
        self.save(phase=phase, done=0, total=0, error=None)

        def progress(done: int, total: int) -> None:
            if time.monotonic() - self._saved >= SAVE_EVERY or done == total:
                self.save(done=done, total=total)

        def run() -> None:
            try:
                with wrap():
                    result = work(progress)
            except Exception as exc:  # shown on the page; the batch in hand was rolled back
                self.save(phase="failed", error=f"{type(exc).__name__}: {exc}")
                return
            errors = [asdict(e) for e in sorted(result.errors, key=lambda e: e.row)]
            (self.folder / "errors.json").write_text(json.dumps(errors, ensure_ascii=False))
            summary = asdict(result)
            summary.pop("errors")
            summary["bad_rows"] = len(result.bad_rows)
            done_phase = "checked" if result.dry_run else "imported"
            self.save(phase=done_phase, result=summary, done=result.rows, total=result.rows)

        threading.Thread(target=run, name=f"import-{self.token}", daemon=True).start()


class JobStore:
    """The jobs under one folder (the instance's `imports/`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def create(self, upload: IO[bytes], filename: str, entity: str, user_id: int) -> Job:
        self._clean()
        folder = self.folder / secrets.token_urlsafe(TOKEN_BYTES)
        folder.mkdir(parents=True)
        with (folder / "source").open("wb") as target:
            shutil.copyfileobj(upload, target)
        state = {"entity": entity, "user_id": user_id, "filename": filename, "phase": "uploaded"}
        (folder / "state.json").write_text(json.dumps({**state, "touched": time.time()}))
        return Job(folder)

    def get(self, token: str, entity: str, user_id: int) -> Job | None:
        """The job, if it is this user's import into this entity."""
        if not token.replace("-", "").replace("_", "").isalnum():
            return None
        folder = self.folder / token
        if not (folder / "state.json").is_file():
            return None
        job = Job(folder)
        if job.state.get("user_id") != user_id or job.state.get("entity") != entity:
            return None
        return job

    def remove(self, job: Job) -> None:
        shutil.rmtree(job.folder, ignore_errors=True)

    def _clean(self) -> None:
        if not self.folder.is_dir():
            return
        limit = time.time() - KEEP_FOR
        for folder in self.folder.iterdir():
            state = folder / "state.json"
            if state.is_file() and state.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
