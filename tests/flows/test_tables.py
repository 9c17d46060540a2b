"""The flow engine's tables come with the schema: schema sync creates them."""

from __future__ import annotations

from pathlib import Path

from formwork.flows.tables import (
    EVENT_TABLE,
    NOTIFICATION_TABLE,
    REQUEST_TABLE,
    TASK_TABLE,
    VERSION_TABLE,
)
from formwork.metamodel import load_app
from formwork.store.database import Database
from formwork.store.schema_sync import apply_sync, plan_sync
from formwork.store.tables import build_tables

from .conftest import FLOW, write_flow_package

FLOW_TABLES = {VERSION_TABLE, REQUEST_TABLE, TASK_TABLE, EVENT_TABLE, NOTIFICATION_TABLE}


def test_schema_sync_creates_the_flow_tables(tmp_path: Path, sqlite_db: Database) -> None:
    app = load_app(write_flow_package(tmp_path, FLOW))
    tables = build_tables(app)
    plan = plan_sync(sqlite_db, app, tables)
    created = {op.describe().removeprefix("+ table ") for op in plan.operations}
    assert created >= FLOW_TABLES
    apply_sync(sqlite_db, app, tables, backup_dir=tmp_path)
    assert plan_sync(sqlite_db, app, tables).is_empty
