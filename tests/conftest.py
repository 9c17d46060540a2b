"""Shared fixtures: the reference app's model, a fresh database per test, its tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from formwork.metamodel import App, load_app
from formwork.store.database import Database, sqlite_url

ROOT = Path(__file__).resolve().parent.parent
CRM_PACKAGE = ROOT / "configs" / "engineering_crm"

pytest_plugins = ["tests.postgres", "tests.app_fixtures"]


@pytest.fixture(scope="session")
def crm_app() -> App:
    """The reference app's model, loaded once (it is immutable)."""
    return load_app(CRM_PACKAGE)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """An empty SQLite database in a temporary folder."""
    db = Database(sqlite_url(tmp_path))
    yield db
    db.dispose()
