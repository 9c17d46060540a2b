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


# -- a sales app with rules: rollups, links, conditions, a grading -----------------------
SALES_APP = """
app: sales
title: {zh: 销售, en: Sales}
locales: [zh, en]
"""
SALES_ACCOUNT = """
entity: account
label: 客户
title: name
fields:
  name: {type: text, label: 名称, required: true}
  deal_total: {type: money, label: 成交额, formula: "sum(deals.amount, stage == 'won')"}
  deal_count: {type: integer, label: 成交数, formula: "count(deals, stage == 'won')"}
  score: {type: decimal, label: 得分, readonly: true}
  grade: {type: select, label: 等级, readonly: true, options: [A, B, C]}
related:
  deals: {entity: deal, via: account}
"""
SALES_DEAL = """
entity: deal
label: 商机
title: title
fields:
  title: {type: text, label: 标题, required: true}
  amount: {type: money, label: 金额, readonly_when: "stage == 'won'"}
  discount: {type: percent, label: 折扣}
  net: {type: money, label: 净额, formula: "amount * (1 - coalesce(discount, 0) / 100)"}
  stage: {type: select, label: 阶段, options: [open, won, lost]}
  lost_reason:
    type: text
    label: 丢单原因
    visible_when: "stage == 'lost'"
    required_when: "stage == 'lost'"
  close_on: {type: date, label: 预计成交, required: true, default_formula: "add_days(today(), 30)"}
  account: {type: link, to: account, label: 客户}
  account_grade: {type: text, label: 客户等级, formula: "account.grade"}
  caption: {type: text, label: 摘要, virtual: true, formula: "title + ' · ' + coalesce(stage, '?')"}
validations:
  - rule: "is_empty(discount) or discount <= 50"
    field: discount
    message: {zh: 折扣不能超过50%, en: At most 50% off}
"""
SALES_GRADING = """
grading: account_grade
entity: account
label: 客户分级
dimensions:
  - name: size
    weight: 70
    value: deal_total
    bands: [{min: 1000000, points: 100}, {min: 100000, points: 60}, {points: 10}]
  - {name: count, weight: 30, value: "deal_count * 25"}
grades:
  - {grade: A, min_score: 80}
  - {grade: B, min_score: 50}
  - {grade: C}
overrides:
  - {when: "deal_total >= 5000000", at_least: A, reason: 大客户}
"""


@pytest.fixture(scope="session")
def sales_app(tmp_path_factory: pytest.TempPathFactory) -> App:
    root: Path = tmp_path_factory.mktemp("sales")
    for folder in ("entities", "gradings"):
        (root / folder).mkdir()
    (root / "app.yaml").write_text(SALES_APP, encoding="utf-8")
    (root / "entities" / "account.yaml").write_text(SALES_ACCOUNT, encoding="utf-8")
    (root / "entities" / "deal.yaml").write_text(SALES_DEAL, encoding="utf-8")
    (root / "gradings" / "account_grade.yaml").write_text(SALES_GRADING, encoding="utf-8")
    return load_app(root)


@pytest.fixture
def sales(any_db: Database, sales_app: App, tmp_path: Path) -> RecordService:
    return make_service(any_db, sales_app, tmp_path / "files")
