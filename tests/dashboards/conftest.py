"""A test-only app for dashboards: deals of accounts, by stage, amount, owner and dates.

`deal` has a select with colours (`stage`), money (`amount`), a figure the `rep` role may not
see (`margin`), a link to an `account`, an owner (`rep` reads only their own deals) and two
date fields. `DASHBOARD` has a widget of every kind; `deals` is a record service over the app
with the config's permissions, once on SQLite and once on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from formwork.metamodel import App, load_app
from formwork.store.actor import Actor
from formwork.store.database import Database
from formwork.store.permissions import ConfigPolicy
from formwork.store.records import RecordService
from formwork.store.system import USER_TABLE
from formwork.store.tables import build_tables
from tests.packages import write_package

ROLES = {
    "boss": {"label": {"en": "Boss"}},
    "rep": {"label": {"en": "Sales rep"}},
    "clerk": {"label": {"en": "Clerk"}},
}
ACCOUNT: dict[str, Any] = {
    "label": {"en": "Account"},
    "title": "name",
    "fields": {"name": {"type": "text", "required": True}},
}
DEAL: dict[str, Any] = {
    "label": {"en": "Deal"},
    "plural_label": {"en": "Deals"},
    "title": "name",
    "owner": "owner",
    "fields": {
        "name": {"type": "text", "required": True},
        "stage": {
            "type": "select",
            "options": [
                {"value": "lead", "label": {"en": "Lead"}, "color": "gray"},
                {"value": "offer", "label": {"en": "Offer"}, "color": "#3366cc"},
                {"value": "won", "label": {"en": "Won"}, "color": "green"},
                {"value": "lost", "label": {"en": "Lost"}},
            ],
        },
        "amount": {"type": "money"},
        "margin": {"type": "integer"},
        "account": {"type": "link", "to": "account"},
        "owner": {"type": "link", "to": "user"},
        "closed_on": {"type": "date"},
        "due_on": {"type": "date"},
        "notes": {"type": "longtext"},
    },
    "permissions": {
        "boss": "all",
        "rep": {"read": "own", "write": "own", "create": True, "hidden": ["margin"]},
    },
    "list": {"columns": ["name", "stage", "amount", "owner"], "sort": ["name"]},
}

#: A widget of every kind, and one that reads a field reps may not see.
DASHBOARD: dict[str, Any] = {
    "dashboard": "pipeline",
    "label": {"en": "Pipeline"},
    "roles": ["boss", "rep"],
    "widgets": [
        {
            "kind": "number",
            "label": {"en": "Open deals"},
            "entity": "deal",
            "filter": {"stage": ["lead", "offer"]},
        },
        {
            "kind": "number",
            "label": {"en": "Margin"},
            "entity": "deal",
            "measure": {"sum": "margin"},
        },
        {
            "kind": "funnel",
            "label": {"en": "Funnel"},
            "entity": "deal",
            "group": "stage",
            "filter": {"stage": ["lead", "offer", "won"]},
            "measure": {"sum": "amount"},
        },
        {"kind": "pie", "label": {"en": "By stage"}, "entity": "deal", "group": "stage"},
        {
            "kind": "bar",
            "label": {"en": "By account"},
            "entity": "deal",
            "group": "account",
            "limit": 2,
        },
        {
            "kind": "line",
            "label": {"en": "Won per month"},
            "entity": "deal",
            "date": "closed_on",
            "filter": {"stage": "won", "closed_on.min": "-3m"},
        },
        {
            "kind": "aging",
            "label": {"en": "Overdue"},
            "entity": "deal",
            "date": "due_on",
            "buckets": [1, 30, 60],
            "measure": {"sum": "amount"},
        },
    ],
}
CLERK_BOARD: dict[str, Any] = {
    "dashboard": "desk",
    "label": {"en": "Desk"},
    "roles": ["clerk"],
    "widgets": [{"kind": "number", "label": {"en": "Accounts"}, "entity": "account"}],
}


def write_deals_package(tmp_path: Path, dashboards: list[dict[str, Any]] | None = None) -> Path:
    root = write_package(
        tmp_path,
        {"account": ACCOUNT, "deal": DEAL},
        app={"roles": ROLES, "navigation": ["deal", "account"]},
    )
    folder = root / "dashboards"
    folder.mkdir(exist_ok=True)
    for doc in [DASHBOARD, CLERK_BOARD] if dashboards is None else dashboards:
        text = json.dumps(doc, ensure_ascii=False, indent=2)
        (folder / f"{doc['dashboard']}.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def deal_app(tmp_path_factory: pytest.TempPathFactory) -> App:
    return load_app(write_deals_package(tmp_path_factory.mktemp("deals")))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest) -> Database:
    """A fresh, empty database: SQLite, then PostgreSQL (tests run once on each)."""
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db")


@pytest.fixture
def deals(any_db: Database, deal_app: App, tmp_path: Path) -> RecordService:
    tables = build_tables(deal_app)
    tables.metadata.create_all(any_db.engine)
    policy = ConfigPolicy(deal_app, tables, any_db.dialect)
    return RecordService(any_db, deal_app, tables, tmp_path / "files", policy=policy)


@pytest.fixture
def people(deals: RecordService) -> dict[str, Actor]:
    made = {}
    with deals.db.write() as conn:
        for name, role in (("ann", "rep"), ("bob", "rep"), ("boss", "boss")):
            new_id = conn.execute(
                deals.tables.system(USER_TABLE).insert(),
                {
                    "username": name,
                    "display_name": name.title(),
                    "roles": [role],
                    "active": True,
                    "created_at": dt.datetime.now(dt.UTC),
                },
            ).inserted_primary_key[0]
            made[name] = Actor(int(new_id), name, (role,))
    return made
