"""The web app swaps to a newly published revision: at once in the process that published,
within a second in another process on the same database; a request in flight finishes on
the runtime it started with."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from formwork import create_app
from formwork.app import runtime_of
from formwork.overlay import Overlay
from formwork.runtime import Runtime
from formwork.views import context
from tests.overlay.conftest import A_MIN


def a_min(runtime: Runtime) -> float | None:
    return runtime.model.gradings["account_grade"].grades[0].min_score


def request_runtime(app: Flask) -> Runtime:
    """The runtime a new request to `app` runs on."""
    with app.test_request_context("/health"):
        app.preprocess_request()
        return runtime_of(app)


def test_a_publish_is_seen_by_the_next_request_and_by_another_app_on_the_database(
    site: Runtime, tmp_path: Path, package: Path
) -> None:
    config = {"instance": tmp_path / "instance", "package": package}
    first, second = create_app(config), create_app(config)
    second.extensions["formwork"].check_seconds = 3600  # it does not look yet
    before = request_runtime(second)
    assert a_min(before) == 80
    with first.test_request_context("/health"):
        first.preprocess_request()
        started_on = context.runtime()
        started_on.site.save_draft(Overlay().set(A_MIN, 70, base=80), "ada")
        started_on.site.publish("ada", "lower A")
        # The request in flight keeps the runtime it started with.
        assert context.runtime() is started_on and a_min(runtime_of(first)) == 80
        assert first.extensions["formwork"].model is started_on.model
    assert a_min(request_runtime(first)) == 70
    assert a_min(request_runtime(second)) == 80
    second.extensions["formwork"].check_seconds = 0
    now = request_runtime(second)
    assert a_min(now) == 70 and now.site.status.revision == 1
    assert now.db is before.db  # the new runtime shares the app's connection pool
    assert request_runtime(second) is now  # no newer revision: no rebuild


def test_outside_a_request_the_app_reads_the_newest_runtime(
    site: Runtime, tmp_path: Path, package: Path
) -> None:
    app = create_app({"instance": tmp_path / "instance", "package": package})
    runtime_of(app).site.save_draft(Overlay().set(A_MIN, 75, base=80), "ada")
    runtime_of(app).site.publish("ada", "lower A")
    assert a_min(runtime_of(app)) == 75
    assert app.extensions["formwork"].model is runtime_of(app).model


def test_a_role_published_by_an_admin_can_be_given_to_users_at_once(
    site: Runtime, tmp_path: Path, package: Path
) -> None:
    app = create_app({"instance": tmp_path / "instance", "package": package})
    users = app.extensions["formwork_users"]
    assert "auditor" not in users.roles
    runtime = runtime_of(app)
    label = {"en": "Auditor"}
    runtime.site.save_draft(Overlay().set("app/roles", {"auditor": {"label": label}}), "ada")
    runtime.site.publish("ada", "an auditor role")
    request_runtime(app)  # the next request runs on the new revision
    assert "auditor" in users.roles
    assert users.create("ann", "Ann", "a long enough password", ["auditor"]).roles == ("auditor",)
