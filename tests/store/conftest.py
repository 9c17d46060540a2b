"""Fixtures for the store: fresh databases with every table, and record services over them.

`records` works on the reference app; `projects` on a small app with a child table
(`project.milestones` → `milestone`), attachments on both levels and every on_delete rule.
Both run once on SQLite and once on PostgreSQL. `take_snapshot` captures every table's rows,
so a test can assert that a refused write changed nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.metamodel import App, load_app
from formwork.store.database import Database
from formwork.store.records import RecordService
from formwork.store.system import USER_TABLE
from formwork.store.tables import Tables, build_tables
from tests.packages import write_package

Snapshot = dict[str, list[tuple[Any, ...]]]

PROJECT_APP: dict[str, dict[str, Any]] = {
    "project": {
        "title": "name",
        "fields": {
            "number": {"type": "autonumber", "format": "P-{#####}"},
            "name": {"type": "text", "required": True, "unique": True},
            "budget": {"type": "money", "min": 0},
            "owner": {"type": "link", "to": "user"},
            "files": {"type": "attachment", "max_files": 3, "max_size_mb": 1},
            "milestones": {"type": "table", "to": "milestone", "max_rows": 5},
        },
    },
    "milestone": {
        "child_of": "project",
        "fields": {
            "title": {"type": "text", "required": True},
            "due_date": {"type": "date"},
            "amount": {"type": "money"},
            "done": {"type": "boolean", "default": False},
            "report": {"type": "attachment"},
        },
    },
    "task": {
        "title": "name",
        "fields": {
            "name": {"type": "text", "required": True},
            "project": {"type": "link", "to": "project", "on_delete": "cascade"},
            "reviewer": {"type": "link", "to": "project", "on_delete": "set_null"},
            "sponsor": {"type": "link", "to": "project"},
        },
    },
}


def make_service(db: Database, app: App, files: Path) -> RecordService:
    tables = build_tables(app)
    tables.metadata.create_all(db.engine)
    return RecordService(db, app, tables, files)


def add_user(db: Database, tables: Tables, username: str = "alice") -> int:
    with db.write() as conn:
        result = conn.execute(
            tables.system(USER_TABLE).insert(),
            {
                "username": username,
                "display_name": username.title(),
                "roles": ["admin"],
                "active": True,
                "created_at": dt.datetime.now(dt.UTC),
            },
        )
        return int(result.inserted_primary_key[0])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest) -> Database:
    """A fresh, empty database: SQLite, then PostgreSQL (tests run once on each)."""
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db")


@pytest.fixture
def records(any_db: Database, crm_app: App, tmp_path: Path) -> RecordService:
    """A record service over the reference app on a fresh database."""
    return make_service(any_db, crm_app, tmp_path / "files")


@pytest.fixture
def user_id(records: RecordService) -> int:
    return add_user(records.db, records.tables)


@pytest.fixture(scope="session")
def project_app(tmp_path_factory: pytest.TempPathFactory) -> App:
    return load_app(write_package(tmp_path_factory.mktemp("projects"), PROJECT_APP))


@pytest.fixture
def projects(any_db: Database, project_app: App, tmp_path: Path) -> RecordService:
    """A record service over the project app (child table, attachments, cascades)."""
    return make_service(any_db, project_app, tmp_path / "files")


def take_snapshot(service: RecordService) -> Snapshot:
    """Every row of every table, in primary-key order."""
    with service.db.read() as conn:
        return {
            name: [
                tuple(row) for row in conn.execute(sa.select(table).order_by(*table.primary_key))
            ]
            for name, table in service.tables.metadata.tables.items()
        }


@pytest.fixture
def files_of() -> Callable[[RecordService], list[Path]]:
    """Every file under a service's files folder."""

    def files(service: RecordService) -> list[Path]:
        root = service.files.root
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []

    return files
