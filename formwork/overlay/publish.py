"""Activating a candidate config, all or nothing.

Everything publish writes happens in one database transaction: the schema sync's DDL (both
SQLite and PostgreSQL run DDL inside transactions), the new revision row, the draft cleared,
and the re-grade of every grading whose definition changed. A failure at any step rolls all
of it back; on SQLite a backup copy of the file is taken before, as `formwork migrate` does.
Schema sync and re-grade normally commit on their own, so they are handed a `PinnedDatabase`:
a `Database` whose every transaction is the one open transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from ..metamodel.model import App
from ..rules.rulebook import RuleBook
from ..store.database import Database
from ..store.recompute import recompute_all
from ..store.records import RecordService
from ..store.regrade import regrade
from ..store.schema_sync import SchemaSyncError, SchemaSyncRefused, apply_sync, plan_sync
from ..store.sync_apply import backup_sqlite, ddl_transaction
from ..store.tables import build_tables
from .candidate import Candidate
from .patches import Overlay, diff
from .revisions import Revision, active_number, clear_draft, insert_revision, read_revision

#: (step, done, total): "sync", "store", "regrade <grading>"…
Progress = Callable[[str, int, int], None]
#: The cause written in grade history for a re-grade by a publish.
CAUSE_PREFIX = "config revision "


def revision_cause(number: int) -> str:
    """The grade-history cause of a re-grade made by publishing revision `number`."""
    return f"{CAUSE_PREFIX}{number}"


def revision_of_cause(cause: str) -> int | None:
    """The revision a grade-history cause names, or None when it names none."""
    if cause.startswith(CAUSE_PREFIX) and cause[len(CAUSE_PREFIX) :].isdigit():
        return int(cause[len(CAUSE_PREFIX) :])
    return None


class PinnedDatabase:
    """A `Database` whose reads and writes all run on one open connection, in its transaction.

    It reports `is_sqlite = False` so that schema sync neither takes its own backup nor opens
    its own DDL transaction: the publisher has done both (`ddl_transaction`) around it."""

    is_sqlite = False

    def __init__(self, db: Database, conn: Connection) -> None:
        self._db, self.conn = db, conn
        self.url, self.engine = db.url, db.engine

    @property
    def dialect(self) -> str:
        return self._db.dialect

    @contextmanager
    def read(self) -> Iterator[Connection]:
        yield self.conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        yield self.conn


def activate(
    db: Database,
    backups: Path | None,
    previous: tuple[int | None, Overlay, dict[str, Any]],
    candidate: Candidate,
    author: str | None,
    message: str,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> Revision:
    """Make `candidate` the active config as a new revision; see the module docstring.

    `previous` is (active revision number, its overlay, its merged document): the gradings
    whose definition differs from the previous config's are re-graded. Raises SchemaSyncRefused,
    SchemaSyncStale, or whatever failed; the database is then as it was."""
    report = progress or (lambda step, done, total: None)
    app = candidate.require()
    number, overlay, old_document = previous
    tables = build_tables(app)
    report("plan", 0, 1)
    plan = plan_sync(db, app, tables)
    if plan.refusals:
        raise SchemaSyncRefused(plan)
    backup = None
    if db.is_sqlite and not plan.is_empty:
        backup = backup_sqlite(db, backups, plan.stamp)
    changed = changed_gradings(old_document, candidate.document)
    recomputed = [
        name
        for name in changed_formulas(old_document, candidate.document)
        if name in app.entities and not app.entity(name).child_of
    ]
    now = now or dt.datetime.now(dt.UTC)
    try:
        with ddl_transaction(db) as conn:
            if active_number(conn) != number:
                raise SchemaSyncError("another publish came first; review the new config and retry")
            pinned: Any = PinnedDatabase(db, conn)
            report("sync", 0, len(plan.operations))
            apply_sync(pinned, app, tables, plan=plan, now=now)
            report("sync", len(plan.operations), len(plan.operations))
            revision = Revision(
                number=(number or 0) + 1,
                author=author,
                created_at=now,
                message=message,
                overlay=candidate.overlay,
                diff=diff(overlay, candidate.overlay),
            )
            insert_revision(conn, revision)
            clear_draft(conn)
            report("store", 1, 1)
            book = RuleBook(app) if changed or recomputed else None
            if changed:
                for name in changed:
                    grading = _compiled(book, app, name)
                    report(f"regrade {name}", 0, 1)
                    regrade(
                        pinned,
                        app,
                        tables,
                        grading,
                        cause=revision_cause(revision.number),
                        now=now,
                        progress=lambda done, total, name=name: report(
                            f"regrade {name}", done, total
                        ),
                    )
            if recomputed:
                # Recomputing reads and writes no attachments: the files folder is not used.
                service = RecordService(pinned, app, tables, Path(), rules=book)
                for name in recomputed:
                    report(f"recompute {name}", 0, 1)
                    recompute_all(
                        service,
                        name,
                        cause=revision_cause(revision.number),
                        now=now,
                        progress=lambda done, total, name=name: report(
                            f"recompute {name}", done, total
                        ),
                    )
            if db.is_sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise SchemaSyncError(f"foreign keys would break: {broken[:5]}")
    except Exception as exc:
        exc.add_note("publish rolled back; the config and the data are as they were")
        if backup is not None:
            exc.add_note(f"backup copy taken before the attempt: {backup}")
        raise
    stored = _reread(db, revision.number)
    return stored or revision


def changed_gradings(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The gradings of the `new` document whose definition, or whose entity's fields, differ
    in the `old` one.

    The fields count because a grading reads them (a changed formula or option moves
    scores); re-grading what did not move writes nothing, so erring wide costs only time."""
    names = []
    for name, grading in (new.get("gradings") or {}).items():
        entity = grading.get("entity") if isinstance(grading, dict) else None
        fields_now = ((new.get("entities") or {}).get(entity) or {}).get("fields")
        fields_before = ((old.get("entities") or {}).get(entity) or {}).get("fields")
        if (old.get("gradings") or {}).get(name) != grading or fields_now != fields_before:
            names.append(name)
    return names


def changed_formulas(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The entities of the `new` document with a stored computed field whose formula is new or
    differs from the `old` one's: their stored values must be computed again."""
    names = []
    for name, entity in (new.get("entities") or {}).items():
        before = ((old.get("entities") or {}).get(name) or {}).get("fields") or {}
        for field, spec in ((entity or {}).get("fields") or {}).items():
            if not isinstance(spec, dict) or spec.get("formula") is None or spec.get("virtual"):
                continue
            if (before.get(field) or {}).get("formula") != spec["formula"]:
                names.append(name)
                break
    return names


def _compiled(book: RuleBook, app: App, name: str) -> Any:
    entity = app.gradings[name].entity
    for compiled in book[entity].gradings:
        if compiled.grading.name == name:
            return compiled
    raise KeyError(name)  # the model lists the grading, so its entity compiles it


def _reread(db: Database, number: int) -> Revision | None:
    with db.read() as conn:
        return read_revision(conn, number)
