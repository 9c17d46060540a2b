"""Fixtures for sign-in tests: app (migrated SQLite in tmp_path) → client → login_as(role)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from formwork import create_app
from formwork.app import runtime_of
from formwork.auth import User, UserStore
from formwork.auth.passwords import Passwords
from formwork.store.schema_sync import apply_sync
from tests.conftest import CRM_PACKAGE
from tests.pages import sign_in

PASSWORD = "correct horse battery"
#: Far cheaper than the defaults, so hashing does not dominate the tests.
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

AppFactory = Callable[..., Flask]


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[AppFactory]:
    """Build an app over a migrated SQLite database; keyword arguments are settings."""
    built: list[Flask] = []

    def make(**settings: Any) -> Flask:
        instance = tmp_path / f"instance{len(built)}"
        flask_app = create_app({"instance": instance, "package": CRM_PACKAGE, **settings})
        runtime = runtime_of(flask_app)
        apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=instance)
        flask_app.extensions["formwork_users"].passwords = Passwords(CHEAP)
        built.append(flask_app)
        return flask_app

    yield make
    for flask_app in built:
        runtime_of(flask_app).close()


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app()


@pytest.fixture
def store(app: Flask) -> UserStore:
    return app.extensions["formwork_users"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login_as(client: FlaskClient, store: UserStore) -> Callable[..., User]:
    """Create a user with `role` (None: no role) and sign `client` in as them."""

    def login(role: str | None = "admin", username: str | None = None) -> User:
        user = store.create(
            username or f"{role or 'nobody'}_1", "", PASSWORD, [role] if role else []
        )
        response = sign_in(client, user.username, PASSWORD)
        assert response.status_code == 303, response.get_data(as_text=True)
        return user

    return login
