"""A field added with a default gives it to the records already stored, in the sync's
transaction, each with an audit row; values already there (a restored column's) are kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.store.database import Database
from formwork.store.system import AUDIT_TABLE
from tests.store.test_schema_sync import LATER, Site, customer


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Site:
    db: Database = request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db")
    return Site(db, tmp_path)


def audit(site: Site) -> list[tuple[int, str, dict[str, Any]]]:
    assert site.tables is not None
    table = site.tables.system(AUDIT_TABLE)
    with site.db.read() as conn:
        rows = conn.execute(
            sa.select(table.c.record_id, table.c.action, table.c.changes).order_by(table.c.id)
        )
        return [tuple(row) for row in rows]


def test_a_new_field_with_a_default_fills_the_records_already_stored(site: Site) -> None:
    site.sync(customer())
    ids = site.insert("customer", {"name": "Acme"}, {"name": "Globex"})
    status = {"type": "select", "options": ["new", "active"], "default": "active"}
    result = site.sync(customer(status=status))
    assert site.values("customer", "status") == ["active", "active"]
    assert result.filled == {"customer": 2}
    assert audit(site) == [(i, "fill", {"status": [None, "active"]}) for i in ids]


def test_a_default_formula_is_run_on_each_record(site: Site) -> None:
    site.sync(customer(size={"type": "integer"}))
    site.insert("customer", {"name": "Acme", "size": 3}, {"name": "Globex", "size": None})
    doubled = {"type": "integer", "default_formula": "coalesce(size, 0) * 2"}
    site.sync(customer(size={"type": "integer"}, doubled=doubled))
    assert site.values("customer", "doubled") == [6, 0]


def test_defaults_of_several_types_arrive_as_their_fields_hold_them(site: Site) -> None:
    site.sync(customer())
    site.insert("customer", {"name": "Acme"})
    site.sync(
        customer(
            budget={"type": "money", "default": "12.50"},
            tags={"type": "multiselect", "options": ["a", "b"], "default": ["a", "b"]},
            active={"type": "boolean", "default": True},
        )
    )
    assert site.typed_values("customer", "budget")[0] == pytest.approx(12.5)
    assert site.typed_values("customer", "tags") == [["a", "b"]]
    assert site.typed_values("customer", "active") == [True]


def test_a_restored_field_keeps_its_values_and_fills_the_records_made_meanwhile(
    site: Site,
) -> None:
    fax = {"type": "text", "default": "none"}
    site.sync(customer(fax={"type": "text"}))
    site.insert("customer", {"name": "Acme", "fax": "010-1"}, {"name": "Initech", "fax": None})
    site.sync(customer())
    site.insert("customer", {"name": "Globex"})
    site.sync(customer(fax=fax), now=LATER)
    assert site.values("customer", "fax") == ["010-1", "none", "none"]


def test_a_field_without_a_default_and_a_sync_that_adds_nothing_fill_nothing(
    site: Site,
) -> None:
    site.sync(customer())
    site.insert("customer", {"name": "Acme"})
    result = site.sync(customer(phone={"type": "phone"}))
    assert site.values("customer", "phone") == [None]
    assert result.filled == {} and audit(site) == []
    again = site.sync(customer(phone={"type": "phone"}, kind={"type": "text", "default": "x"}))
    assert again.filled == {"customer": 1}
    assert site.sync(customer(phone={"type": "phone"}, kind={"type": "text"})).filled == {}
