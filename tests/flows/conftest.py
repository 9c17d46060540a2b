"""Fixtures for the flow engine: a small order-approval app, its database and its people.

`FLOW` is routed like the reference app's contract approval: a director approves every
order; finance and then an executive too from 5,000,000 on. Tests change it with
`make_flows(**changes)` (or a whole other flow document), and `people` gives each role a user.
Engine tests run on SQLite; the concurrency test also on PostgreSQL.
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

from formwork.flows.service import FlowService
from formwork.metamodel import App, load_app
from formwork.store.actor import Actor
from formwork.store.database import Database, sqlite_url
from formwork.store.records import Record, RecordService
from formwork.store.system import USER_TABLE
from formwork.store.tables import build_tables
from tests.packages import write_package

ROLES = ("sales", "director", "finance", "executive", "admin")
APP = {"roles": {role: {"label": role.capitalize()} for role in ROLES}}
ENTITIES: dict[str, Any] = {
    "customer": {
        "title": "name",
        "fields": {
            "name": {"type": "text", "required": True},
            "account_manager": {"type": "link", "to": "user"},
        },
    },
    "order": {
        "title": "name",
        "fields": {
            "name": {"type": "text", "required": True},
            "amount": {"type": "money", "min": 0},
            "note": {"type": "text"},
            "status": {
                "type": "select",
                "readonly": True,
                "options": ["draft", "pending", "approved", "rejected"],
            },
            "manager": {"type": "link", "to": "user"},
            "customer": {"type": "link", "to": "customer"},
            "approved_on": {"type": "date", "readonly": True},
            "decided_by_flow": {"type": "boolean", "readonly": True},
        },
    },
}
FLOW: dict[str, Any] = {
    "flow": "order_approval",
    "entity": "order",
    "label": "Order approval",
    "state_field": "status",
    "states": {
        "draft": {"label": "Draft"},
        "pending": {"label": "Pending"},
        "approved": {"label": "Approved"},
        "rejected": {"label": "Rejected"},
    },
    "submit": {"state": "pending", "from": ["draft", "rejected"], "roles": ["sales"]},
    "locked": ["amount", "name"],
    "steps": [
        {"name": "director", "approvers": [{"role": "director"}]},
        {"name": "finance", "approvers": [{"role": "finance"}], "when": "amount >= 5000000"},
        {"name": "executive", "approvers": [{"role": "executive"}], "when": "amount >= 5000000"},
    ],
    "on_approve": {"state": "approved", "set": {"approved_on": "today()", "decided_by_flow": True}},
    "on_reject": {"state": "rejected", "set": {"decided_by_flow": True}},
}


def flow_with(**changes: Any) -> dict[str, Any]:
    """FLOW with top-level keys replaced (None removes a key)."""
    flow = copy.deepcopy(FLOW)
    for key, value in changes.items():
        if value is None:
            flow.pop(key, None)
        else:
            flow[key] = value
    return flow


def write_flow_package(
    root: Path, flow: dict[str, Any], entities: dict[str, Any] | None = None
) -> Path:
    """The test app with `flow` as its only flow (rewritten in place: a new config version)."""
    package = write_package(root, entities or ENTITIES, APP)
    (package / "flows").mkdir(exist_ok=True)
    for old in (package / "flows").iterdir():
        old.unlink()
    text = json.dumps(flow, ensure_ascii=False, indent=2)
    (package / "flows" / f"{flow['flow']}.yaml").write_text(text, encoding="utf-8")
    return package


class Clock:
    """A clock the test moves: `clock.advance(hours=49)`."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class FlowWorld:
    """One app over one database: its record and flow services, people, and a clock."""

    app: App
    db: Database
    records: RecordService
    flows: FlowService
    clock: Clock
    people: dict[str, Actor] = field(default_factory=dict)

    def person(self, username: str, *roles: str) -> Actor:
        """A user (created on first use) holding `roles`."""
        if username not in self.people:
            with self.db.write() as conn:
                result = conn.execute(
                    self.records.tables.system(USER_TABLE).insert(),
                    {
                        "username": username,
                        "display_name": username.capitalize(),
                        "roles": list(roles),
                        "active": True,
                        "created_at": self.clock(),
                    },
                )
            user_id = int(result.inserted_primary_key[0])
            self.people[username] = Actor(user_id, username, tuple(roles))
        return self.people[username]

    def order(self, name: str = "Big order", amount: int | str = 1000, **values: Any) -> Record:
        return self.records.create("order", {"name": name, "amount": amount, **values})

    def get(self, record: Record) -> Record:
        return self.records.get("order", record.id)

    def reopen(self, package: Path) -> FlowWorld:
        """The same database under a new version of the config (as after a deploy)."""
        app = load_app(package)
        tables = build_tables(app)
        records = RecordService(self.db, app, tables, self.records.files.root, clock=self.clock)
        return FlowWorld(app, self.db, records, FlowService(records), self.clock, self.people)


def open_world(db: Database, package: Path, files: Path) -> FlowWorld:
    app = load_app(package)
    tables = build_tables(app)
    tables.metadata.create_all(db.engine)
    clock = Clock()
    records = RecordService(db, app, tables, files, clock=clock)
    world = FlowWorld(app, db, records, FlowService(records), clock)
    for role in ROLES:
        world.person(role, role)
    return world


MakeWorld = Callable[..., FlowWorld]


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[MakeWorld]:
    """make_world(flow=FLOW, entities=ENTITIES) → a FlowWorld on a fresh SQLite database,
    with one user per role, named after it."""
    databases: list[Database] = []

    def make(
        flow: dict[str, Any] | None = None, entities: dict[str, Any] | None = None
    ) -> FlowWorld:
        package = write_flow_package(tmp_path, flow or FLOW, entities)
        db = Database(sqlite_url(tmp_path, f"flows{len(databases)}.db"))
        databases.append(db)
        return open_world(db, package, tmp_path / "files")

    yield make
    for db in databases:
        db.dispose()


@pytest.fixture
def world(make_world: MakeWorld) -> FlowWorld:
    """The order-approval app with FLOW."""
    return make_world()
