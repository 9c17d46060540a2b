"""Auto-numbers: per-period counters, no gaps from failed writes, no duplicates under load."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from formwork.metamodel import App
from formwork.metamodel.numbering import parse_pattern
from formwork.store.database import Database
from formwork.store.errors import ValidationFailed
from formwork.store.numbering import next_value
from formwork.store.query import Query
from formwork.store.records import RecordService

from .conftest import make_service


def test_counters_start_at_one_and_count_up(records: RecordService) -> None:
    with records.db.write() as conn:
        values = [next_value(conn, records.tables, "x.y:2026") for _ in range(3)]
        other = next_value(conn, records.tables, "x.y:2027")
    assert values == [1, 2, 3] and other == 1


def test_numbers_follow_the_pattern_and_restart_each_year(
    sqlite_db: Database, crm_app: App, tmp_path: Path
) -> None:
    today = [dt.datetime(2025, 12, 31, 23, 0, tzinfo=dt.UTC)]
    service = make_service(sqlite_db, crm_app, tmp_path)
    service.clock = lambda: today[0]
    first = service.create("customer", {"name": "a", "customer_type": "开发商"})
    second = service.create("customer", {"name": "b", "customer_type": "开发商"})
    today[0] = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)
    third = service.create("customer", {"name": "c", "customer_type": "开发商"})
    assert [first["code"], second["code"], third["code"]] == [
        "KH-2025-00001",
        "KH-2025-00002",
        "KH-2026-00001",
    ]


def test_a_refused_create_takes_no_number(records: RecordService) -> None:
    records.create("customer", {"name": "a", "customer_type": "开发商"})
    with pytest.raises(ValidationFailed):
        records.create("customer", {"name": "a", "customer_type": "开发商"})  # duplicate name
    third = records.create("customer", {"name": "c", "customer_type": "开发商"})
    assert third["code"].endswith("-00002")


@pytest.mark.parametrize(
    "db_fixture", ["sqlite_db", pytest.param("pg_db", marks=pytest.mark.postgres)]
)
def test_numbers_are_distinct_and_gapless_under_concurrent_creates(
    request: pytest.FixtureRequest, db_fixture: str, crm_app: App, tmp_path: Path
) -> None:
    db: Database = request.getfixturevalue(db_fixture)
    service = make_service(db, crm_app, tmp_path / "files")
    threads, per_thread = 8, 15
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(worker: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                service.create("customer", {"name": f"w{worker}-{i}", "customer_type": "开发商"})
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    page = service.query("customer", Query(page_size=500, sort=("id",)))
    counters = sorted(int(r["code"].rsplit("-", 1)[1]) for r in page.records)
    assert counters == list(range(1, threads * per_thread + 1))


@pytest.mark.parametrize(
    "pattern", ["KH-{YYYY}-{#####}", "HT{YY}{MM}-{###}", "T-{####}", "{DD}{###}{MM}x", "{#}"]
)
def test_a_batch_of_numbers_is_rendered_as_one_by_one(pattern: str) -> None:
    parsed = parse_pattern(pattern)
    day = dt.date(2026, 3, 9)
    counters = [*range(1, 12), 998, 999, 1000, 123456]
    assert parsed.render_many(day, counters) == [parsed.render(day, n) for n in counters]
