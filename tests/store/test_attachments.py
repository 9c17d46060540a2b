"""Attachment files: safe paths, limits, and files that follow their transaction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from formwork.metamodel.fieldtypes import Upload
from formwork.store import records as records_module
from formwork.store.attachments import AttachmentStore, display_name, safe_name
from formwork.store.errors import ValidationFailed
from formwork.store.records import RecordService

from .conftest import take_snapshot

PDF = Upload("资质证书.pdf", "application/pdf", b"%PDF-1.7 ...")

Files = Callable[[RecordService], list[Path]]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("/absolute/path.txt", "path.txt"),
        ("..", "file"),
        ("", "file"),
        (".bashrc", "bashrc"),
        ("资质 证书(1).pdf", "资质_证书_1_.pdf"),
        ("a\x00b.pdf", "a_b.pdf"),
        ("x" * 300 + ".pdf", "x" * 96 + ".pdf"),
    ],
)
def test_safe_name_never_leaves_the_folder(name: str, expected: str) -> None:
    assert safe_name(name) == expected
    assert "/" not in safe_name(name) and "\\" not in safe_name(name)


def test_display_name_keeps_the_readable_name() -> None:
    assert display_name("C:\\Users\\li\\资质 证书.pdf") == "资质 证书.pdf"
    assert display_name("a\nb\x07.pdf") == "ab.pdf"


def test_store_refuses_paths_outside_its_root(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path / "files")
    with pytest.raises(ValueError):
        store.path({"path": "../../secret.txt"})


def test_upload_is_stored_under_the_record(
    records: RecordService, files_of: Files, user_id: int
) -> None:
    evil = Upload("../../../evil.sh", "text/x-sh; charset=utf-8", b"rm -rf /")
    record = records.create(
        "customer",
        {"name": "A", "customer_type": "开发商", "qualification_files": [PDF]},
    )
    [item] = record["qualification_files"]
    assert item["name"] == "资质证书.pdf" and item["size"] == len(PDF.data)
    path = records.files.path(item)
    assert path.read_bytes() == PDF.data
    assert path.parent == records.files.root / "customer" / str(record.id)
    assert files_of(records) == [path]
    with pytest.raises(ValidationFailed):  # not an accepted type: nothing written
        records.update("customer", record.id, {"qualification_files": [evil]}, record.version)
    assert files_of(records) == [path]


def test_kept_files_use_stored_metadata_not_the_clients(
    records: RecordService, files_of: Files
) -> None:
    record = records.create("customer", {"name": "A", "customer_type": "开发商"})
    record = records.update("customer", record.id, {"qualification_files": [PDF]}, 1)
    [item] = record["qualification_files"]
    forged = {**item, "path": "../../etc/passwd", "size": 1}
    second = Upload("b.png", "image/png", b"\x89PNG")
    record = records.update(
        "customer", record.id, {"qualification_files": [forged, second]}, record.version
    )
    kept, added = record["qualification_files"]
    assert kept == item
    assert added["name"] == "b.png"
    assert len(files_of(records)) == 2


def test_removed_files_are_deleted_after_commit(records: RecordService, files_of: Files) -> None:
    record = records.create(
        "customer", {"name": "A", "customer_type": "开发商", "qualification_files": [PDF]}
    )
    old_path = records.files.path(record["qualification_files"][0])
    replacement = Upload("new.pdf", "application/pdf", b"%PDF new")
    record = records.update(
        "customer", record.id, {"qualification_files": [replacement]}, record.version
    )
    assert not old_path.exists()
    assert files_of(records) == [records.files.path(record["qualification_files"][0])]
    record = records.update("customer", record.id, {"qualification_files": []}, record.version)
    assert record["qualification_files"] is None
    assert files_of(records) == []


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([PDF] * 6, "At most 5"),
        ([Upload("big.pdf", "application/pdf", b"x" * (20 * 2**20 + 1))], "larger than"),
        ([Upload("run.exe", "application/octet-stream", b"MZ")], "not an allowed type"),
        ([{"id": "0" * 32}], "No such file"),
        (["just text"], "Not a file"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(
    records: RecordService, files_of: Files, items: list[Any], message: str
) -> None:
    before = take_snapshot(records)
    with pytest.raises(ValidationFailed) as caught:
        records.create(
            "customer", {"name": "A", "customer_type": "开发商", "qualification_files": items}
        )
    assert message in " ".join(caught.value.errors["qualification_files"])
    assert take_snapshot(records) == before
    assert files_of(records) == []


def test_files_are_removed_when_the_transaction_fails(
    records: RecordService, files_of: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_audit(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit failed")

    monkeypatch.setattr(records_module, "record_audit", broken_audit)
    before = take_snapshot(records)
    with pytest.raises(RuntimeError):
        records.create(
            "customer", {"name": "A", "customer_type": "开发商", "qualification_files": [PDF]}
        )
    assert files_of(records) == []
    assert take_snapshot(records) == before


def test_old_files_survive_a_failed_update(
    records: RecordService, files_of: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = records.create(
        "customer", {"name": "A", "customer_type": "开发商", "qualification_files": [PDF]}
    )
    kept = files_of(records)

    def broken_audit(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit failed")

    monkeypatch.setattr(records_module, "record_audit", broken_audit)
    with pytest.raises(RuntimeError):
        records.update("customer", record.id, {"qualification_files": None}, record.version)
    assert files_of(records) == kept


def test_deleting_a_record_deletes_its_files_and_its_rows_files(
    projects: RecordService, files_of: Files
) -> None:
    note = Upload("note.txt", "text/plain", b"hello")
    project = projects.create(
        "project", {"name": "A", "files": [note], "milestones": [{"title": "m", "report": [note]}]}
    )
    assert len(files_of(projects)) == 2
    projects.delete("project", project.id, project.version)
    assert files_of(projects) == []


def test_dropping_a_child_row_deletes_its_files(projects: RecordService, files_of: Files) -> None:
    note = Upload("note.txt", "text/plain", b"hello")
    project = projects.create(
        "project", {"name": "A", "milestones": [{"title": "m", "report": [note]}]}
    )
    [row] = project["milestones"]
    assert files_of(projects) == [projects.files.path(row["report"][0])]
    projects.update("project", project.id, {"milestones": [{"title": "n"}]}, project.version)
    assert files_of(projects) == []
