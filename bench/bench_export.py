"""Peak memory (and time) of exporting a large table to CSV and .xlsx.

Fills a fresh SQLite database with `count` customers (Core inserts in chunks, in a child
process), then exports every record through `transfer.export.export_rows` — keyset pages of
500 through the record service, link titles per page — into `csv_chunks` and the write-only
.xlsx writer, each in a fresh process whose peak resident memory (ru_maxrss) is reported,
with the process's peak before the export began (interpreter, libraries, model) as the
baseline: the difference is what the export itself holds.

Run: .venv/bin/python -m bench.bench_export [count]   (default 200,000; the issue's: 1000000)
"""

from __future__ import annotations

import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.bench_records import fresh, make_rows

CHUNK = 20_000


def fill(folder: Path, count: int) -> None:
    db, _app, tables = fresh(folder, "export.db")
    now = dt.datetime.now(dt.UTC)
    for start in range(0, count, CHUNK):
        rows = make_rows(min(CHUNK, count - start))
        for i, row in enumerate(rows):
            row["name"] = f"客户{start + i:08d}"
            row["code"] = f"KH-2026-{start + i:07d}"
        with db.write() as conn:
            conn.execute(
                sa.insert(tables["customer"]),
                [{**r, "created_at": now, "updated_at": now} for r in rows],
            )
    db.dispose()


def export(folder: Path, kind: str) -> None:
    from bench.bench_records import PACKAGE
    from formwork.metamodel import load_app
    from formwork.store.database import Database, sqlite_url
    from formwork.store.query import Query
    from formwork.store.records import RecordService
    from formwork.store.tables import build_tables
    from formwork.transfer.export import export_fields, export_rows
    from formwork.transfer.writers import csv_chunks, write_xlsx
    from formwork.views.display import Display, LinkTitles

    app = load_app(PACKAGE)
    db = Database(sqlite_url(folder, "export.db"))
    service = RecordService(db, app, build_tables(app), folder / "files")
    entity = app.entity("customer")
    fields = export_fields(entity, ())
    header = [f.label.get("zh", f.name) for f in fields]

    def texts(fields, rows):
        return Display("zh", "Asia/Shanghai", LinkTitles(service, None).load(fields, rows))

    # The process before exporting (interpreter, libraries, the model): the baseline.
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    # By id: the list's own sort (-score, name) is not one index, and re-sorting a million rows
    # for every keyset page is a query-layer cost this benchmark is not about.
    rows = export_rows(service, entity, None, fields, Query(sort=("id",)), texts)
    target = folder / f"export.{kind}"
    if kind == "csv":
        with target.open("wb") as handle:
            for chunk in csv_chunks(header, rows):
                handle.write(chunk)
    else:
        write_xlsx(target, header, rows)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = target.stat().st_size / 2**20
    print(f"{kind}\t{seconds:.1f}\t{peak:.0f}\t{base:.0f}\t{peak - base:.0f}\t{size:.0f}")


def child(*args: str) -> str:
    command = [sys.executable, "-m", "bench.bench_export", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def main() -> None:
    if sys.argv[1:2] == ["--fill"]:
        fill(Path(sys.argv[2]), int(sys.argv[3]))
        return
    if sys.argv[1:2] == ["--export"]:
        export(Path(sys.argv[2]), sys.argv[3])
        return
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        child("--fill", tmp, str(count))
        print(f"export {count:,} customers ({len(make_rows(1)[0])} fields filled):")
        print("format\tseconds\tpeak RSS MB\tbefore export MB\texport's own MB\tfile MB")
        for kind in ("csv", "xlsx"):
            print(child("--export", tmp, kind), end="", flush=True)


if __name__ == "__main__":
    main()
