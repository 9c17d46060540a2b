"""The overlay of one site: its draft, its revisions, publish and rollback (`runtime.site`).

A `SiteConfig` belongs to one runtime: `load` builds that runtime's model from the package
plus the active revision. A stored overlay that no longer builds (a package upgrade made it
invalid) never stops the site: it runs on the package plus the patches that still apply, and
`status` says so (it is logged as an error, and admin pages show it). Publishing a revision
tells the subscribers (the web app's runtime holder), which swap to the new model.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..metamodel.fieldtypes import FieldTypeRegistry
from ..metamodel.model import App
from ..metamodel.problems import Problem
from ..store.database import Database
from .candidate import Candidate, build_candidate, fallback
from .exporting import merged_files
from .merge import Conflict
from .patches import Overlay, Patch
from .publish import Progress, activate
from .revisions import (
    Draft,
    Revision,
    active_number,
    clear_draft,
    read_draft,
    read_revision,
    read_revisions,
    write_draft,
)

log = logging.getLogger(__name__)


#: The number `rollback` takes for the package alone: no revision has it.
PACKAGE_REVISION = 0


class ConfigInvalid(Exception):
    """The candidate config has problems; nothing was published."""

    def __init__(self, candidate: Candidate) -> None:
        self.candidate = candidate
        count = len(candidate.problems)
        super().__init__(
            f"the config has {count} problem{'s' if count != 1 else ''}; nothing was published"
        )


@dataclass(frozen=True)
class SiteStatus:
    """How the running config was built."""

    #: The active revision (None: the package alone).
    revision: int | None = None
    #: Patches of the active overlay that conflict with the package (kept, not applied).
    conflicts: tuple[Conflict, ...] = ()
    #: Patches left out because the config would not build with them (see `problems`).
    dropped: tuple[Patch, ...] = ()
    #: The problems the whole active overlay had, when patches were dropped.
    problems: tuple[Problem, ...] = ()

    @property
    def degraded(self) -> bool:
        """The site runs without some of its active patches: an admin must act."""
        return bool(self.dropped)


Subscriber = Callable[[Revision, Candidate], None]


class SiteConfig:
    """The overlay of one site, stored in its database. One per runtime: `runtime.site`."""

    def __init__(
        self,
        package_root: Path,
        db: Database,
        types: FieldTypeRegistry,
        backups: Path | None = None,
    ) -> None:
        self.package_root = Path(package_root)
        self.db = db
        self.types = types
        self.backups = backups
        self.status = SiteStatus()
        self._document: dict[str, Any] | None = None
        self._overlay = Overlay()
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    # -- loading ---------------------------------------------------------------------------

    def load(self, model: App | None = None) -> App:
        """The model of the package plus the active revision (ConfigError when the package
        itself is invalid). `model`, the package's model already loaded, is used when there
        is no active revision."""
        with self.db.read() as conn:
            revision = read_revision(conn)
        if revision is None:
            self.status = SiteStatus()
            self._document, self._overlay = None, Overlay()
            if model is not None:
                return model
            candidate = self.candidate(Overlay())
            self._document = candidate.document
            return candidate.require()
        result = fallback(
            self.package_root, revision.overlay, self.types, self.label(revision.number)
        )
        candidate = result.candidate
        self.status = SiteStatus(
            revision.number, candidate.conflicts, result.dropped, result.problems
        )
        self._document, self._overlay = candidate.document, revision.overlay
        for conflict in candidate.conflicts:
            log.warning(
                "config revision %s: %s: %s", revision.number, conflict.patch.path, conflict.reason
            )
        if result.dropped:
            log.error(
                "config revision %s does not fit the package; running without %d patch(es): %s\n%s",
                revision.number,
                len(result.dropped),
                ", ".join(p.path for p in result.dropped),
                "\n".join(str(p) for p in result.problems),
            )
        return candidate.require()

    @property
    def document(self) -> dict[str, Any]:
        """The merged raw document the running model was built from."""
        if self._document is None:  # the package alone, its model given: read when asked
            self._document = self.candidate(Overlay()).document
        return self._document

    def label(self, number: int | None) -> str:
        """How problems name the overlay they come from."""
        return "site overlay (draft)" if number is None else f"config revision {number}"

    def active_number(self) -> int | None:
        """The active revision's number, read from the database (cheap: one indexed max)."""
        with self.db.read() as conn:
            return active_number(conn)

    def subscribe(self, callback: Subscriber) -> None:
        """Call `callback(revision, candidate)` after each publish or rollback through here."""
        self._subscribers.append(callback)

    # -- the draft ---------------------------------------------------------------------------

    def draft(self) -> Overlay:
        """The working overlay (the active one when no draft is saved)."""
        with self.db.read() as conn:
            draft = read_draft(conn)
            if draft is not None:
                return draft.overlay
            active = read_revision(conn)
        return active.overlay if active is not None else Overlay()

    def draft_info(self) -> Draft | None:
        """The saved draft with its author, time and the revision it was based on."""
        with self.db.read() as conn:
            return read_draft(conn)

    def save_draft(self, overlay: Overlay, author: str | None) -> None:
        with self.db.write() as conn:
            write_draft(conn, Draft(overlay, author, dt.datetime.now(dt.UTC), active_number(conn)))

    def discard_draft(self) -> None:
        with self.db.write() as conn:
            clear_draft(conn)

    # -- revisions -------------------------------------------------------------------------

    def active(self) -> Revision | None:
        with self.db.read() as conn:
            return read_revision(conn)

    def revisions(self) -> list[Revision]:
        """Newest first."""
        with self.db.read() as conn:
            return read_revisions(conn)

    def revision(self, number: int) -> Revision:
        with self.db.read() as conn:
            found = read_revision(conn, number)
        if found is None:
            raise KeyError(number)
        return found

    def candidate(self, overlay: Overlay | None = None) -> Candidate:
        """The package merged with `overlay` (default: the draft) and built."""
        if overlay is None:
            overlay = self.draft()
        return build_candidate(self.package_root, overlay, self.types, label=self.label(None))

    def publish(
        self, author: str | None, message: str, progress: Progress | None = None
    ) -> Revision:
        """Publish the draft as a new revision, atomically (see `publish.activate`).

        ConfigInvalid when the draft has problems; schema-sync errors pass through. On any
        failure the config and the data are as they were."""
        return self._activate(self.draft(), author, message, progress)

    def rollback(self, number: int, author: str | None, message: str = "") -> Revision:
        """Publish revision `number`'s overlay again, as a new revision (KeyError if unknown);
        number 0 is the package as shipped, without any site change."""
        if number == PACKAGE_REVISION:
            overlay, default = Overlay(), "Roll back to the package as shipped"
        else:
            overlay, default = self.revision(number).overlay, f"Roll back to revision {number}"
        return self._activate(overlay, author, message or default, None)

    def _activate(
        self, overlay: Overlay, author: str | None, message: str, progress: Progress | None
    ) -> Revision:
        with self._lock:
            candidate = self.candidate(overlay)
            if not candidate.valid:
                raise ConfigInvalid(candidate)
            revision = activate(
                self.db, self.backups, self._previous(), candidate, author, message, progress
            )
        for callback in self._subscribers:
            try:
                callback(revision, candidate)
            except Exception:  # the publish is done; a holder that fails catches up later
                log.exception("after publishing config revision %s", revision.number)
        return revision

    def _previous(self) -> tuple[int | None, Overlay, dict[str, Any]]:
        """The active revision's number, overlay and merged document (what grades were
        computed with)."""
        number = self.active_number()
        if number == self.status.revision:
            return number, self._overlay, self.document
        active = self.active()
        if active is None:
            package = build_candidate(self.package_root, Overlay(), self.types)
            return None, Overlay(), package.document
        built = fallback(self.package_root, active.overlay, self.types, self.label(active.number))
        return active.number, active.overlay, built.candidate.document

    # -- export ----------------------------------------------------------------------------

    def export_overlay(self, draft: bool = False) -> str:
        """YAML of the active overlay (or of the draft)."""
        if draft:
            return self.draft().to_yaml()
        active = self.active()
        return (active.overlay if active is not None else Overlay()).to_yaml()

    def export_merged(self, draft: bool = False) -> dict[str, str]:
        """Relative file path → YAML text: the package's files with the overlay applied."""
        overlay = self.draft() if draft else self.active_overlay()
        return merged_files(self.package_root, overlay, self.types)

    def active_overlay(self) -> Overlay:
        active = self.active()
        return active.overlay if active is not None else Overlay()
