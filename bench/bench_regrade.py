"""Bulk re-grade of generated customers on SQLite: `formwork`'s regrade (the scorecard compiled
to SQL, in batches, with a history row and explanation per changed record) vs one hand-written
SQL UPDATE of the same scorecard (no history), and what-if (read only) on the same rows; also
a second regrade with nothing left to change (every record's newest history row compared).

Goal (issue #3): regrade ≤ 1.5× the hand-written UPDATE's time.
Run: .venv/bin/python -m bench.bench_regrade [records] [repeat]
     (default 200,000 records, best of 3; the issue's: 1000000)
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa

from formwork.metamodel import load_app
from formwork.rules.grading import CompiledGrading
from formwork.rules.rulebook import RuleBook
from formwork.store.database import Database, sqlite_url
from formwork.store.regrade import regrade, what_if
from formwork.store.schema_sync import apply_sync
from formwork.store.tables import build_tables

T = TypeVar("T")
PACKAGE = Path(__file__).resolve().parent.parent / "configs" / "engineering_crm"

CLAMP = "max(0, min(100, coalesce({}, 0)))"
CONTRACT_POINTS = (
    "CASE WHEN annual_amount >= 20000000 THEN 100 WHEN annual_amount >= 10000000 THEN 80 "
    "WHEN annual_amount >= 5000000 THEN 60 WHEN annual_amount >= 1000000 THEN 35 ELSE 10 END"
)
STABILITY = (
    "min(coalesce(cooperation_years, 0), 10) * 6"
    " + (CASE WHEN payment_record = '良好' THEN 40 ELSE 0 END)"
    " - (CASE WHEN major_dispute THEN 50 ELSE 0 END)"
)
TERMS = [
    f"({CONTRACT_POINTS}) * 0.35",
    CLAMP.format("complexity * 20") + " * 0.15",
    CLAMP.format("strategic_value * 20") + " * 0.20",
    CLAMP.format(STABILITY) + " * 0.15",
    CLAMP.format("potential * 20") + " * 0.15",
]
HAND_SCORE = "floor((" + " + ".join(TERMS) + ") * 100 + 0.5 + 1e-9) / 100.0"
HAND_UPDATE = (
    f"UPDATE customer SET score = {HAND_SCORE}, grade = CASE "
    "WHEN max_single_contract >= 5000000 OR annual_amount >= 20000000 THEN 'A' "
    f"WHEN {HAND_SCORE} >= 80 THEN 'A' WHEN {HAND_SCORE} >= 60 THEN 'B' ELSE 'C' END"
)


def generate(conn: sa.Connection, table: sa.Table, count: int) -> None:
    rng = random.Random(5)
    now = dt.datetime.now(dt.UTC)
    rows = []
    for i in range(count):
        amount = rng.choice([rng.uniform(0, 2e6), rng.uniform(0, 3e7)])
        rows.append(
            {
                "name": f"客户{i:07d}",
                "created_at": now,
                "updated_at": now,
                "annual_amount": round(amount, 2),
                "max_single_contract": round(amount * rng.random(), 2),
                "complexity": rng.randint(0, 5),
                "strategic_value": rng.randint(0, 5),
                "cooperation_years": rng.randint(0, 20),
                "potential": rng.randint(0, 5),
                "payment_record": rng.choice(["良好", "一般", "较差"]),
                "major_dispute": rng.random() < 0.1,
            }
        )
        if len(rows) == 50_000:
            conn.execute(sa.insert(table), rows)
            rows = []
    if rows:
        conn.execute(sa.insert(table), rows)


def fresh_copy(base: Path, folder: Path) -> Database:
    """A copy of the generated database (no grades yet), so every run starts alike."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    for name in ("formwork.db", "formwork.db-wal"):
        if (base / name).exists():
            shutil.copy(base / name, folder / name)
    return Database(sqlite_url(folder))


def grades(db: Database, table: sa.Table) -> dict[int, str]:
    with db.read() as conn:
        return dict(conn.execute(sa.select(table.c.id, table.c.grade)).all())


class Times:
    """Wall and CPU time (this process's: SQLite runs inside it) of each step, per run."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}

    def measure(self, step: str, run: Callable[[], T]) -> T:
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        self.wall.setdefault(step, []).append(time.perf_counter() - wall)
        self.cpu.setdefault(step, []).append(time.process_time() - cpu)
        return result

    def best(self, step: str) -> tuple[float, float]:
        return min(self.wall[step]), min(self.cpu[step])

    def line(self, step: str, baseline: str = "hand") -> str:
        (wall, cpu), (base_wall, base_cpu) = self.best(step), self.best(baseline)
        return (
            f"{wall:.2f} s = {wall / base_wall:.2f}× the hand-written UPDATE's time "
            f"(CPU {cpu:.2f} s = {cpu / base_cpu:.2f}×)"
        )


def hand_update(db: Database) -> None:
    with db.write() as conn:
        conn.exec_driver_sql(HAND_UPDATE)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    app = load_app(PACKAGE)
    tables = build_tables(app)
    grading = RuleBook(app)["customer"].gradings[0]
    assert isinstance(grading, CompiledGrading)
    table = tables["customer"]
    times = Times()
    with tempfile.TemporaryDirectory() as tmp:
        base, work = Path(tmp) / "base", Path(tmp) / "run"
        base.mkdir()
        db = Database(sqlite_url(base))
        apply_sync(db, app, tables, backup_dir=base)
        with db.write() as conn:
            generate(conn, table, count)
        db.dispose()

        # Interleaved, each on a fresh copy: a busy machine slows both alike, and the best
        # time of each is the least disturbed.
        for _ in range(repeat):
            db = fresh_copy(base, work)
            times.measure("hand", partial(hand_update, db))
            hand = grades(db, table)
            db.dispose()

            db = fresh_copy(base, work)
            result = times.measure("regrade", partial(regrade, db, app, tables, grading))
            differ = sum(1 for k, v in grades(db, table).items() if hand.get(k) != v)
            rerun = times.measure("rerun", partial(regrade, db, app, tables, grading))
            assert rerun.changed == 0
            preview = times.measure("what-if", partial(what_if, db, app, tables, grading))
            db.dispose()
            print(
                "  run: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.wall.items()),
                flush=True,
            )
    wall, cpu = times.best("hand")
    print(
        f"regrade {count:,} customers on SQLite, best of {repeat}; hand-written UPDATE "
        f"{wall:.2f} s (CPU {cpu:.2f} s); {result.changed:,} changed, grades that differ: {differ}"
    )
    print(f"regrade (with history): {times.line('regrade')} — goal ≤ 1.5")
    print(f"rerun, nothing to change: {times.line('rerun')}")
    print(f"what-if over {preview.total:,} records: {times.line('what-if')}")


if __name__ == "__main__":
    main()
