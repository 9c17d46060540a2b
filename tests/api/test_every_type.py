"""Every field type through the API, on the test-only app with a field of each (job) and a
child table (its tasks): values out as JSON, the same values back in, and the fuzzing."""

from __future__ import annotations

from typing import Any

from flask import Flask

from formwork.app import runtime_of
from tests.api.conftest import ApiClient, client_with_token
from tests.api.test_fuzz import fuzz


def test_values_of_every_type_come_out_as_json_and_go_back_in(jobs: Flask) -> None:
    client = client_with_token(jobs, "wendy", "worker")
    site = runtime_of(jobs).records.create("site", {"name": "North yard"})
    sent: dict[str, Any] = {
        "title": "Roof",
        "crew": 12,
        "weight": "1.250",
        "budget": "99999999.99",
        "margin": "12.5",
        "urgent": True,
        "start_on": "2026-03-01",
        "meeting_at": "2026-03-01T09:30:00+08:00",
        "stage": "open",
        "tags": ["blue", "red"],
        "stars": 4,
        "email": "a@example.com",
        "website": "https://example.com/x",
        "site": site.id,
        "lead": client.user.id,
        "tasks": [{"title": "Survey", "due_on": "2026-03-02", "hours": "1.5"}],
    }
    made = client.post("/api/v1/job", json=sent)
    assert made.status_code == 201, made.json
    body = client.get(made.headers["Location"]).json
    assert body["weight"] == "1.250" and body["budget"] == "99999999.99"
    assert body["margin"] == "12.50" and body["total"] == "99999999.99"  # computed
    assert body["crew"] == 12 and body["urgent"] is True and body["stars"] == 4
    assert body["start_on"] == "2026-03-01"
    assert body["meeting_at"] == "2026-03-01T01:30:00+00:00"  # the same moment, in UTC
    assert body["tags"] == ["blue", "red"]
    assert body["site"] == site.id and body["lead"] == client.user.id
    assert body["number"].startswith("J-")
    assert body["files"] is None
    [task] = body["tasks"]
    assert task == {**task, "title": "Survey", "due_on": "2026-03-02", "hours": "1.5"}
    assert isinstance(task["id"], int)

    # What was read can be sent back as it is (system columns and generated fields aside).
    generated = {"id", "version", "created_at", "created_by", "updated_at", "updated_by"}
    generated |= {"number", "total", "files", "lost_reason"}
    again = {k: v for k, v in body.items() if k not in generated}
    answer = client.patch(made.headers["Location"], json={**again, "version": body["version"]})
    assert answer.status_code == 200, answer.json
    assert answer.json["version"] == body["version"]  # nothing changed: no new version
    assert answer.json["tasks"][0]["id"] == task["id"]


def test_child_row_errors_name_the_row(jobs: Flask) -> None:
    client = client_with_token(jobs, "wendy", "worker")
    answer = client.post(
        "/api/v1/job", json={"title": "Roof", "tasks": [{"title": "ok"}, {"hours": "-1"}]}
    )
    assert answer.status_code == 422
    fields = answer.json["error"]["fields"]
    assert set(fields) == {"tasks[1].title", "tasks[1].hours"}


def test_attachments_show_their_metadata_but_never_where_they_are_kept(jobs: Flask) -> None:
    from formwork.metamodel.fieldtypes import Upload

    client = client_with_token(jobs, "wendy", "worker")
    upload = Upload("report.pdf", "application/pdf", b"%PDF-1.4 tiny")
    job = runtime_of(jobs).records.create("job", {"title": "Roof", "files": [upload]})
    [shown] = client.get(f"/api/v1/job/{job.id}").json["files"]
    assert shown == {
        "id": shown["id"],
        "name": "report.pdf",
        "size": upload.size,
        "content_type": "application/pdf",
    }
    # A kept file is named by its id; dropping it from the list removes it.
    path = f"/api/v1/job/{job.id}"
    forged = client.patch(path, json={"version": 1, "files": [{"id": "x", "path": "/etc/passwd"}]})
    assert forged.status_code == 422
    kept = client.patch(path, json={"version": 1, "files": [{"id": shown["id"]}]})
    assert kept.status_code == 200 and kept.json["files"] == [shown]
    dropped = client.patch(path, json={"version": 1, "files": []})
    assert dropped.status_code == 200 and dropped.json["files"] is None


def test_the_every_type_app_keeps_its_document_under_fuzzing(jobs: Flask) -> None:
    client = client_with_token(jobs, "wendy", "worker")
    for title in ("Roof", "Wall"):
        runtime_of(jobs).records.create("job", {"title": title})
    fuzz(jobs, client)


def test_a_role_that_may_not_see_a_field_keeps_its_document_too(jobs: Flask) -> None:
    client: ApiClient = client_with_token(jobs, "carl", "clerk")
    fuzz(jobs, client)
