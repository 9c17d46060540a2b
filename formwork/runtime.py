"""A running Formwork: settings, the loaded model, the database and its tables, wired once.

Both the web app (`create_app`) and the CLI open one `Runtime`; nothing is kept in globals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .flows.service import FlowService
from .metamodel import App, load_app
from .settings import Settings, load_settings
from .store.database import Database
from .store.permissions import ConfigPolicy
from .store.records import RecordService
from .store.tables import Tables, build_tables


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    model: App
    db: Database
    tables: Tables
    #: The one record service every caller writes through.
    records: RecordService
    #: Approval flows over that service (it also locks fields while requests are pending).
    flows: FlowService

    def close(self) -> None:
        self.db.dispose()


def open_runtime(overrides: dict[str, Any] | None = None, model: App | None = None) -> Runtime:
    """Load settings and the config package; ConfigError if the package is invalid.

    `model`, when given, is used instead of loading the package again (it is immutable, so
    tests and tools may share one)."""
    settings = load_settings(overrides)
    model = model or load_app(settings.package)
    db = Database(settings.database_url)
    tables = build_tables(model)
    policy = ConfigPolicy(model, tables, db.dialect)
    records = RecordService(db, model, tables, settings.files_dir, policy=policy)
    return Runtime(settings, model, db, tables, records, FlowService(records))
