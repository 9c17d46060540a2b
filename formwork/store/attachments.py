"""Files of attachment fields: on disk under the instance folder, described in the record.

A file lives at `<files_dir>/<entity>/<record id>/<uuid>-<safe name>`; the column holds a list
of `{id, name, size, content_type, path}` (path relative to files_dir). The client's filename
is only ever shown, never trusted as a path. New files are written while the record's
transaction is open and deleted again if it rolls back; files dropped from a record are
deleted only after the transaction commits. Both are tracked by a `FileChanges`.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..metamodel.fieldtypes import Upload
from .errors import ValidationFailed, message

MAX_SAFE_NAME = 100
MAX_DISPLAY_NAME = 255


@dataclass
class FileChanges:
    """Files written during one write, and files to delete once it commits."""

    written: list[Path] = field(default_factory=list)
    to_remove: list[Path] = field(default_factory=list)

    def rollback(self) -> None:
        """The write failed: delete every file it wrote."""
        for path in self.written:
            path.unlink(missing_ok=True)
            _remove_empty_parents(path.parent)
        self.written.clear()

    def commit(self) -> None:
        """The write committed: delete the files it let go."""
        for path in self.to_remove:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
                _remove_empty_parents(path.parent)
        self.to_remove.clear()


def safe_name(filename: str) -> str:
    """A filename safe on any disk: no folders, no dots in front, word characters only."""
    name = unicodedata.normalize("NFKC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    name = re.sub(r"[^\w.\-]+", "_", name).strip("._-") or "file"
    if len(name) > MAX_SAFE_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_SAFE_NAME - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_SAFE_NAME]
    return name


def display_name(filename: str) -> str:
    """The name shown to people: the last part of the client's name, without control codes."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[:MAX_DISPLAY_NAME] or "file"


class AttachmentStore:
    """Writes, finds and removes the files of attachment fields under one root folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def path(self, item: Mapping[str, Any]) -> Path:
        """The file of one stored item; ValueError if its path leaves the root."""
        path = (self.root / str(item["path"])).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"attachment path outside the files folder: {item['path']!r}")
        return path

    def record_folder(self, entity: str, record_id: int) -> Path:
        return self.root / entity / str(int(record_id))

    def apply(
        self,
        key: str,
        entity: str,
        record_id: int,
        items: Sequence[Any] | None,
        old: Sequence[Mapping[str, Any]] | None,
        changes: FileChanges,
    ) -> list[dict[str, Any]] | None:
        """The new stored list: kept items (by id, metadata from `old`) and new uploads.

        Kept ids must be files the record already has (the client's metadata is ignored).
        Uploads are written now; files no longer listed are queued for removal on commit.
        """
        by_id = {item["id"]: item for item in old or ()}
        kept_ids = {item["id"] for item in items or () if isinstance(item, Mapping)}
        if not kept_ids <= by_id.keys():
            raise ValidationFailed.one(key, message("no_such_file"))
        result: list[dict[str, Any]] = []
        for item in items or ():
            if isinstance(item, Upload):
                result.append(self._write(entity, record_id, item, changes))
            else:
                result.append(dict(by_id[item["id"]]))
        for file_id, item in by_id.items():
            if file_id not in kept_ids:
                changes.to_remove.append(self.path(item))
        return result or None

    def _write(
        self, entity: str, record_id: int, upload: Upload, changes: FileChanges
    ) -> dict[str, Any]:
        file_id = uuid.uuid4().hex
        folder = self.record_folder(entity, record_id)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{file_id}-{safe_name(upload.filename)}"
        with open(target, "xb") as out:
            changes.written.append(target)
            out.write(upload.data)
        return {
            "id": file_id,
            "name": display_name(upload.filename),
            "size": upload.size,
            "content_type": upload.content_type or "application/octet-stream",
            "path": target.relative_to(self.root).as_posix(),
        }


def _remove_empty_parents(folder: Path) -> None:
    # Only the record folder and its entity folder: stop at the first one that is not empty.
    for candidate in (folder, folder.parent):
        try:
            candidate.rmdir()
        except OSError:
            return
