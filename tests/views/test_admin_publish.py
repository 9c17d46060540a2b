"""The preview, publish, revisions and rollback pages: an admin sees what a draft would change
(who moves between grades, by name; schema steps with row counts; problems that block it),
publishes it once — a second click finds the site moved on — and can roll back to any
revision; everyone else gets 403, and a bad revision or an empty message is a clear 4xx."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from formwork.overlay import Overlay, Patch, SiteConfig, SiteStatus
from formwork.runtime import Runtime
from formwork.views.admin import publish as publish_pages
from formwork.views.admin.publish_job import LOCK, STALE_AFTER, Busy, PublishJobs
from tests.app_fixtures import Crm
from tests.crm_scores import A_THRESHOLD, GRADING_INPUTS
from tests.pages import Page, page
from tests.views.conftest import SignedIn

LOWER_A = Overlay().set(A_THRESHOLD, 62, base=80)
RENAME = Overlay().set("entities/customer/plural_label/en", "Clients", base="Customers")


@pytest.fixture
def admin(as_role: Callable[..., SignedIn]) -> SignedIn:
    return as_role("admin")


@pytest.fixture
def customers(crm: Crm) -> dict[str, int]:
    return {name: crm.customer(name, **values).id for name, values in GRADING_INPUTS.items()}


def grades(runtime: Runtime, customers: dict[str, int]) -> dict[str, str]:
    return {n: runtime.records.get("customer", i)["grade"] for n, i in customers.items()}


def draft(runtime: Runtime, overlay: Overlay) -> None:
    runtime.site.save_draft(overlay, "admin")


def publish(client: SignedIn, message: str) -> Page:
    """Post the preview's publish form as shown, and follow the job to its end."""
    form = page(client, "/admin/config/preview").form("/admin/config/publish")
    response = client.post_form(form.action, {**form.fields, "message": message})
    assert response.status_code == 303, response.get_data(as_text=True)
    return finished(client, response.location)


def finished(client: SignedIn, job_url: str) -> Page:
    """The job's page once the job has ended."""
    deadline = time.monotonic() + 30
    while True:
        shown = page(client, job_url)
        if "publish-status" not in shown.ids or time.monotonic() > deadline:
            return shown
        time.sleep(0.1)


def test_the_preview_names_who_moves_between_grades(
    admin: SignedIn, runtime: Runtime, customers: dict[str, int]
) -> None:
    draft(runtime, LOWER_A)
    response = admin.get("/admin/config/preview")
    shown = Page(response.get_data(as_text=True))
    assert shown.text("moves-customer_grade") == "2 Customers move B → A"
    movers = shown.text("movers-customer_grade")
    assert movers.endswith("Alder B → A 77.25 → 77.25 Birch B → A 62.75 → 62.75")
    assert f'href="/r/customer/{customers["Alder"]}"' in response.get_data(as_text=True)
    # The matrix: rows are today's grades, columns the grades after publishing.
    assert shown.text("matrix-customer_grade").endswith("A B C A 0 0 0 B 2 0 0 C 0 0 1")
    form = shown.form("/admin/config/publish")
    assert form.fields["base"] == "0" and form.fields["draft"]
    assert "publish-blocked" not in shown.ids
    assert grades(runtime, customers) == {"Alder": "B", "Birch": "B", "Cedar": "C"}


def test_the_preview_shows_schema_steps_with_row_counts(
    admin: SignedIn, runtime: Runtime, customers: dict[str, int]
) -> None:
    wechat = {"type": "text", "label": {"zh": "微信", "en": "WeChat"}}
    draft(runtime, Overlay().set("entities/customer/fields/wechat", wechat))
    step = page(admin, "/admin/config/preview").text("step-customer-wechat")
    assert step.startswith("Customer WeChat wechat New column")
    assert step.endswith(" 3")


def test_problems_are_shown_with_their_paths_and_block_publishing(
    admin: SignedIn, runtime: Runtime
) -> None:
    draft(runtime, Overlay().set("entities/customer/fields/wechat", {"type": "no_such_type"}))
    shown = page(admin, "/admin/config/preview")
    problems = shown.text("impact-problems")
    assert "entities.customer.fields.wechat.type : unknown field type 'no_such_type'" in problems
    assert "publish-blocked" in shown.ids
    fields = {**shown.form("/admin/config/publish").fields, "message": "Try anyway"}
    response = admin.post_form("/admin/config/publish", fields)
    assert response.status_code == 400
    assert "has problems" in Page(response.get_data(as_text=True)).text("publish-alert")
    assert runtime.site.revisions() == []


def test_publishing_regrades_and_the_history_names_the_revision(
    admin: SignedIn, runtime: Runtime, customers: dict[str, int]
) -> None:
    draft(runtime, LOWER_A)
    done = publish(admin, "Lower the A threshold")
    assert done.text("page-title") == "Revision 1 is live"
    assert done.text("publish-regraded").endswith(
        "Customer grading: 2 records changed grade (B → A: 2)"
    )
    assert grades(runtime, customers) == {"Alder": "A", "Birch": "A", "Cedar": "C"}

    row = page(admin, "/r/customer/").text(f"row-{customers['Alder']}")
    assert "Alder A – strategic" in row
    history = page(admin, f"/r/customer/{customers['Alder']}").text("grade-customer_grade-history")
    assert "B → A 77.25 → 77.25 Config revision 1: Lower the A threshold" in history
    revision = page(admin, "/admin/config/revisions")
    assert "admin Lower the A threshold" in revision.text("revision-1")
    assert revision.text("revision-1-diff").endswith(f"{A_THRESHOLD} 80 62")


def test_rolling_back_returns_grades_and_config(
    admin: SignedIn, runtime: Runtime, customers: dict[str, int]
) -> None:
    draft(runtime, RENAME)
    publish(admin, "Call them clients")
    draft(runtime, RENAME.set(A_THRESHOLD, 62, base=80))
    publish(admin, "Lower the A threshold")
    assert grades(runtime, customers)["Alder"] == "A"

    confirm = page(admin, "/admin/config/revisions/1/rollback")
    assert confirm.text("moves-customer_grade") == "2 Clients move A → B"
    form = confirm.form("/admin/config/revisions/1/rollback")
    response = admin.post_form(form.action, form.fields)
    assert response.status_code == 303
    done = finished(admin, response.location)
    assert done.text("page-title") == "Revision 3 is live"
    assert grades(runtime, customers) == {"Alder": "B", "Birch": "B", "Cedar": "C"}
    assert runtime.site.active().overlay == RENAME
    history = page(admin, f"/r/customer/{customers['Alder']}").text("grade-customer_grade-history")
    assert "A → B 77.25 → 77.25 Config revision 3: Roll back to revision 1" in history
    revisions = page(admin, "/admin/config/revisions")
    assert "Roll back to revision 1" in revisions.text("revision-3")


def test_rolling_back_to_the_package_drops_every_site_change(
    admin: SignedIn, runtime: Runtime, customers: dict[str, int]
) -> None:
    draft(runtime, RENAME.set(A_THRESHOLD, 62, base=80))
    publish(admin, "Lower the A threshold")
    assert grades(runtime, customers)["Alder"] == "A"

    listed = page(admin, "/admin/config/revisions")
    assert "The package as shipped" in listed.text("revision-0")
    confirm = page(admin, "/admin/config/revisions/0/rollback")
    assert confirm.text("moves-customer_grade") == "2 Customers move A → B"
    form = confirm.form("/admin/config/revisions/0/rollback")
    response = admin.post_form(form.action, form.fields)
    assert response.status_code == 303
    assert finished(admin, response.location).text("page-title") == "Revision 2 is live"
    assert grades(runtime, customers) == {"Alder": "B", "Birch": "B", "Cedar": "C"}
    assert runtime.site.active().overlay == Overlay()
    assert "rollback-0" not in page(admin, "/admin/config/revisions").ids  # it is the same


def test_a_second_publish_of_the_same_preview_is_refused(
    admin: SignedIn, runtime: Runtime, customers: dict[str, int]
) -> None:
    draft(runtime, LOWER_A)
    form = page(admin, "/admin/config/preview").form("/admin/config/publish")
    data = {**form.fields, "message": "Lower the A threshold"}
    first = admin.post_form(form.action, data)
    finished(admin, first.location)
    second = admin.post_form(form.action, data)
    assert second.status_code == 409
    assert "published meanwhile" in Page(second.get_data(as_text=True)).text("publish-alert")
    assert [r.number for r in runtime.site.revisions()] == [1]


def test_a_publish_waits_for_the_draft_it_previewed(
    admin: SignedIn, runtime: Runtime, customers: dict[str, int]
) -> None:
    draft(runtime, LOWER_A)
    form = page(admin, "/admin/config/preview").form("/admin/config/publish")
    draft(runtime, RENAME)  # another admin edits meanwhile
    response = admin.post_form(form.action, {**form.fields, "message": "Lower A"})
    assert response.status_code == 409
    assert "draft changed" in Page(response.get_data(as_text=True)).text("publish-alert")
    assert runtime.site.revisions() == []


@pytest.mark.parametrize("message", ["", "   "])
def test_a_publish_needs_a_message(
    admin: SignedIn, runtime: Runtime, customers: dict[str, int], message: str
) -> None:
    draft(runtime, LOWER_A)
    form = page(admin, "/admin/config/preview").form("/admin/config/publish")
    response = admin.post_form(form.action, {**form.fields, "message": message})
    assert response.status_code == 400
    shown = Page(response.get_data(as_text=True))
    assert "publish-message-error" in shown.ids
    assert runtime.site.revisions() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/config/revisions/9/rollback"),
        ("post", "/admin/config/revisions/9/rollback"),
        ("get", "/admin/config/revisions/9/overlay.yaml"),
        ("get", "/admin/config/jobs/no-such-job"),
        ("get", "/admin/config/jobs/no-such-job/status"),
        ("get", "/admin/config/jobs/..%2F..%2Fetc/status"),
    ],
)
def test_an_unknown_revision_or_job_is_404(admin: SignedIn, method: str, path: str) -> None:
    if method == "get":
        assert admin.get(path).status_code == 404
    else:
        assert admin.post_form(path, {"base": "0"}).status_code == 404


ADMIN_PAGES = [
    ("get", "/admin/config/preview"),
    ("post", "/admin/config/publish"),
    ("get", "/admin/config/revisions"),
    ("get", "/admin/config/revisions/1/rollback"),
    ("post", "/admin/config/revisions/1/rollback"),
    ("get", "/admin/config/revisions/1/overlay.yaml"),
    ("get", "/admin/config/export/overlay.yaml"),
    ("get", "/admin/config/export/merged.zip"),
    ("get", "/admin/config/jobs/any"),
]


@pytest.mark.parametrize(
    "role",
    ["account_manager", "tech_support", "commercial", "sales_director", "finance", "executive"],
)
def test_other_roles_get_403(as_role: Callable[..., SignedIn], runtime: Runtime, role: str) -> None:
    runtime.site.save_draft(LOWER_A, "admin")
    client = as_role(role)
    for method, path in ADMIN_PAGES:
        if method == "get":
            response = client.get(path)
        else:
            response = client.post_form(path, {"message": "x", "base": "0"})
        assert response.status_code == 403, (method, path)
    assert runtime.site.revisions() == []


def test_posts_need_the_csrf_token(admin: SignedIn, runtime: Runtime) -> None:
    draft(runtime, LOWER_A)
    response = admin.post("/admin/config/publish", data={"message": "no token", "base": "0"})
    assert response.status_code == 400
    assert runtime.site.revisions() == []


def test_downloads_give_the_overlay_and_the_merged_package(
    admin: SignedIn, runtime: Runtime
) -> None:
    draft(runtime, LOWER_A)
    publish(admin, "Lower the A threshold")
    overlay = admin.get("/admin/config/revisions/1/overlay.yaml")
    assert overlay.status_code == 200
    assert Overlay.from_yaml(overlay.get_data(as_text=True)) == LOWER_A
    assert Overlay.from_yaml(admin.get("/admin/config/export/overlay.yaml").get_data(True)) == (
        LOWER_A
    )
    merged = admin.get("/admin/config/export/merged.zip")
    assert merged.mimetype == "application/zip"
    files: dict[str, Any] = {}
    with zipfile.ZipFile(io.BytesIO(merged.data)) as archive:
        files = {name: archive.read(name).decode() for name in archive.namelist()}
    grading = next(text for name, text in files.items() if "customer_grade" in name)
    assert "min_score: 62" in grading


@dataclass
class Held:
    reported: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def held_publish(monkeypatch: pytest.MonkeyPatch) -> Held:
    """Publishes report a step (`reported`), then wait for `release` before they go on; the
    page shows a publish's progress at once instead of waiting for it to end."""
    held = Held()
    real = SiteConfig.publish

    def publish_held(self: SiteConfig, author: str | None, message: str, progress: Any) -> Any:
        progress("regrade customer_grade", 1, 3)
        held.reported.set()
        held.release.wait(20)
        return real(self, author, message, progress)

    monkeypatch.setattr(SiteConfig, "publish", publish_held)
    monkeypatch.setattr(publish_pages, "QUICK_SECONDS", 0)
    return held


def test_a_long_publish_shows_its_progress_and_runs_once(
    admin: SignedIn, runtime: Runtime, customers: dict[str, int], held_publish: Held
) -> None:
    draft(runtime, LOWER_A)
    form = page(admin, "/admin/config/preview").form("/admin/config/publish")
    data = {**form.fields, "message": "Lower the A threshold"}
    started = admin.post_form(form.action, data)
    assert started.status_code == 303
    job_url = started.location
    assert held_publish.reported.wait(10)
    running = page(admin, job_url)
    assert "Re-grading: Customer grading 1 of 3" in running.text("publish-status")
    polled = admin.get(f"{job_url}/status", headers={"HX-Request": "true"})
    assert polled.status_code == 200
    assert 'hx-trigger="every 1s"' in polled.get_data(as_text=True)
    # A second click while it runs leads to the running publish; the preview offers no form.
    again = admin.post_form(form.action, data)
    assert (again.status_code, again.location) == (303, job_url)
    assert "publish-form" not in page(admin, "/admin/config/preview").ids

    held_publish.release.set()
    assert finished(admin, job_url).text("page-title") == "Revision 1 is live"
    ended = admin.get(f"{job_url}/status", headers={"HX-Request": "true"})
    assert (ended.status_code, ended.headers["HX-Redirect"]) == (204, job_url)
    assert [r.number for r in runtime.site.revisions()] == [1]


def test_one_publish_runs_at_a_time(tmp_path: Path) -> None:
    jobs, release = PublishJobs(tmp_path), threading.Event()
    first = jobs.start("publish", 1, lambda progress: {"ok": release.wait(10)}, nullcontext)
    with pytest.raises(Busy) as busy:
        jobs.start("publish", 2, lambda progress: {}, nullcontext)
    assert busy.value.job is not None and busy.value.job.token == first.token
    release.set()
    assert first.wait(10) and jobs.get(first.token).state["result"] == {"ok": True}
    assert jobs.start("publish", 2, lambda progress: {}, nullcontext).wait(10)


def test_a_refused_check_starts_nothing_and_frees_the_lock(tmp_path: Path) -> None:
    jobs = PublishJobs(tmp_path)

    def moved_on() -> None:
        raise LookupError("published meanwhile")

    with pytest.raises(LookupError):
        jobs.start("publish", 1, lambda progress: {}, nullcontext, check=moved_on)
    assert list(tmp_path.iterdir()) == []
    assert jobs.start("publish", 1, lambda progress: {}, nullcontext).wait(10)


def test_a_publish_whose_process_died_does_not_block_the_next(tmp_path: Path) -> None:
    # What a process that died while publishing leaves behind: its lock and a running state
    # that stopped moving (the publish itself rolled back with the process).
    stopped = {"kind": "publish", "phase": "running", "touched": time.time() - STALE_AFTER - 1}
    (tmp_path / "gone.json").write_text(json.dumps(stopped))
    (tmp_path / LOCK).write_text("gone")
    jobs = PublishJobs(tmp_path)
    assert jobs.running() is None and jobs.get("gone").stale
    job = jobs.start("publish", 1, lambda progress: {"revision": 1}, nullcontext)
    assert job.wait(10) and jobs.get(job.token).phase == "done"
    assert not (tmp_path / LOCK).exists()


def test_a_revision_that_no_longer_fits_the_package_is_shown_loudly(
    admin: SignedIn, runtime: Runtime
) -> None:
    # What loading finds after a package upgrade broke a patch of the active revision.
    dropped = Patch("set", "entities/customer/fields/wechat/type", "no_such_type")
    runtime.site.status = SiteStatus(revision=4, dropped=(dropped,))
    for path in ("/admin/config/preview", "/admin/config/revisions"):
        banner = page(admin, path).text("site-degraded")
        assert "Revision 4 does not fit the package" in banner
        assert "entities/customer/fields/wechat/type" in banner
