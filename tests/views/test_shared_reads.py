"""A GET or HEAD request reads through one connection (`app._share_reads`), given back when
the request ends, also when it failed; other methods do not share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from formwork.runtime import Runtime
from formwork.store.database import _SHARED


@pytest.fixture
def checkouts(runtime: Runtime) -> Iterator[list[Any]]:
    made: list[Any] = []

    def checkout(*_args: Any) -> None:
        made.append(1)

    pool = runtime.db.engine.pool
    sa.event.listen(pool, "checkout", checkout)
    yield made
    sa.event.remove(pool, "checkout", checkout)


def test_a_list_page_reads_through_one_connection(
    as_role: Callable[..., Any], crm: Any, runtime: Runtime, checkouts: list[Any]
) -> None:
    client = as_role("admin")
    crm.customer(name="甲", owner=client.user)
    checkouts.clear()
    response = client.get("/r/customer/")
    assert response.status_code == 200
    assert "甲" in response.get_data(as_text=True)
    # The user, the page and its count, the people and the top bar: one checkout.
    assert len(checkouts) == 1
    assert runtime.db.engine.pool.checkedout() == 0
    assert _SHARED.get() is None


@pytest.mark.parametrize("path", ["/r/customer/999999", "/r/no_such_entity/"])
def test_the_connection_is_given_back_after_an_error_page(
    as_role: Callable[..., Any], runtime: Runtime, path: str
) -> None:
    client = as_role("admin")
    assert client.get(path).status_code == 404
    assert runtime.db.engine.pool.checkedout() == 0
    assert _SHARED.get() is None


def test_the_connection_is_given_back_when_a_view_raises(
    app: Flask, as_role: Callable[..., Any], runtime: Runtime
) -> None:
    def failing() -> str:
        with runtime.db.read() as conn:
            conn.execute(sa.text("SELECT 1"))
        raise RuntimeError("boom")

    app.add_url_rule("/fails", "fails", failing)  # before the app's first request
    client = as_role("admin")
    app.testing = False  # answer with a 500 page rather than raising into the test
    assert client.get("/fails").status_code == 500
    assert runtime.db.engine.pool.checkedout() == 0
    assert _SHARED.get() is None


def test_a_post_reads_each_time_afresh(
    as_role: Callable[..., Any], runtime: Runtime, checkouts: list[Any]
) -> None:
    client = as_role("admin")
    token = client.csrf()
    checkouts.clear()
    response = client.post("/r/customer/new", data={"csrf_token": token, "name": ""})
    assert response.status_code == 422  # refused: the form again, with its problems
    assert len(checkouts) > 1
    assert runtime.db.engine.pool.checkedout() == 0
