"""A running Formwork: settings, the loaded model, the database and its tables, wired once.

Both the web app (`create_app`) and the CLI open one `Runtime`; nothing is kept in globals.
The model is the config package plus the site's active overlay (`formwork.overlay`); after a
publish the web app swaps to a new Runtime over the same database (`assemble`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .flows.service import FlowService
from .metamodel import App
from .metamodel.fieldtypes import default_registry
from .overlay.site import SiteConfig
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
    #: The site's overlay: draft, revisions, publish, and how this model was built.
    site: SiteConfig

    def close(self) -> None:
        self.db.dispose()


def open_runtime(overrides: dict[str, Any] | None = None, model: App | None = None) -> Runtime:
    """Load settings, the config package and the site's active overlay; ConfigError if the
    package is invalid (an overlay that no longer fits is left out, see `SiteConfig.load`).

    `model`, the package's model when the caller has loaded it already, is used when the site
    has no active overlay (it is immutable, so tests and tools may share one)."""
    settings = load_settings(overrides)
    db = Database(settings.database_url)
    site = new_site(settings, db, model)
    try:
        app = site.load(model)
    except Exception:
        db.dispose()
        raise
    return assemble(settings, db, app, site)


def new_site(settings: Settings, db: Database, model: App | None = None) -> SiteConfig:
    """A not yet loaded SiteConfig for the settings' package over `db`."""
    types = model.types if model is not None else default_registry()
    return SiteConfig(settings.package, db, types, backups=settings.instance / "backups")


def assemble(settings: Settings, db: Database, model: App, site: SiteConfig) -> Runtime:
    """The runtime of `model` over an open database (shared with the runtime it replaces)."""
    tables = build_tables(model)
    policy = ConfigPolicy(model, tables, db.dialect)
    records = RecordService(db, model, tables, settings.files_dir, policy=policy)
    return Runtime(settings, model, db, tables, records, FlowService(records), site)
