"""Creating records through the record service vs a hand-written Core executemany of the same
rows (the floor: no validation, no audit, no numbering, one statement for all rows).

Run: .venv/bin/python -m bench.bench_records [count]   (default 20,000; the issue's figure: 100000)
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from formwork.metamodel import load_app
from formwork.store.database import Database, sqlite_url
from formwork.store.records import RecordService
from formwork.store.schema_sync import apply_sync
from formwork.store.tables import build_tables

PACKAGE = Path(__file__).resolve().parent.parent / "configs" / "engineering_crm"
TYPES = ["政府机构", "开发商", "设计院", "总承包商", "分包单位"]
REGIONS = ["华北", "华东", "华南", "华中", "西南", "西北", "东北"]


def make_rows(count: int) -> list[dict[str, Any]]:
    rng = random.Random(11)
    return [
        {
            "name": f"客户{i:07d}",
            "customer_type": rng.choice(TYPES),
            "region": rng.choice(REGIONS),
            "annual_amount": Decimal(rng.randrange(0, 30_000_000_00)) / 100,
            "complexity": rng.randint(0, 5),
            "strategic_value": rng.randint(0, 5),
            "cooperation_years": rng.randint(0, 20),
            "major_dispute": rng.random() < 0.05,
            "phone": f"010-{rng.randint(10_000_000, 99_999_999)}",
        }
        for i in range(count)
    ]


def fresh(folder: Path, name: str) -> tuple[Database, Any, Any]:
    app = load_app(PACKAGE)
    tables = build_tables(app)
    db = Database(sqlite_url(folder, name))
    apply_sync(db, app, tables, backup_dir=folder)
    return db, app, tables


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    rows = make_rows(count)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db, app, tables = fresh(folder, "service.db")
        service = RecordService(db, app, tables, folder / "files")
        start = time.perf_counter()
        for row in rows:
            service.create("customer", row)
        t_service = time.perf_counter() - start
        db.dispose()

        db, app, tables = fresh(folder, "core.db")
        now = dt.datetime.now(dt.UTC)
        start = time.perf_counter()
        with db.write() as conn:
            conn.execute(
                sa.insert(tables["customer"]),
                [{**row, "created_at": now, "updated_at": now} for row in rows],
            )
        t_core = time.perf_counter() - start
        db.dispose()
    print(
        f"create {count:,} customers on SQLite: record service {t_service:.2f} s "
        f"({count / t_service:,.0f}/s), Core executemany {t_core:.2f} s ({count / t_core:,.0f}/s)"
    )
    print(
        f"record service = {t_service / t_core:.1f}× the time of a bare executemany "
        f"(one transaction per record, with validation, numbering and audit)"
    )


if __name__ == "__main__":
    main()
