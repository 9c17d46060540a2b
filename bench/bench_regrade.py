"""Bulk re-grade of generated customers on SQLite: `formwork`'s regrade (the scorecard compiled
to SQL, in batches, with a history row and explanation per changed record) vs one hand-written
SQL UPDATE of the same scorecard (no history), and what-if (read only) on the same rows.

Goal (issue #3): regrade ≤ 1.5× the hand-written UPDATE's time.
Run: .venv/bin/python -m bench.bench_regrade [records]   (default 200,000; the issue's: 1000000)
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from formwork.metamodel import load_app
from formwork.rules.grading import CompiledGrading
from formwork.rules.rulebook import RuleBook
from formwork.store.database import Database, sqlite_url
from formwork.store.regrade import regrade, what_if
from formwork.store.schema_sync import apply_sync
from formwork.store.tables import build_tables

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


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    app = load_app(PACKAGE)
    tables = build_tables(app)
    grading = RuleBook(app)["customer"].gradings[0]
    assert isinstance(grading, CompiledGrading)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(sqlite_url(Path(tmp)))
        apply_sync(db, app, tables, backup_dir=Path(tmp))
        table = tables["customer"]
        with db.write() as conn:
            generate(conn, table, count)

        start = time.perf_counter()
        with db.write() as conn:
            conn.exec_driver_sql(HAND_UPDATE)
        t_hand = time.perf_counter() - start
        with db.read() as conn:
            hand = dict(conn.execute(sa.select(table.c.id, table.c.grade)).all())
        with db.write() as conn:
            conn.execute(table.update().values(score=None, grade=None))

        start = time.perf_counter()
        result = regrade(db, app, tables, grading)
        t_regrade = time.perf_counter() - start
        with db.read() as conn:
            ours = dict(conn.execute(sa.select(table.c.id, table.c.grade)).all())
        differ = sum(1 for k, v in hand.items() if ours.get(k) != v)

        start = time.perf_counter()
        preview = what_if(db, app, tables, grading)
        t_whatif = time.perf_counter() - start
        db.dispose()
    print(
        f"regrade {count:,} customers on SQLite: formwork {t_regrade:.2f} s "
        f"({result.changed:,} changed, with history), hand-written UPDATE {t_hand:.2f} s; "
        f"grades that differ: {differ}"
    )
    print(f"regrade = {t_regrade / t_hand:.2f}× the hand-written UPDATE's time (goal ≤ 1.5)")
    print(
        f"what-if over {preview.total:,} records: {t_whatif:.2f} s "
        f"= {t_whatif / t_hand:.2f}× the hand-written UPDATE's time"
    )


if __name__ == "__main__":
    main()
