"""Concurrency: many people acting on one task at the same moment give exactly one
transition; everyone else is told, and nothing is written twice.

Run on SQLite (BEGIN IMMEDIATE serialises writers) and on PostgreSQL (the request's row lock:
SELECT … FOR UPDATE), with 50 threads released together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.flows.errors import FlowConflict
from formwork.flows.tables import EVENT_TABLE, TASK_TABLE
from formwork.store.database import Database, sqlite_url

from .conftest import FlowWorld, flow_with, open_world, write_flow_package

THREADS = 50


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with a connection per thread."""
    if request.param == "sqlite":
        db = Database(sqlite_url(tmp_path))
    else:
        pg_db: Database = request.getfixturevalue("pg_db")
        url = pg_db.url.render_as_string(hide_password=False)
        db = Database(url, pool_size=THREADS, max_overflow=0)
    yield db
    db.dispose()


def world_on(database: Database, tmp_path: Path, **changes: Any) -> FlowWorld:
    package = write_flow_package(tmp_path, flow_with(**changes))
    return open_world(database, package, tmp_path / "files")


def all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls on threads released together; each result, or the error it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as exc:  # collected and checked by the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def count(world: FlowWorld, table: str, **where: Any) -> int:
    t = world.records.tables.system(table)
    with world.db.read() as conn:
        query = sa.select(sa.func.count()).select_from(t)
        for column, value in where.items():
            query = query.where(t.c[column] == value)
        return conn.execute(query).scalar_one()


def test_fifty_approvals_of_one_task_make_one_transition(
    database: Database, tmp_path: Path
) -> None:
    world = world_on(database, tmp_path)
    order = world.order(amount=6_000_000)
    world.flows.submit("order", order.id, world.people["sales"])
    (task,) = world.flows.tasks_for(world.people["director"])
    director = world.people["director"]

    results = all_at_once([lambda: world.flows.approve(task.id, director)] * THREADS)

    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1, lost[:3]
    assert (won[0].status, won[0].step) == ("pending", "finance")
    assert all(isinstance(e, FlowConflict) for e in lost), {type(e) for e in lost}
    assert {str(e) for e in lost} == {"This task was already approved by Director."}
    assert count(world, EVENT_TABLE, action="approve") == 1
    assert count(world, TASK_TABLE, step="finance") == 1
    assert len(world.flows.tasks_for(world.people["finance"])) == 1


def test_fifty_approvers_at_once_in_any_mode_make_one_transition(
    database: Database, tmp_path: Path
) -> None:
    world = world_on(
        database, tmp_path, steps=[{"name": "review", "approvers": [{"role": "director"}]}]
    )
    reviewers = [world.people["director"]]
    reviewers += [world.person(f"director{i}", "director") for i in range(1, THREADS)]
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    tasks = {t.assignee: t.id for r in reviewers for t in world.flows.tasks_for(r)}
    assert len(tasks) == THREADS

    def approve(reviewer: Any) -> Callable[[], Any]:
        return lambda: world.flows.approve(tasks[reviewer.id], reviewer)

    results = all_at_once([approve(r) for r in reviewers])

    won = [r for r in results if not isinstance(r, Exception)]
    assert [w.status for w in won] == ["approved"]
    assert all(isinstance(r, FlowConflict) for r in results if isinstance(r, Exception))
    assert count(world, EVENT_TABLE, action="finish") == 1
    assert world.get(order)["status"] == "approved"
    assert count(world, "fw_audit", entity="order", record_id=order.id) == 3  # create, 2 moves
