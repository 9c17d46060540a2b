"""The reference app as tests use it: one loaded model, a pre-migrated database copied per
test, cheap password hashing, and records written straight through the record service.

A pytest plugin (listed in tests/conftest.py), so view tests and browser tests share the very
same fixtures: `app`, `runtime`, `users`, `crm`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask

from formwork import create_app
from formwork.app import runtime_of
from formwork.auth import User, UserStore
from formwork.auth.passwords import Passwords
from formwork.metamodel import App
from formwork.runtime import Runtime, open_runtime
from formwork.store.records import Record
from formwork.store.schema_sync import apply_sync
from tests.conftest import CRM_PACKAGE

PASSWORD = "correct horse battery"
#: Far cheaper than the defaults, so hashing does not dominate the tests.
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
