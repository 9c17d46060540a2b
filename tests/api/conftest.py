"""Fixtures for the JSON API: clients that send a user's API token with every request.

def test_x(api_as, crm):
    client = api_as("account_manager")         # a new user of that role, and a token
    client.get("/api/v1/customer").json        # sent as Authorization: Bearer <token>
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from formwork import create_app
from formwork.app import runtime_of
from formwork.auth import User
from formwork.auth.passwords import Passwords
from formwork.store.schema_sync import apply_sync
from formwork.store.tokens import TokenStore
from tests.app_fixtures import CHEAP, PASSWORD
from tests.views.conftest import as_role  # noqa: F401  (signed-in browser clients)
from tests.views.form_packages import job_package


class ApiClient(FlaskClient):
    """A test client that authenticates as `user` with `token` on every request."""

    user: User
    token: str

    def open(self, *args: Any, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Authorization", f"Bearer {self.token}")
        return super().open(*args, headers=headers, **kwargs)


@pytest.fixture
def tokens(app: Flask) -> TokenStore:
    return app.extensions["formwork_tokens"]


@pytest.fixture
def api_as(app: Flask) -> Callable[..., ApiClient]:
    """api_as(role, name=None, team=None) → a client with a token of a new user."""
    made: dict[str, int] = {}

    def client_for(role: str | None, name: str | None = None, team: str | None = None) -> ApiClient:
        base = name or (role or "nobody")
        made[base] = made.get(base, 0) + 1
        username = base if made[base] == 1 else f"{base}{made[base]}"
        return client_with_token(app, username, role, team)

    return client_for


@pytest.fixture
def jobs(tmp_path: Path) -> Iterator[Flask]:
    """The test-only app with a field of every type and a child table (see form_packages):
    role `worker` may do everything, `clerk` does not see `budget` nor write `margin`."""
    flask_app = create_app(
        {"instance": tmp_path, "package": job_package(tmp_path), "timezone": "Asia/Shanghai"}
    )
    runtime = runtime_of(flask_app)
    apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=tmp_path)
    flask_app.extensions["formwork_users"].passwords = Passwords(CHEAP)
    yield flask_app
    runtime.close()


def client_with_token(
    app: Flask, username: str, role: str | None, team: str | None = None
) -> ApiClient:
    """A client of `app` for a new user of `role`, with a token."""
    roles = [role] if role else []
    user = app.extensions["formwork_users"].create(username, username, PASSWORD, roles, team=team)
    _, secret = app.extensions["formwork_tokens"].create(user.id, "tests")
    app.test_client_class = ApiClient
    client = app.test_client()
    assert isinstance(client, ApiClient)
    client.user, client.token = user, secret
    return client
