"""Fixtures for demo data: migrated runtimes of the reference app and of a generic test app
(written with `write_package`, no demo.yaml), and a `demo(runtime, …)` helper with a fixed
clock and cheap password hashing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from formwork.auth.passwords import Passwords
from formwork.demo import DemoResult, DemoSpec, load_demo_spec, make_demo_data
from formwork.demo.spec import EntitySpec
from formwork.runtime import Runtime, open_runtime
from formwork.store.schema_sync import apply_sync
from tests.conftest import CRM_PACKAGE
from tests.packages import write_package

NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))

#: A test-only app with no demo spec: every kind of field the generator must fill alone.
GENERIC: dict[str, dict[str, Any]] = {
    "team": {
        "title": "name",
        "fields": {
            "name": {"type": "text", "required": True, "unique": True, "max_length": 40},
            "kind": {"type": "select", "required": True, "options": ["alpha", "beta", "gamma"]},
            "lead": {"type": "link", "to": "user"},
            "email": {"type": "email", "unique": True},
        },
    },
    "project": {
        "title": "title",
        "fields": {
            "code": {"type": "autonumber", "format": "P-{YYYY}-{####}"},
            "title": {"type": "text", "required": True, "unique": True, "max_length": 30},
            "team": {"type": "link", "to": "team", "required": True},
            "stage": {"type": "select", "required": True, "options": ["open", "won", "lost"]},
            "lost_reason": {
                "type": "text",
                "visible_when": "stage == 'lost'",
                "required_when": "stage == 'lost'",
            },
            "labels": {"type": "multiselect", "options": ["a", "b", "c"], "max_items": 2},
            "budget": {"type": "money", "min": 0},
            "discount": {"type": "percent"},
            "net": {
                "type": "money",
                "formula": "coalesce(budget, 0) * (1 - coalesce(discount, 0) / 100)",
            },
            "effort": {"type": "integer", "min": 1, "max": 10, "required": True},
            "stars": {"type": "rating"},
            "starts": {"type": "date"},
            "active": {"type": "boolean", "default": True},
            "notes": {"type": "longtext"},
            "site": {"type": "url"},
            "phone": {"type": "phone"},
            "files": {"type": "attachment"},
            "milestones": {"type": "table", "to": "milestone", "min_rows": 1, "max_rows": 3},
        },
        "validations": [
            {
                "rule": "is_empty(discount) or discount <= 50",
                "field": "discount",
                "message": "At most 50% off",
            },
            {"rule": "effort <= 8", "field": "effort", "message": "At most 8 days"},
        ],
    },
    "milestone": {
        "child_of": "project",
        "fields": {
            "title": {"type": "text", "required": True},
            "due": {"type": "date"},
            "done": {"type": "boolean", "default": False},
        },
    },
}


def migrated(instance: Path, package: Path, database_url: str | None = None) -> Runtime:
    settings: dict[str, Any] = {"instance": instance, "package": package}
    if database_url is not None:
        settings["database_url"] = database_url
    runtime = open_runtime(settings)
    apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=instance)
    return runtime


@pytest.fixture
def generic_package(tmp_path: Path) -> Path:
    return write_package(tmp_path, GENERIC)


@pytest.fixture
def open_app(tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    """open_app(package, name, database_url=None) → a migrated runtime on its own database
    (SQLite in tmp_path/name unless a URL is given)."""
    opened: list[Runtime] = []

    def open_one(package: Path, name: str = "db", database_url: str | None = None) -> Runtime:
        opened.append(migrated(tmp_path / name, package, database_url))
        return opened[-1]

    yield open_one
    for runtime in opened:
        runtime.close()


@pytest.fixture
def generic(open_app: Callable[..., Runtime], generic_package: Path) -> Runtime:
    return open_app(generic_package, "generic")


@pytest.fixture
def crm(open_app: Callable[..., Runtime]) -> Runtime:
    return open_app(CRM_PACKAGE, "crm")


@pytest.fixture(scope="session")
def crm_spec(crm_app: Any) -> DemoSpec:
    return load_demo_spec(CRM_PACKAGE, crm_app)


def only(spec: DemoSpec, app: Any, *entities: str) -> DemoSpec:
    """`spec` with records of `entities` alone (the reference app has many more)."""
    counts = {name: EntitySpec(count=0) for name in app.entities if name not in entities}
    return dataclasses.replace(spec, entities={**spec.entities, **counts})


def demo(runtime: Runtime, spec: DemoSpec | None = None, **options: Any) -> DemoResult:
    """make_demo_data at a fixed time with cheap password hashing."""
    options.setdefault("scale", 10)
    options.setdefault("seed", 3)
    return make_demo_data(runtime, spec or DemoSpec(), now=NOW, passwords=CHEAP, **options)


def rows(runtime: Runtime, entity: str) -> list[dict[str, Any]]:
    """Every row of the entity's table, by id, as dicts."""
    table = runtime.tables[entity]
    with runtime.db.read() as conn:
        result = conn.execute(sa.select(table).order_by(table.c.id)).mappings()
        return [dict(row) for row in result]


def field_values(runtime: Runtime, entity: str) -> list[dict[str, Any]]:
    """The rows without their version (the service counts the edits, bulk inserts the end)."""
    return [{k: v for k, v in row.items() if k != "version"} for row in rows(runtime, entity)]
