"""Fixtures for reminders: a small invoicing app with one reminder of each kind, its database
and its people.

`REMINDERS` are the app's reminders: `invoice_due` three days before an unpaid invoice's due
day, for its manager; `invoice_overdue` from the day after, every week, for the customer's
owner and every finance user; `birthday` on a person's birthday, for the customer's owner.
`make_world(**reminders)` replaces some of them (None removes one).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.metamodel import App, load_app
from formwork.reminders import Reminders
from formwork.reminders.tables import TODO_TABLE
from formwork.store.actor import Actor
from formwork.store.database import Database, sqlite_url
from formwork.store.records import Record, RecordService
from formwork.store.system import USER_TABLE
from formwork.store.tables import build_tables
from tests.packages import write_package

APP = {
    "default_locale": "en",
    "locales": ["en", "zh"],
    "roles": {"sales": {"label": "Sales"}, "finance": {"label": "Finance"}},
}
ENTITIES: dict[str, Any] = {
    "customer": {
        "title": "name",
        "fields": {
            "name": {"type": "text", "required": True},
            "owner": {"type": "link", "to": "user"},
            "tier": {"type": "select", "options": ["gold", "silver"]},
        },
    },
    "invoice": {
        "title": "code",
        "fields": {
            "code": {"type": "text", "required": True},
            "customer": {"type": "link", "to": "customer", "on_delete": "cascade"},
            "amount": {"type": "money", "min": 0},
            "paid": {"type": "money", "min": 0, "default": 0},
            "due_on": {"type": "date"},
            "manager": {"type": "link", "to": "user"},
        },
    },
    "person": {
        "title": "name",
        "fields": {
            "name": {"type": "text", "required": True},
            "customer": {"type": "link", "to": "customer"},
            "birthday": {"type": "date"},
        },
    },
}
REMINDERS: dict[str, dict[str, Any]] = {
    "invoice_due": {
        "entity": "invoice",
        "label": {"en": "Invoice due", "zh": "发票到期"},
        "date": "due_on",
        "kind": "before",
        "days": 3,
        "when": "paid < amount",
        "to": [{"field": "manager"}],
        "title": {
            "en": "Invoice {code} for {customer} is due on {due_on}: {amount}",
            "zh": "发票 {code}（{customer}）{due_on} 到期",
        },
    },
    "invoice_overdue": {
        "entity": "invoice",
        "label": "Invoice overdue",
        "date": "due_on",
        "kind": "overdue",
        "when": "paid < amount",
        "repeat_days": 7,
        "to": [{"field": "customer.owner"}, {"role": "finance"}],
        "title": "Invoice {code} is overdue ({customer.tier}, owner {customer.owner})",
    },
    "birthday": {
        "entity": "person",
        "label": "Birthday",
        "date": "birthday",
        "kind": "yearly",
        "to": [{"field": "customer.owner"}],
        "title": "Birthday of {name}",
    },
}


def reminders_with(**changes: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """REMINDERS with some replaced (None removes one)."""
    reminders = copy.deepcopy(REMINDERS)
    for name, spec in changes.items():
        if spec is None:
            reminders.pop(name, None)
        else:
            reminders[name] = spec
    return reminders


def write_reminder_package(root: Path, reminders: dict[str, dict[str, Any]]) -> Path:
    package = write_package(root, ENTITIES, APP)
    folder = package / "reminders"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for name, spec in reminders.items():
        text = json.dumps({"reminder": name, **spec}, ensure_ascii=False, indent=2)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return package


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@dataclass
class World:
    """One app over one database: records, reminders, people."""

    app: App
    db: Database
    records: RecordService
    reminders: Reminders
    people: dict[str, Actor] = field(default_factory=dict)

    def person(self, username: str, *roles: str, active: bool = True) -> Actor:
        """The user `username` (created on first use, in the database or in this world)."""
        if username not in self.people:
            users = self.records.tables.system(USER_TABLE)
            with self.db.write() as conn:
                found = conn.execute(
                    sa.select(users.c.id).where(users.c.username == username)
                ).scalar()
                if found is None:
                    found = conn.execute(
                        users.insert(),
                        {
                            "username": username,
                            "display_name": username.capitalize(),
                            "roles": list(roles),
                            "active": active,
                            "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                        },
                    ).inserted_primary_key[0]
            self.people[username] = Actor(int(found), username, roles)
        return self.people[username]

    def customer(self, name: str = "Acme", owner: str = "ann", **values: Any) -> Record:
        return self.records.create(
            "customer", {"name": name, "owner": self.person(owner, "sales").id, **values}
        )

    def invoice(self, customer: Record, due_on: str, manager: str = "max", **values: Any) -> Record:
        values = {"code": "INV-1", "amount": 1000, "paid": 0, **values}
        return self.records.create(
            "invoice",
            {
                "customer": customer.id,
                "due_on": due_on,
                "manager": self.person(manager, "sales").id,
                **values,
            },
        )

    def change(self, entity: str, id: int, values: dict[str, Any]) -> Record:
        """Update a record at its current version."""
        version = self.records.get(entity, id).version
        return self.records.update(entity, id, values, version)

    def remove(self, entity: str, id: int) -> None:
        self.records.delete(entity, id, self.records.get(entity, id).version)

    def rows(self, **where: Any) -> list[sa.RowMapping]:
        """Every row of fw_todo (matching `where`), by id."""
        table = self.records.tables.system(TODO_TABLE)
        query = sa.select(table).order_by(table.c.id)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        with self.db.read() as conn:
            return list(conn.execute(query).mappings())

    def open_rows(self, **where: Any) -> list[sa.RowMapping]:
        return [r for r in self.rows(**where) if r["done_at"] is None and r["closed_at"] is None]


def open_world(db: Database, package: Path, files: Path) -> World:
    app = load_app(package)
    tables = build_tables(app)
    tables.metadata.create_all(db.engine)
    records = RecordService(db, app, tables, files)
    world = World(app, db, records, Reminders(records))
    world.person("fiona", "finance")
    return world


MakeWorld = Callable[..., World]


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[MakeWorld]:
    """make_world(db=None, **reminder_changes) → a World (on a fresh SQLite database unless
    `db` is given)."""
    databases: list[Database] = []

    def make(db: Database | None = None, **changes: dict[str, Any] | None) -> World:
        package = write_reminder_package(tmp_path, reminders_with(**changes))
        if db is None:
            db = Database(sqlite_url(tmp_path, f"reminders{len(databases)}.db"))
            databases.append(db)
        return open_world(db, package, tmp_path / "files")

    yield make
    for db in databases:
        db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, make_world: MakeWorld) -> World:
    """The invoicing app with REMINDERS, on SQLite and on PostgreSQL."""
    if request.param == "postgresql":
        return make_world(db=request.getfixturevalue("pg_db"))
    return make_world()
