"""Schema sync with rows in the tables, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formwork.metamodel import App, load_app
from formwork.metamodel.model import SYSTEM_COLUMNS
from formwork.store import sync_apply
from formwork.store.database import Database, sqlite_url
from formwork.store.query import Filter, Query, compile_query
from formwork.store.schema_sync import (
    SchemaSyncRefused,
    SchemaSyncStale,
    SyncPlan,
    SyncResult,
    apply_sync,
    plan_sync,
)
from formwork.store.system import COLUMN_LEDGER_TABLE
from formwork.store.tables import Tables, build_tables
from tests.conftest import CRM_PACKAGE
from tests.packages import write_package

NOW = dt.datetime(2026, 11, 23, 12, 0, 0, tzinfo=dt.UTC)
STAMP = "20261123T120000"
LATER = NOW + dt.timedelta(hours=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest) -> Database:
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db")


class Site:
    """One database and a package that a test evolves version by version."""

    def __init__(self, db: Database, tmp_path: Path) -> None:
        self.db, self.tmp_path = db, tmp_path
        self.app: App | None = None
        self.tables: Tables | None = None

    def load(self, entities: dict[str, dict[str, Any]]) -> tuple[App, Tables]:
        self.app = load_app(write_package(self.tmp_path, entities))
        self.tables = build_tables(self.app)
        return self.app, self.tables

    def plan(self, entities: dict[str, dict[str, Any]], now: dt.datetime = NOW) -> SyncPlan:
        app, tables = self.load(entities)
        return plan_sync(self.db, app, tables, now=now)

    def sync(self, entities: dict[str, dict[str, Any]], now: dt.datetime = NOW) -> SyncResult:
        app, tables = self.load(entities)
        result = apply_sync(self.db, app, tables, now=now, backup_dir=self.tmp_path / "backups")
        after = plan_sync(self.db, app, tables, now=now)
        assert after.is_empty, after.render()
        return result

    def insert(self, entity: str, *rows: dict[str, Any]) -> list[int]:
        assert self.tables is not None
        table = self.tables[entity]
        ids = []
        with self.db.write() as conn:
            for row in rows:
                values = {"created_at": NOW, "updated_at": NOW, **row}
                ids.append(conn.execute(sa.insert(table).values(values)).inserted_primary_key[0])
        return ids

    def values(self, table: str, column: str) -> list[Any]:
        with self.db.read() as conn:
            query = sa.text(f'SELECT "{column}" FROM "{table}" ORDER BY id')
            return list(conn.execute(query).scalars())

    def typed_values(self, entity: str, column: str) -> list[Any]:
        assert self.tables is not None
        table = self.tables[entity]
        with self.db.read() as conn:
            return list(conn.execute(sa.select(table.c[column]).order_by(table.c.id)).scalars())

    def columns(self, table: str) -> set[str]:
        with self.db.read() as conn:
            return {c["name"] for c in sa.inspect(conn).get_columns(table)}

    def ledger(self, table: str) -> dict[str, tuple[str, str, str]]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.text(
                    f'SELECT "column", field, field_type, status FROM {COLUMN_LEDGER_TABLE} '
                    "WHERE entity = :entity"
                ),
                {"entity": table},
            )
            return {r[0]: (r[1], r[2], r[3]) for r in rows}


@pytest.fixture
def site(any_db: Database, tmp_path: Path) -> Site:
    return Site(any_db, tmp_path)


def customer(**extra: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {"customer": {"name": {"type": "text"}, **extra}}


# -- new databases and idempotence ---------------------------------------------------------


def test_the_reference_app_syncs_into_an_empty_database_and_then_plans_nothing(
    any_db: Database, crm_app: App
) -> None:
    tables = build_tables(crm_app)
    first = plan_sync(any_db, crm_app, tables)
    assert "+ table customer" in first.render()
    assert "+ table fw_column" in first.render()
    apply_sync(any_db, crm_app, tables)
    again = plan_sync(any_db, crm_app, tables)
    assert again.is_empty
    assert again.render() == "= the database matches the model; nothing to do\n"


def test_a_database_made_by_create_all_only_gets_its_ledger_filled(
    any_db: Database, crm_app: App
) -> None:
    tables = build_tables(crm_app)
    with any_db.write() as conn:
        tables.metadata.create_all(conn)
    plan = plan_sync(any_db, crm_app, tables)
    assert {type(op).__name__ for op in plan.operations} == {"RecordLedger"}
    apply_sync(any_db, crm_app, tables)
    assert plan_sync(any_db, crm_app, tables).is_empty


def test_new_entity_is_created_and_a_removed_entity_is_kept(site: Site) -> None:
    site.sync(customer())
    site.insert("customer", {"name": "Acme"})
    plan = site.plan({"project": {"title": {"type": "text"}}})
    assert "+ table project" in plan.render()
    assert "# kept table customer: no entity of that name in the config" in plan.render()
    site.sync({"project": {"title": {"type": "text"}}})
    assert site.values("customer", "name") == ["Acme"]


# -- add, remove, restore ------------------------------------------------------------------


def test_adding_a_field_keeps_the_rows(site: Site) -> None:
    site.sync(customer())
    site.insert("customer", {"name": "Acme"}, {"name": "Globex"})
    plan = site.plan(customer(phone={"type": "phone"}))
    assert plan.render() == "+ column customer.phone (VARCHAR(40))\n"
    site.sync(customer(phone={"type": "phone"}))
    assert site.values("customer", "name") == ["Acme", "Globex"]
    assert site.values("customer", "phone") == [None, None]
    assert site.ledger("customer")["phone"] == ("phone", "phone", "active")


def test_removing_a_field_archives_its_column_with_the_data(site: Site) -> None:
    site.sync(customer(fax={"type": "text"}))
    site.insert("customer", {"name": "Acme", "fax": "010-1"}, {"name": "Globex", "fax": None})
    plan = site.plan(customer())
    archive = f"_archived_fax_{STAMP}"
    assert plan.render() == f"~ archive column customer.fax -> {archive}\n"
    site.sync(customer())
    assert "fax" not in site.columns("customer")
    assert site.values("customer", archive) == ["010-1", None]
    assert site.ledger("customer")[archive] == ("fax", "text", "archived")


def test_adding_the_field_back_restores_its_data(site: Site) -> None:
    site.sync(customer(fax={"type": "text"}))
    site.insert("customer", {"name": "Acme", "fax": "010-1"})
    site.sync(customer())
    plan = site.plan(customer(fax={"type": "text"}), now=LATER)
    assert plan.render() == f"~ restore column customer.fax <- _archived_fax_{STAMP}\n"
    site.sync(customer(fax={"type": "text"}), now=LATER)
    assert site.values("customer", "fax") == ["010-1"]
    assert not any(c.startswith("_archived_") for c in site.columns("customer"))
    assert site.ledger("customer")["fax"] == ("fax", "text", "active")


def test_a_field_added_back_with_another_type_gets_a_new_column(site: Site) -> None:
    site.sync(customer(fax={"type": "text"}))
    site.insert("customer", {"name": "Acme", "fax": "010-1"})
    site.sync(customer())
    site.sync(customer(fax={"type": "integer"}), now=LATER)
    assert site.values("customer", "fax") == [None]
    assert site.values("customer", f"_archived_fax_{STAMP}") == ["010-1"]


def test_removing_and_restoring_a_link_field_drops_and_restores_its_foreign_key(
    site: Site,
) -> None:
    entities = {
        "company": {"name": {"type": "text"}},
        "person": {"name": {"type": "text"}, "company": {"type": "link", "to": "company"}},
    }
    site.sync(entities)
    (acme, globex) = site.insert("company", {"name": "Acme"}, {"name": "Globex"})
    site.insert("person", {"name": "Ann", "company": acme})
    without = {"company": entities["company"], "person": {"name": {"type": "text"}}}
    site.sync(without)
    with site.db.write() as conn:  # the archived column no longer blocks deletes
        conn.execute(sa.text("DELETE FROM company WHERE id = :id"), {"id": globex})
    plan = site.plan(entities, now=LATER)
    assert "+ foreign key person.company" in plan.render()
    site.sync(entities, now=LATER)
    assert site.values("person", "company") == [acme]
    with pytest.raises(sa.exc.IntegrityError), site.db.write() as conn:
        conn.execute(sa.text("DELETE FROM company WHERE id = :id"), {"id": acme})


def test_a_link_field_is_not_restored_while_it_points_at_deleted_records(site: Site) -> None:
    entities = {
        "company": {"name": {"type": "text"}},
        "person": {"name": {"type": "text"}, "company": {"type": "link", "to": "company"}},
    }
    site.sync(entities)
    (acme, globex) = site.insert("company", {"name": "Acme"}, {"name": "Globex"})
    _ann, bob = site.insert(
        "person", {"name": "Ann", "company": acme}, {"name": "Bob", "company": globex}
    )
    site.sync({"company": entities["company"], "person": {"name": {"type": "text"}}})
    with site.db.write() as conn:
        conn.execute(sa.text("DELETE FROM company WHERE id = :id"), {"id": globex})
    (refusal,) = site.plan(entities, now=LATER).refusals
    assert refusal.describe() == (
        "! refused: foreign key person.company -> company: values point at records that no "
        f"longer exist; record ids: {bob}"
    )


# -- type changes --------------------------------------------------------------------------


def test_retype_text_to_integer_converts_every_value(site: Site) -> None:
    site.sync(customer(level={"type": "text"}))
    site.insert("customer", {"name": "A", "level": "12"}, {"name": "B", "level": " 3 "})
    site.insert("customer", {"name": "C", "level": None})
    plan = site.plan(customer(level={"type": "integer"}))
    archive = f"_archived_level_{STAMP}"
    assert plan.render() == (
        f"~ retype customer.level text -> integer (2 rows convert; old column kept as {archive})\n"
    )
    site.sync(customer(level={"type": "integer"}))
    assert site.values("customer", "level") == [12, 3, None]
    assert site.values("customer", archive) == ["12", " 3 ", None]
    assert site.ledger("customer")["level"] == ("level", "integer", "active")
    assert site.ledger("customer")[archive] == ("level", "text", "archived")


def test_retype_with_values_that_do_not_convert_is_refused_and_changes_nothing(
    site: Site,
) -> None:
    site.sync(customer(level={"type": "text"}))
    ids = site.insert(
        "customer",
        {"name": "A", "level": "12"},
        {"name": "B", "level": "high"},
        {"name": "C", "level": "7.5"},
    )
    plan = site.plan(customer(level={"type": "integer"}))
    (refusal,) = plan.refusals
    assert refusal.record_ids == (ids[1], ids[2])
    assert refusal.total == 2
    text = plan.render()
    assert "! refused: retype customer.level text -> integer: 2 of 3 values do not convert" in text
    assert f"record ids: {ids[1]}, {ids[2]}" in text
    assert "'high': Not a whole number." in text
    with pytest.raises(SchemaSyncRefused) as caught:
        apply_sync(site.db, site.app, site.tables)
    assert caught.value.plan.refusals == plan.refusals
    assert site.values("customer", "level") == ["12", "high", "7.5"]
    assert site.ledger("customer")["level"] == ("level", "text", "active")


def test_a_refusal_lists_at_most_twenty_ids_and_the_total(site: Site) -> None:
    site.sync(customer(level={"type": "text"}))
    site.insert("customer", *({"name": f"c{i}", "level": f"x{i}"} for i in range(25)))
    (refusal,) = site.plan(customer(level={"type": "integer"})).refusals
    assert len(refusal.record_ids) == 20
    assert refusal.total == 25
    assert "(first 20 of 25)" in refusal.describe()


def test_retype_integer_to_decimal(site: Site) -> None:
    site.sync(customer(amount={"type": "integer"}))
    site.insert("customer", {"name": "A", "amount": 12}, {"name": "B", "amount": -3})
    site.sync(customer(amount={"type": "decimal", "places": 2}))
    assert site.typed_values("customer", "amount") == [Decimal("12.00"), Decimal("-3.00")]


def test_widening_a_text_column_alters_it_in_place(site: Site) -> None:
    site.sync(customer(code={"type": "text", "max_length": 10}))
    site.insert("customer", {"name": "A", "code": "0123456789"})
    plan = site.plan(customer(code={"type": "text", "max_length": 50}))
    assert plan.render() == "~ alter column customer.code VARCHAR(10) -> VARCHAR(50)\n"
    site.sync(customer(code={"type": "text", "max_length": 50}))
    assert site.values("customer", "code") == ["0123456789"]


def test_narrowing_a_text_column_that_would_cut_values_is_refused(site: Site) -> None:
    site.sync(customer(code={"type": "text", "max_length": 50}))
    ids = site.insert("customer", {"name": "A", "code": "short"}, {"name": "B", "code": "x" * 20})
    (refusal,) = site.plan(customer(code={"type": "text", "max_length": 10})).refusals
    assert refusal.record_ids == (ids[1],)
    site.sync(customer(code={"type": "text", "max_length": 20}))
    assert site.values("customer", "code") == ["short", "x" * 20]


# -- unique --------------------------------------------------------------------------------


def test_unique_over_duplicates_is_refused_listing_them(site: Site) -> None:
    site.sync(customer())
    ids = site.insert("customer", {"name": "Acme"}, {"name": "Globex"}, {"name": "Acme"})
    plan = site.plan({"customer": {"name": {"type": "text", "unique": True}}})
    (refusal,) = plan.refusals
    assert refusal.change == "unique"
    assert refusal.record_ids == (ids[0], ids[2])
    assert f"[{ids[0]}, {ids[2]}]: 'Acme': duplicate" in plan.render()
    with pytest.raises(SchemaSyncRefused):
        apply_sync(site.db, site.app, site.tables)


def test_unique_over_clean_data_is_applied_and_then_enforced(site: Site) -> None:
    site.sync(customer())
    site.insert("customer", {"name": "Acme"}, {"name": "Globex"})
    unique = {"customer": {"name": {"type": "text", "unique": True}}}
    assert site.plan(unique).render() == "+ unique uq_customer_name on customer(name)\n"
    site.sync(unique)
    with pytest.raises(sa.exc.IntegrityError):
        site.insert("customer", {"name": "Acme"})
    site.sync(customer(), now=LATER)
    site.insert("customer", {"name": "Acme"})


# -- renames and indexes -------------------------------------------------------------------


def test_rename_with_renamed_from_moves_the_data(site: Site) -> None:
    site.sync(customer(tel={"type": "phone"}))
    site.insert("customer", {"name": "A", "tel": "010 1234"})
    renamed = customer(phone={"type": "phone", "renamed_from": "tel"})
    assert site.plan(renamed).render() == "~ rename column customer.tel -> phone\n"
    site.sync(renamed)
    assert site.values("customer", "phone") == ["010 1234"]
    assert "tel" not in site.columns("customer")
    assert site.ledger("customer")["phone"] == ("phone", "phone", "active")


def test_indexes_follow_the_list_filters(site: Site) -> None:
    fields = {"name": {"type": "text"}, "region": {"type": "text"}}
    site.sync({"customer": {"fields": fields, "list": {"columns": ["name"]}}})
    filtered = {
        "customer": {"fields": fields, "list": {"columns": ["name"], "filters": ["region"]}}
    }
    assert site.plan(filtered).render() == "+ index ix_customer_region on customer(region)\n"
    site.sync(filtered)
    plain = {"customer": {"fields": fields, "list": {"columns": ["name"]}}}
    assert site.plan(plain).render() == "- index ix_customer_region on customer(region)\n"
    site.sync(plain)


TAGGED = {"name": {"type": "text"}, "tags": {"type": "multiselect", "options": ["a", "b"]}}
TAGGED_LIST = {"columns": ["name"], "sort": ["name"]}


def tagged(**listed: Any) -> dict[str, dict[str, Any]]:
    return {"customer": {"fields": TAGGED, "list": {**TAGGED_LIST, **listed}}}


def test_a_filter_that_looks_inside_a_value_gets_a_gin_index_on_postgresql_only(
    site: Site,
) -> None:
    """A multiselect's filter matches one choice inside the JSON value: a B-tree index of the
    column cannot serve it (an earlier version made one; it goes), a GIN index can."""
    site.sync(tagged())
    with site.db.write() as conn:  # as an earlier version made it
        conn.exec_driver_sql("CREATE INDEX ix_customer_tags ON customer (tags)")
    postgres = site.db.dialect == "postgresql"
    gin = ["+ index ix_customer_tags on customer(tags) using gin"] if postgres else []
    plan = site.plan(tagged(filters=["tags"]))
    assert plan.render().splitlines() == ["- index ix_customer_tags on customer(tags)", *gin]
    site.sync(tagged(filters=["tags"]))  # then nothing is left to do (`Site.sync`)
    with site.db.read() as conn:
        live = {ix["name"]: ix for ix in sa.inspect(conn).get_indexes("customer")}
    assert set(live) == {"ix_customer_name_id", *(["ix_customer_tags"] if postgres else [])}
    if postgres:
        assert live["ix_customer_tags"]["dialect_options"]["postgresql_using"] == "gin"
        assert site.plan(tagged()).render() == "- index ix_customer_tags on customer(tags)\n"


@pytest.mark.postgres
def test_a_multiselect_filter_reads_its_gin_index(pg_db: Database, tmp_path: Path) -> None:
    site = Site(pg_db, tmp_path)
    site.sync(tagged(filters=["tags"]))
    app, tables = site.app, site.tables
    assert app is not None and tables is not None
    query = Query(filters=(Filter("tags", "contains", "a"),))
    statement = compile_query(app, tables, app.entity("customer"), query, "postgresql").statement
    assert "customer.tags @> " in str(statement.compile(dialect=pg_db.engine.dialect))
    with pg_db.read() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        sql = """EXPLAIN SELECT id FROM customer WHERE tags @> '["a"]'::jsonb"""
        plan = "\n".join(row[0] for row in conn.exec_driver_sql(sql))
    assert "Bitmap Index Scan on ix_customer_tags" in plan, plan


SORTED_FIELDS = {
    "name": {"type": "text"},
    "region": {"type": "select", "options": ["east", "west"]},
    "amount": {"type": "decimal"},
    "score": {"type": "integer"},
}


def sorted_list(**extra: Any) -> dict[str, dict[str, Any]]:
    listed = {"columns": ["name"], "sort": ["-score", "name"], **extra}
    return {"customer": {"fields": SORTED_FIELDS, "list": listed}}


def test_a_sorted_list_indexes_each_equality_filter_with_its_first_sort_key(site: Site) -> None:
    site.sync({"customer": {"fields": SORTED_FIELDS, "list": {"columns": ["name"]}}})
    site.insert("customer", {"name": "A", "region": "east", "score": 3})
    plan = site.plan(sorted_list(filters=["region", "amount"]), now=LATER)
    assert plan.render().splitlines() == [
        "+ index ix_customer_amount on customer(amount)",
        "+ index ix_customer_name on customer(name)",
        "+ index ix_customer_region_score_id on customer(region, score, id)",
        "+ index ix_customer_score_id on customer(score, id)",
    ]
    site.sync(sorted_list(filters=["region", "amount"]), now=LATER)
    with site.db.read() as conn:
        live = {ix["name"]: ix["column_names"] for ix in sa.inspect(conn).get_indexes("customer")}
    assert live["ix_customer_region_score_id"] == ["region", "score", "id"]


def test_a_new_first_sort_key_replaces_the_list_indexes(site: Site) -> None:
    site.sync(sorted_list(filters=["region"]))
    resorted = sorted_list(filters=["region"], sort=["name"])
    assert sorted(site.plan(resorted, now=LATER).render().splitlines()) == [
        "+ index ix_customer_name_id on customer(name, id)",
        "+ index ix_customer_region_name_id on customer(region, name, id)",
        "- index ix_customer_name on customer(name)",
        "- index ix_customer_region_score_id on customer(region, score, id)",
        "- index ix_customer_score_id on customer(score, id)",
    ]
    site.sync(resorted, now=LATER)


def test_a_filtered_sorted_first_page_reads_its_rows_from_an_index_in_order(
    sqlite_db: Database, tmp_path: Path
) -> None:
    site = Site(sqlite_db, tmp_path)
    site.sync(sorted_list(filters=["region", "amount"]))
    app, tables = site.app, site.tables
    assert app is not None and tables is not None
    entity = app.entity("customer")
    for sort in (None, ("-score",), ("score",)):
        query = Query(filters=(Filter("region", "eq", "east"),), sort=sort)
        statement = compile_query(app, tables, entity, query).statement
        literal = {"literal_binds": True}
        sql = str(statement.compile(dialect=sqlite_db.engine.dialect, compile_kwargs=literal))
        with sqlite_db.read() as conn:
            plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
        assert any("USING INDEX ix_customer_region_score_id (region=?)" in p for p in plan), plan
        # Rows come in score order; only records with the same score are sorted (by id).
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_the_reference_app_has_at_most_one_index_per_list_filter_sort_key_and_link(
    crm_app: App,
) -> None:
    tables = build_tables(crm_app)
    for name, table in tables.entities.items():
        entity = crm_app.entity(name)
        links = {f.name for f in entity.stored_fields() if f.type == "link"}
        needs = set(entity.list.filters) | {k.field for k in entity.list.sort} | links
        assert len(table.indexes) <= len(needs) + bool(entity.child_of), name
        leading = [next(iter(ix.columns)).name for ix in table.indexes]
        assert len(leading) == len(set(leading)), f"two indexes of {name} start alike"


def test_rebuilding_a_parent_table_keeps_the_rows_that_link_to_it(site: Site) -> None:
    """On SQLite batch mode rebuilds the table; foreign keys must not cascade meanwhile."""
    entities = {
        "company": {"name": {"type": "text"}, "fax": {"type": "text"}},
        "person": {
            "name": {"type": "text"},
            "company": {"type": "link", "to": "company", "on_delete": "cascade"},
        },
    }
    site.sync(entities)
    (acme,) = site.insert("company", {"name": "Acme", "fax": "1"})
    site.insert("person", {"name": "Ann", "company": acme}, {"name": "Bob", "company": acme})
    entities["company"] = {"name": {"type": "text", "unique": True}}
    site.sync(entities)
    assert site.values("person", "name") == ["Ann", "Bob"]
    with site.db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM company").scalar() == 1


# -- all or nothing ------------------------------------------------------------------------


def test_a_failure_midway_leaves_the_database_as_it_was(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.sync(customer(fax={"type": "text"}, level={"type": "text"}))
    site.insert("customer", {"name": "A", "fax": "1", "level": "2"})

    def explode(*args: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sync_apply._Applier, "_copy_converted", explode)
    app, tables = site.load(customer(level={"type": "integer"}, phone={"type": "phone"}))
    with pytest.raises(RuntimeError, match="disk on fire") as caught:
        apply_sync(site.db, app, tables, now=LATER, backup_dir=site.tmp_path / "backups")
    assert "schema sync rolled back; the database is unchanged" in caught.value.__notes__
    assert site.columns("customer") == {
        "id", "created_at", "created_by", "updated_at", "updated_by", "version",
        "name", "fax", "level",
    }  # fmt: skip
    assert site.values("customer", "level") == ["2"]
    assert site.ledger("customer")["level"] == ("level", "text", "active")
    if site.db.is_sqlite:
        (backup,) = (site.tmp_path / "backups").glob("formwork.backup-20261123T130000.db")
        with sa.create_engine(f"sqlite:///{backup}").connect() as conn:
            assert conn.exec_driver_sql("SELECT fax FROM customer").scalar() == "1"
        sa.create_engine(f"sqlite:///{backup}").dispose()


def test_sqlite_keeps_a_backup_copy_of_every_migration(sqlite_db: Database, tmp_path: Path) -> None:
    site = Site(sqlite_db, tmp_path)
    site.sync(customer())
    site.insert("customer", {"name": "Acme"})
    result = site.sync(customer(phone={"type": "phone"}), now=LATER)
    assert result.backup is not None
    assert result.backup.parent == tmp_path / "backups"
    engine = sa.create_engine(f"sqlite:///{result.backup}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT name FROM customer").scalar() == "Acme"
    engine.dispose()


def test_a_plan_that_no_longer_matches_the_database_is_not_applied(site: Site) -> None:
    site.sync(customer())
    plan = site.plan(customer(phone={"type": "phone"}))
    apply_sync(site.db, site.app, site.tables, now=NOW)
    with pytest.raises(SchemaSyncStale):
        apply_sync(site.db, site.app, site.tables, plan=plan)


def test_nothing_to_do_is_no_change_and_no_backup(site: Site) -> None:
    site.sync(customer())
    result = apply_sync(site.db, site.app, site.tables)
    assert not result.changed
    assert result.backup is None


# -- combinations --------------------------------------------------------------------------


def test_rename_and_retype_in_one_plan(site: Site) -> None:
    site.sync(customer(lvl={"type": "text"}))
    site.insert("customer", {"name": "A", "lvl": "4"})
    changed = customer(level={"type": "integer", "renamed_from": "lvl"})
    assert site.plan(changed).render().splitlines() == [
        "~ rename column customer.lvl -> level",
        "~ retype customer.level text -> integer "
        f"(1 rows convert; old column kept as _archived_level_{STAMP})",
    ]
    site.sync(changed)
    assert site.values("customer", "level") == [4]


def test_retyping_a_unique_field_moves_the_constraint_to_the_new_column(site: Site) -> None:
    site.sync({"customer": {"code": {"type": "text", "unique": True}}})
    site.insert("customer", {"code": "1"}, {"code": "2"})
    plan = site.plan({"customer": {"code": {"type": "integer", "unique": True}}})
    assert plan.render().splitlines() == [
        "- unique uq_customer_code on customer(code)",
        "~ retype customer.code text -> integer "
        f"(2 rows convert; old column kept as _archived_code_{STAMP})",
        "+ unique uq_customer_code on customer(code)",
    ]
    site.sync({"customer": {"code": {"type": "integer", "unique": True}}})
    with pytest.raises(sa.exc.IntegrityError):
        site.insert("customer", {"code": 2})
    site.insert("customer", {"code": 3})


def test_a_retype_whose_converted_values_collide_under_unique_is_refused(site: Site) -> None:
    site.sync({"customer": {"code": {"type": "text", "unique": True}}})
    ids = site.insert("customer", {"code": "7"}, {"code": "07"}, {"code": "8"})
    plan = site.plan({"customer": {"code": {"type": "integer", "unique": True}}})
    (refusal,) = plan.refusals
    assert (refusal.change, refusal.record_ids) == ("unique", (ids[0], ids[1]))


def test_an_indexed_field_removed_and_restored_gets_its_index_back(site: Site) -> None:
    fields = {"name": {"type": "text"}, "region": {"type": "text"}}
    listed = {"columns": ["name"], "filters": ["region"]}
    site.sync({"customer": {"fields": fields, "list": listed}})
    site.insert("customer", {"name": "A", "region": "east"})
    site.sync({"customer": {"fields": {"name": {"type": "text"}}, "list": {"columns": ["name"]}}})
    plan = site.plan({"customer": {"fields": fields, "list": listed}}, now=LATER)
    assert plan.render().splitlines() == [
        f"~ restore column customer.region <- _archived_region_{STAMP}",
        "+ index ix_customer_region on customer(region)",
    ]
    site.sync({"customer": {"fields": fields, "list": listed}}, now=LATER)
    assert site.values("customer", "region") == ["east"]


def test_a_restored_column_is_widened_when_the_field_grew(site: Site) -> None:
    site.sync(customer(note={"type": "text", "max_length": 20}))
    site.insert("customer", {"name": "A", "note": "hello"})
    site.sync(customer())
    plan = site.plan(customer(note={"type": "text", "max_length": 80}), now=LATER)
    assert plan.render().splitlines() == [
        f"~ restore column customer.note <- _archived_note_{STAMP}",
        "~ alter column customer.note VARCHAR(20) -> VARCHAR(80)",
    ]
    site.sync(customer(note={"type": "text", "max_length": 80}), now=LATER)
    assert site.values("customer", "note") == ["hello"]


def test_archive_names_never_collide(site: Site) -> None:
    site.sync(customer(fax={"type": "text"}))
    site.sync(customer())
    site.sync(customer(fax={"type": "integer"}))
    site.sync(customer())
    archived = sorted(c for c in site.columns("customer") if c.startswith("_archived_fax"))
    assert archived == [f"_archived_fax_{STAMP}", f"_archived_fax_{STAMP}_2"]


def test_a_column_unknown_to_the_ledger_and_the_model_is_archived(
    site: Site, tmp_path: Path
) -> None:
    old_app = load_app(write_package(tmp_path, customer(fax={"type": "text"}), folder="old"))
    with site.db.write() as conn:
        build_tables(old_app).metadata.create_all(conn)
    plan = site.plan(customer())
    assert plan.render().splitlines() == [
        "= ledger customer: record 2 existing column(s)",
        f"~ archive column customer.fax -> _archived_fax_{STAMP}",
    ]
    site.sync(customer())
    assert site.ledger("customer")[f"_archived_fax_{STAMP}"] == ("fax", "unknown", "archived")


def test_the_reference_app_archives_a_customer_field_without_touching_contacts(
    any_db: Database, crm_app: App, tmp_path: Path
) -> None:
    tables = build_tables(crm_app)
    apply_sync(any_db, crm_app, tables)
    now = {"created_at": NOW, "updated_at": NOW}
    with any_db.write() as conn:
        customer_id = conn.execute(
            sa.insert(tables["customer"]).values(name="Acme", customer_type="开发商", **now)
        ).inserted_primary_key[0]
        conn.execute(
            sa.insert(tables["contact"]).values(
                name="Ann", customer=customer_id, level="技术", **now
            )
        )
    package = tmp_path / "crm"
    shutil.copytree(CRM_PACKAGE, package)
    spec = package / "entities" / "customer.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("  notes:\n", "  memo:\n").replace(", notes]", ", memo]"))
    changed = load_app(package)
    plan = plan_sync(any_db, changed, build_tables(changed), now=NOW)
    assert plan.render().splitlines() == [
        f"~ archive column customer.notes -> _archived_notes_{STAMP}",
        "+ column customer.memo (TEXT)",
    ]
    apply_sync(any_db, changed, build_tables(changed), now=NOW, backup_dir=tmp_path)
    with any_db.read() as conn:
        assert conn.exec_driver_sql("SELECT name FROM contact").scalar() == "Ann"


# -- never losing data, whatever the sequence of versions ----------------------------------

VERSIONS: list[dict[str, dict[str, Any]]] = [
    {"a": {"type": "text", "max_length": 50}, "b": {"type": "integer"}},
    {"a": {"type": "text", "max_length": 100}, "b": {"type": "text"}},
    {"a": {"type": "text", "max_length": 10, "unique": True}},
    {"b": {"type": "decimal"}, "c": {"type": "select", "options": ["x", "y"]}},
    {"a": {"type": "integer"}, "c": {"type": "select", "options": ["x", "y"]}},
    {"d": {"type": "text", "renamed_from": "a"}, "b": {"type": "integer"}},
]


def _sample(spec: dict[str, Any], step: int) -> Any:
    """A value for a field; text alternates between numbers and words, all distinct."""
    kind = spec["type"]
    if kind == "text":
        return str(step) if step % 2 == 0 else f"v{step} in words"[: spec.get("max_length")]
    return {"integer": step, "decimal": f"{step}.50", "select": "x"}[kind]


def _filled_cells(db: Database, table: str) -> int:
    """How many non-empty values the table holds, over all its columns (archived too)."""
    with db.read() as conn:
        names = [c["name"] for c in sa.inspect(conn).get_columns(table)]
        counts = [f'COUNT("{name}")' for name in names if name not in SYSTEM_COLUMNS]
        return conn.execute(sa.text(f"SELECT {' + '.join(counts)} FROM {table}")).scalar()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(range(len(VERSIONS))), min_size=2, max_size=6))
def test_no_sequence_of_versions_loses_data(versions: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(sqlite_url(folder))
        site = Site(db, Path(folder))
        try:
            filled = 0
            for step, index in enumerate(versions):
                fields = {"name": {"type": "text"}, **VERSIONS[index]}
                now = NOW + dt.timedelta(minutes=step)
                try:
                    site.sync({"customer": fields}, now=now)
                except SchemaSyncRefused:
                    assert _filled_cells(db, "customer") == filled
                    continue
                assert _filled_cells(db, "customer") >= filled
                row = {"name": f"row {step}"}
                for name, spec in VERSIONS[index].items():
                    row[name] = _sample(spec, step)
                site.insert("customer", row)
                filled = _filled_cells(db, "customer")
        finally:
            db.dispose()
