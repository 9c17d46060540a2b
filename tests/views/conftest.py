"""Fixtures for the web pages: the reference app over a migrated SQLite database, users of
every role, and clients signed in as them.

    def test_x(as_role, crm):            # as_role("account_manager") → a signed-in client
        client = as_role("admin")
        customer = crm.customer(name="甲", owner=client.user)
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from formwork.metamodel import App
from formwork.runtime import Runtime, open_runtime
from formwork.store.records import Record
from formwork.store.schema_sync import apply_sync
from tests.conftest import CRM_PACKAGE
from tests.pages import csrf_token, sign_in

PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session")
def migrated_crm(tmp_path_factory: pytest.TempPathFactory, crm_app: App) -> Path:
    """An empty, migrated database of the reference app, made once; each test gets a copy."""
    folder = tmp_path_factory.mktemp("crm-template")
    runtime = open_runtime({"instance": folder, "package": CRM_PACKAGE}, crm_app)
    apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=folder)
    runtime.close()
    return folder / "formwork.db"


@pytest.fixture
def app(tmp_path: Path, crm_app: App, migrated_crm: Path) -> Iterator[Flask]:
    """The reference app over a fresh copy of the migrated database, with cheap password
    hashing; the UI is English unless a test asks for another language."""
    shutil.copyfile(migrated_crm, tmp_path / "formwork.db")
    flask_app = create_app({"instance": tmp_path, "package": CRM_PACKAGE}, crm_app)
    runtime = runtime_of(flask_app)
    flask_app.extensions["formwork_users"].passwords = Passwords(CHEAP)
    yield flask_app
    runtime.close()


@pytest.fixture
def runtime(app: Flask) -> Runtime:
    return runtime_of(app)


@pytest.fixture
def users(app: Flask) -> UserStore:
    return app.extensions["formwork_users"]


class SignedIn(FlaskClient):
    """A test client signed in as `user`; `csrf()` is a token for its session."""

    user: User

    def csrf(self) -> str:
        return csrf_token(self, "/")

    def post_form(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST with the session's CSRF token added (multi-valued fields as lists)."""
        return self.post(path, data={"csrf_token": self.csrf(), **(data or {})}, **kwargs)


@pytest.fixture
def as_role(app: Flask, users: UserStore) -> Callable[..., SignedIn]:
    """as_role(role, name=None, team=None, locale="en") → a client signed in as a new user."""
    app.test_client_class = SignedIn
    made: dict[str, int] = {}

    def sign_in_as(
        role: str | None, name: str | None = None, team: str | None = None, locale: str = "en"
    ) -> SignedIn:
        base = name or (role or "nobody")
        made[base] = made.get(base, 0) + 1
        username = base if made[base] == 1 else f"{base}{made[base]}"
        user = users.create(username, username, PASSWORD, [role] if role else [], team=team)
        client = app.test_client()
        assert isinstance(client, SignedIn)
        assert sign_in(client, username, PASSWORD).status_code == 303
        if locale:
            client.post_form("/language", {"locale": locale, "next": "/"})
        client.user = user
        return client

    return sign_in_as


@dataclass
class Crm:
    """Writes reference-app records straight through the record service (no permissions)."""

    runtime: Runtime

    def customer(self, name: str, owner: User | None = None, **values: Any) -> Record:
        values.setdefault("customer_type", "开发商")
        if owner is not None:
            values.setdefault("account_manager", owner.id)
        return self.runtime.records.create("customer", {"name": name, **values})

    def contact(self, name: str, customer: Record, **values: Any) -> Record:
        values.setdefault("level", "技术")
        return self.runtime.records.create(
            "contact", {"name": name, "customer": customer.id, **values}
        )


@pytest.fixture
def crm(runtime: Runtime) -> Crm:
    return Crm(runtime)
