"""Importing customers from a CSV file through the import pipeline vs a hand-written script.

The pipeline: read the file (encoding trial, sniffed dialect), map columns by label, convert
cells (options by label, amounts with separators), then `RecordService.create_many` per run of
up to 5,000 rows, in one transaction per batch (20,000 rows by default): every check, rule,
number, grade and audit row (see docs/import-export.md), with progress asked for as the import
pages and `formwork import` ask for it. Timed twice: the dry run (every row checked, all rolled
back) and the import itself. The baseline: `csv.DictReader` → a hand-written marshmallow schema
→ one Core executemany of every row in one transaction (no checks against the database, no
rules, numbers or audit), run before and after the pipeline on fresh databases; the faster run
counts. Wall time and, in brackets, the CPU time of the process (SQLite runs inside it), which
a machine busy with other work disturbs less.

Run: .venv/bin/python -m bench.bench_import [count] [--batch rows]
     (default 20,000 rows in the import's default batches; the issue's count: 100000)
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import marshmallow as ma
import sqlalchemy as sa

from bench.bench_records import fresh, make_rows
from formwork.store.records import RecordService
from formwork.transfer import mapping
from formwork.transfer.convert import Converter
from formwork.transfer.links import LinkResolver
from formwork.transfer.pipeline import DEFAULT_BATCH, Importer
from formwork.transfer.sources import open_source

COLUMNS = (
    "name",
    "customer_type",
    "region",
    "annual_amount",
    "complexity",
    "strategic_value",
    "cooperation_years",
    "major_dispute",
    "phone",
)


def write_file(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in make_rows(count):
            writer.writerow(
                ["是" if row[c] is True else "否" if row[c] is False else row[c] for c in COLUMNS]
            )


class CustomerRow(ma.Schema):
    name = ma.fields.String(required=True)
    customer_type = ma.fields.String(required=True)
    region = ma.fields.String()
    annual_amount = ma.fields.Decimal()
    complexity = ma.fields.Integer()
    strategic_value = ma.fields.Integer()
    cooperation_years = ma.fields.Integer()
    major_dispute = ma.fields.Boolean(truthy={"是"}, falsy={"否"})
    phone = ma.fields.String()


def baseline(folder: Path, path: Path, name: str = "baseline.db") -> tuple[float, float]:
    db, _app, tables = fresh(folder, name)
    start, cpu = time.perf_counter(), time.process_time()
    schema = CustomerRow()
    now = dt.datetime.now(dt.UTC)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            {**schema.load(row), "created_at": now, "updated_at": now}
            for row in csv.DictReader(handle)
        ]
    with db.write() as conn:
        conn.execute(sa.insert(tables["customer"]), rows)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    db.dispose()
    return seconds, cpu


def read_and_convert(folder: Path, path: Path) -> float:
    """The pipeline's own share: reading, mapping and converting every cell (no writes)."""
    db, app, tables = fresh(folder, "convert.db")
    service = RecordService(db, app, tables, folder / "files")
    entity = app.entity("customer")
    start = time.perf_counter()
    source = open_source(path)
    allowed = mapping.targets(entity, (), (), lambda f: f.name)
    fields = mapping.guess(entity, source.columns, allowed)
    convert = Converter(LinkResolver(service, None))
    cells = [(i, entity.fields[fields[c]]) for i, c in enumerate(source.columns)]
    for row in source.rows():
        {f.name: convert.value(f, row.cells[i]) for i, f in cells}
    seconds = time.perf_counter() - start
    db.dispose()
    return seconds


def pipeline(folder: Path, path: Path, batch: int) -> tuple[float, float, float]:
    db, app, tables = fresh(folder, "pipeline.db")
    service = RecordService(db, app, tables, folder / "files")
    entity = app.entity("customer")
    source = open_source(path)
    allowed = mapping.targets(entity, (), (), lambda f: f.name)
    columns = mapping.check(
        source.columns, mapping.guess(entity, source.columns, allowed), None, allowed
    )
    importer = Importer(service, entity, None, source.columns, columns)
    start = time.perf_counter()
    checked = importer.run(source, dry_run=True, batch_size=batch, progress=_told)
    t_check = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    result = importer.run(source, batch_size=batch, progress=_told)
    t_import, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert checked.ok and result.ok and result.created == checked.rows, result.errors[:3]
    db.dispose()
    return t_check, t_import, cpu


def _told(done: int, total: int) -> None:
    """Progress, asked for as the import pages and `formwork import` ask for it (the file's
    rows are then counted first)."""


def main() -> None:
    args = sys.argv[1:]
    batch = DEFAULT_BATCH
    if "--batch" in args:
        at = args.index("--batch")
        batch = int(args[at + 1])
        del args[at : at + 2]
    count = int(args[0]) if args else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "customers.csv"
        write_file(path, count)
        first = baseline(folder, path)
        t_convert = read_and_convert(folder, path)
        t_check, t_import, cpu_import = pipeline(folder, path, batch)
        t_base, cpu_base = map(min, zip(first, baseline(folder, path, "again.db"), strict=True))
    print(f"{count:,} customers from CSV on SQLite, batches of {batch:,}:")
    print(
        f"  baseline csv → marshmallow → executemany: {t_base:.2f} s ({count / t_base:,.0f}/s)"
        f" (CPU {cpu_base:.2f} s)"
    )
    print(f"  pipeline read + map + convert only: {t_convert:.2f} s ({count / t_convert:,.0f}/s)")
    print(f"  pipeline dry run: {t_check:.2f} s ({count / t_check:,.0f}/s)")
    print(
        f"  pipeline import:  {t_import:.2f} s ({count / t_import:,.0f}/s) (CPU {cpu_import:.2f} s)"
    )
    print(
        f"  import speed = {t_base / t_import:.3f}× the baseline's (goal ≥ 0.7);"
        f" CPU: {cpu_base / cpu_import:.3f}×"
    )


if __name__ == "__main__":
    main()
