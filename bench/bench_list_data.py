"""The list-page benchmark's data: a Formwork instance folder holding a migrated SQLite database
of N generated customers of the reference app, built once and cached by row count.

The rows come from `bench_regrade.generate` (bulk Core inserts), get their score and grade from
its hand-written scorecard UPDATE, and then the list columns that generator leaves empty (code,
customer type, region, account manager) from one more UPDATE, so every column of the list has a
value to render. Schema sync runs on every use, so the engine's indexes are always present.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher

from bench.bench_regrade import HAND_UPDATE, generate
from formwork.auth import User, UserStore
from formwork.auth.passwords import Passwords
from formwork.runtime import Runtime, open_runtime
from formwork.store.schema_sync import apply_sync

PACKAGE = Path(__file__).resolve().parent.parent / "configs" / "engineering_crm"
#: Bump when the generated data changes, so that cached files are rebuilt.
DATA_VERSION = 1
ADMIN = "bench_admin"
MANAGERS = 20
#: Hashing cost does not matter here: the benchmark signs in by making the session cookie.
CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))

FILL_LIST_COLUMNS = f"""
UPDATE customer SET
  code = 'KH-2026-' || printf('%07d', id),
  customer_type = CASE id % 5 WHEN 0 THEN '政府机构' WHEN 1 THEN '开发商' WHEN 2 THEN '设计院'
                  WHEN 3 THEN '总承包商' ELSE '分包单位' END,
  region = CASE id % 7 WHEN 0 THEN '华北' WHEN 1 THEN '华东' WHEN 2 THEN '华南' WHEN 3 THEN '华中'
           WHEN 4 THEN '西南' WHEN 5 THEN '西北' ELSE '东北' END,
  account_manager = (SELECT id FROM fw_user
                     WHERE username = 'am' || printf('%02d', customer.id % {MANAGERS}))
"""


@dataclass(frozen=True)
class Instance:
    """A cached instance folder: FORMWORK_INSTANCE for the app, `database` for the others."""

    folder: Path
    rows: int

    @property
    def database(self) -> Path:
        return self.folder / "formwork.db"

    def settings(self) -> dict[str, str]:
        return {"package": str(PACKAGE), "instance": str(self.folder)}

    def environ(self) -> dict[str, str]:
        return {f"FORMWORK_{k.upper()}": v for k, v in self.settings().items()}


def cache_root() -> Path:
    """Where generated databases and the Datasette virtualenv are kept between runs."""
    return Path(os.environ.get("FORMWORK_BENCH_CACHE") or tempfile.gettempdir()) / "formwork-bench"


def instance(rows: int) -> Instance:
    """The instance with `rows` customers, generated on first use (~1 min per million rows)."""
    folder = cache_root() / f"list-{rows}-v{DATA_VERSION}"
    if not folder.exists():
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        print(f"generating {rows:,} customers into {folder} …", flush=True)
        _build(Instance(partial, rows))
        partial.rename(folder)
    found = Instance(folder, rows)
    runtime = open_runtime(found.settings())
    try:  # brings an older cached file up to the current model, indexes included
        _sync(runtime)
    finally:
        runtime.close()
    return found


def admin(runtime: Runtime) -> User:
    user = UserStore.of(runtime, CHEAP).by_username(ADMIN)
    assert user is not None, "the cached instance has no bench admin: delete it to rebuild"
    return user


def _sync(runtime: Runtime) -> None:
    # The backup schema sync makes before a change would be a copy of generated data: skip it.
    with tempfile.TemporaryDirectory() as backups:
        apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=Path(backups))


def _build(target: Instance) -> None:
    runtime = open_runtime(target.settings())
    try:
        _sync(runtime)
        users = UserStore.of(runtime, CHEAP)
        users.create(ADMIN, "Bench admin", "bench admin password", ["admin"])
        for n in range(MANAGERS):
            users.create(
                f"am{n:02d}", f"经理{n:02d}", "bench manager password", ["account_manager"]
            )
        with runtime.db.write() as conn:
            generate(conn, runtime.tables["customer"], target.rows)
            conn.exec_driver_sql(HAND_UPDATE)
            conn.exec_driver_sql(FILL_LIST_COLUMNS)
        with runtime.db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        runtime.close()
