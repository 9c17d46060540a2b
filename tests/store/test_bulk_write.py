"""`RecordService.create_many`: what creating rows one by one stores, written per batch.

Each comparison creates the same rows twice, on two fresh databases with the same clock: one
`create` per row, and one `create_many`. Every column of every record, the audit rows and the
grade history of the new records, the numbers and the layouts must come out the same. Records
that depend on the new ones (a customer's rollups over its contracts) end up with the same
values; the batch recomputes them once, so their audit and grade history hold the net change of
the batch in one row where one by one leaves one row per new record.
"""

from __future__ import annotations

import datetime as dt
import gc
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.metamodel import App, load_app
from formwork.rules.rulebook import formula_view
from formwork.store.actor import Actor
from formwork.store.bulk_context import BatchContext
from formwork.store.bulk_derive import BatchDeriver
from formwork.store.bulk_write import RowRefused
from formwork.store.database import Database, sqlite_url
from formwork.store.errors import Forbidden, RecordError, ValidationFailed
from formwork.store.gc_pause import gc_paused
from formwork.store.permissions import ConfigPolicy
from formwork.store.records import RecordService
from formwork.store.system import AUDIT_TABLE, GRADE_LAYOUT_TABLE, GRADE_TABLE, SEQUENCE_TABLE
from tests.packages import write_package
from tests.store.conftest import add_user, make_service, take_snapshot

NOW = dt.datetime(2026, 3, 14, 9, 30, 15, 123456, tzinfo=dt.UTC)
TYPES = ["政府机构", "开发商", "设计院", "总承包商", "分包单位"]


# -- two databases with one clock ----------------------------------------------------------
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def twin_dbs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    if request.param == "sqlite":
        first, second = (
            Database(sqlite_url(tmp_path, "a.db")),
            Database(sqlite_url(tmp_path, "b.db")),
        )
        yield first, second
        first.dispose()
        second.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    names = [f"t_{uuid.uuid4().hex[:16]}" for _ in range(2)]
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    dbs = [Database(sa.make_url(url).set(database=n).render_as_string(False)) for n in names]
    yield dbs[0], dbs[1]
    for db in dbs:
        db.dispose()
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def twins(dbs: tuple[Database, Database], app: App, tmp_path: Path) -> list[RecordService]:
    services = []
    for index, db in enumerate(dbs):
        service = make_service(db, app, tmp_path / f"files{index}")
        service.clock = lambda: NOW
        add_user(db, service.tables, "alice")
        add_user(db, service.tables, "bob")
        services.append(service)
    return services


def one_by_one(service: RecordService, entity: str, rows: list[dict[str, Any]], user: Any = 1):
    with service.batch():
        return [service.create(entity, row, user) for row in rows]


# -- what is compared ----------------------------------------------------------------------
def table_rows(service: RecordService, name: str) -> list[dict[str, Any]]:
    table = service.tables.metadata.tables[name]
    with service.db.read() as conn:
        rows = conn.execute(sa.select(table).order_by(*table.primary_key)).mappings()
        return [dict(r) for r in rows]


def system_rows(service: RecordService, name: str, entity: str) -> list[dict[str, Any]]:
    """Rows of fw_audit or fw_grade for `entity`, by record, in order, without their ids."""
    rows = [r for r in table_rows(service, name) if r["entity"] == entity]
    rows.sort(key=lambda r: (r["record_id"], r["id"]))
    return [{k: v for k, v in r.items() if k != "id"} for r in rows]


def assert_same_records(a: RecordService, b: RecordService, *entities: str) -> None:
    for entity in entities:
        assert table_rows(a, entity) == table_rows(b, entity), entity
    for name in (SEQUENCE_TABLE, GRADE_LAYOUT_TABLE):
        assert table_rows(a, name) == table_rows(b, name), name


def json_texts(service: RecordService, name: str, entity: str) -> list[str]:
    """The JSON of fw_audit or fw_grade rows for `entity` as stored (the batch writes the text
    itself where the column takes `json.dumps`'s text), by record, in order."""
    table = service.tables.system(name)
    column = table.c.changes if name == AUDIT_TABLE else table.c.explanation
    with service.db.read() as conn:
        return list(
            conn.execute(
                sa.select(sa.cast(column, sa.Text))
                .where(table.c.entity == entity)
                .order_by(table.c.record_id, table.c.id)
            ).scalars()
        )


def assert_same_history(a: RecordService, b: RecordService, entity: str) -> None:
    """The audit rows and grade history of new records: row for row the same."""
    for name in (AUDIT_TABLE, GRADE_TABLE):
        assert system_rows(a, name, entity) == system_rows(b, name, entity), name
        assert json_texts(a, name, entity) == json_texts(b, name, entity), name


def last_ids(service: RecordService) -> tuple[int, int]:
    """The newest audit and grade history ids: what a step adds comes after them."""
    with service.db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.id), 0))).scalar_one()
            for t in (service.tables.system(AUDIT_TABLE), service.tables.system(GRADE_TABLE))
        )


def added(service: RecordService, name: str, entity: str, after: int) -> list[dict[str, Any]]:
    table = service.tables.system(name)
    with service.db.read() as conn:
        rows = conn.execute(
            sa.select(table)
            .where(table.c.entity == entity, table.c.id > after)
            .order_by(table.c.record_id, table.c.id)
        ).mappings()
        return [{k: v for k, v in r.items() if k != "id"} for r in rows]


def assert_same_net_history(
    one: RecordService, batch: RecordService, entity: str, marks: list[tuple[int, int]]
) -> None:
    """Records recomputed because of the new ones (audit and grade rows added since `marks`):
    the batch's one audit row per record holds the net change of the one-by-one rows, and its
    one grade row per record, if any, goes from the first row's old grade to the last one's."""
    audits = [added(s, AUDIT_TABLE, entity, m[0]) for s, m in zip((one, batch), marks, strict=True)]
    net: dict[int, dict[str, list[Any]]] = {}
    for row in audits[0]:
        changes = net.setdefault(row["record_id"], {})
        for field, (old, new) in row["changes"].items():
            changes[field] = [changes.get(field, [old])[0], new]
    expected = {
        record: {f: pair for f, pair in changes.items() if pair[0] != pair[1]}
        for record, changes in net.items()
    }
    assert {r["action"] for r in audits[0] + audits[1]} <= {"recompute"}
    assert len({r["record_id"] for r in audits[1]}) == len(audits[1])  # one per record
    assert {r["record_id"]: r["changes"] for r in audits[1]} == {
        k: v for k, v in expected.items() if v
    }
    grades = [added(s, GRADE_TABLE, entity, m[1]) for s, m in zip((one, batch), marks, strict=True)]
    spans: dict[int, tuple[Any, ...]] = {}
    for row in grades[0]:
        first = spans.get(row["record_id"], (row["old_grade"], row["old_score"]))
        spans[row["record_id"]] = (
            *first[:2],
            row["new_grade"],
            row["new_score"],
            row["explanation"],
        )
    made = {
        r["record_id"]: (
            r["old_grade"],
            r["old_score"],
            r["new_grade"],
            r["new_score"],
            r["explanation"],
        )
        for r in grades[1]
    }
    assert made == {k: spans[k] for k in made} and made.keys() <= spans.keys()
    assert len({r["record_id"] for r in grades[1]}) == len(grades[1])


# -- the reference app ---------------------------------------------------------------------
def customer_rows(count: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(count):
        row: dict[str, Any] = {
            "name": f"客户{i:03d}",
            "customer_type": TYPES[i % len(TYPES)],
            "annual_amount": f"{i * 1_234_567 / 7:.2f}",
            "complexity": i % 6,
            "strategic_value": (i * 3) % 6,
            "cooperation_years": i % 15,
            "payment_record": ["良好", "一般", None][i % 3],
            "major_dispute": i % 7 == 0,
            "tags": ["高潜力客户"] if i % 4 == 0 else [],
            "account_manager": 1 + i % 2,
            "first_signed_on": f"2020-0{1 + i % 9}-1{i % 10}",
            "phone": f"010-{10_000_000 + i}",
        }
        if i % 5 == 0:
            row["max_single_contract"] = "6000000"  # the big-customer override
            row["annual_amount"] = "7000000"
        rows.append(row)
    return rows


def test_customers_are_stored_as_one_by_one(twin_dbs, crm_app, tmp_path) -> None:
    one, batch = twins(twin_dbs, crm_app, tmp_path)
    for service in (one, batch):  # records that were there before
        one_by_one(service, "customer", customer_rows(3))
    rows = [{**r, "name": "新" + r["name"]} for r in customer_rows(40)]
    made = one_by_one(one, "customer", rows)
    created = batch.create_many("customer", rows, 1)
    assert created.errors == {}
    assert [r.values for r in created.records] == [r.values for r in made]
    assert [(r.id, r.version, r.title, r.created_at) for r in created.records] == [
        (r.id, r.version, r.title, r.created_at) for r in made
    ]
    assert_same_records(one, batch, "customer")
    assert_same_history(one, batch, "customer")


def contract_rows(customers: int, count: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(count):
        approved = i % 3 != 2
        row = {
            "name": f"合同{i:03d}",
            "customer": 1 + (i * 7) % customers,
            "contract_type": "施工总承包",
            "amount": str(500_000 * (i + 1)),
            "status": "approved" if approved else "draft",
            "starts_on": "2026-01-01",
        }
        if approved:
            row["signed_on"] = f"2026-0{1 + i % 3}-15"
        rows.append(row)
    return rows


def test_contracts_roll_up_into_their_customers_as_one_by_one(twin_dbs, crm_app, tmp_path):
    one, batch = twins(twin_dbs, crm_app, tmp_path)
    for service in (one, batch):
        one_by_one(service, "customer", customer_rows(6))
    rows = contract_rows(6, 25)
    marks = [last_ids(one), last_ids(batch)]
    made = one_by_one(one, "contract", rows, 2)
    created = batch.create_many("contract", rows, 2)
    assert [r.values for r in created.records] == [r.values for r in made]
    assert_same_records(one, batch, "contract", "customer")
    assert_same_history(one, batch, "contract")
    assert_same_net_history(one, batch, "customer", marks)
    grades = {r["grade"] for r in table_rows(batch, "customer")}
    assert "A" in grades  # the rollups moved grades: the comparison is not of empty values


def test_records_without_related_ones_share_rollups_and_the_others_keep_their_own(
    records, user_id
) -> None:
    """`BatchDeriver` evaluates the fields computed from related records once for the records
    that have none: in a batch that mixes them with records that have some, every record still
    gets what `RuleRunner.derive` gives it alone."""
    made = [records.create("customer", {**r, "account_manager": user_id}) for r in customer_rows(6)]
    with_contracts = (made[1].id, made[4].id)
    for i, row in enumerate(contract_rows(1, 4)):
        records.create("contract", {**row, "customer": with_contracts[i % 2]})
    ent, rules = records.app.entity("customer"), records.rules["customer"]
    ids = [r.id for r in made]
    with records.db.write() as conn:
        ctx = BatchContext(conn, records.app, records.tables, NOW.date())
        ctx.add_batch("customer", ids)
        deriver = BatchDeriver(conn, records.tables, ent, rules, ids, NOW)
        alone = records.runner.context(conn, NOW)
        derived = {}
        for record in made:
            # Derived fields blanked, so that every derived value comes back.
            stored = {k: None if ent.fields[k].formula else v for k, v in record.values.items()}
            stored |= {"score": None, "grade": None}
            in_batch = deriver.derive(
                ctx, formula_view(ent, stored, record.id), stored, record.id, None, "test"
            )
            expected = records.runner.derive(
                alone,
                ent,
                rules,
                formula_view(ent, stored, record.id),
                stored,
                record.id,
                None,
                NOW,
                "test",
            )
            assert in_batch == expected, record.id
            derived[record.id] = in_batch
        conn.rollback()
    assert deriver.all_shared is not None  # the records without contracts shared their values
    sums = {i: derived[i]["contracts_12m"] for i in ids}
    assert {sums[i] for i in with_contracts} != {sums[made[0].id]}  # not all alike


# -- rollups, links back, defaults, conditions: the sales app of tests/store/conftest.py -------
def deal_rows(accounts: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "title": f"deal {i}",
            "amount": str(90_000 * (i + 1) if i % accounts else 1000),
            "discount": str(i % 40),
            "stage": ["open", "won", "lost"][i % 3],
            "lost_reason": "price" if i % 3 == 2 else None,
            "account": 1 + i % accounts,
        }
        for i in range(count)
    ]


def test_deals_recompute_accounts_and_the_deals_that_read_them(twin_dbs, sales_app, tmp_path):
    one, batch = twins(twin_dbs, sales_app, tmp_path)
    for service in (one, batch):
        one_by_one(service, "account", [{"name": f"account {i}"} for i in range(4)])
        one_by_one(service, "deal", deal_rows(4, 5))  # deals already there read the grade too
    rows = deal_rows(4, 30)
    marks = [last_ids(one), last_ids(batch)]
    one_by_one(one, "deal", rows)
    created = batch.create_many("deal", rows, 1)
    stored = {r["id"]: r for r in table_rows(batch, "deal")}
    for record in created.records:  # as stored at the end, the grade read back included
        assert record is not None
        assert {k: stored[record.id][k] for k in record.values} == dict(record.values)
    assert_same_records(one, batch, "deal", "account")
    assert_same_net_history(one, batch, "account", marks)
    assert {r["account_grade"] for r in table_rows(batch, "deal")} == {"A", "C"}


# -- rows `create` itself writes: child tables, attachments; links within the batch ----------
def test_rows_with_child_rows_go_through_create_in_their_place(twin_dbs, project_app, tmp_path):
    one, batch = twins(twin_dbs, project_app, tmp_path)
    rows: list[dict[str, Any]] = [
        {"name": "plain", "budget": "10"},
        {"name": "with rows", "milestones": [{"title": "start", "amount": "5"}]},
        {"name": "plain again", "owner": 2},
    ]
    made = one_by_one(one, "project", rows)
    created = batch.create_many("project", rows, 1)
    assert [r.id for r in created.records] == [r.id for r in made]
    assert_same_records(one, batch, "project", "milestone")
    assert_same_history(one, batch, "project")


NODE_APP = {
    "node": {
        "title": "name",
        "fields": {
            "name": {"type": "text", "required": True},
            "parent": {"type": "link", "to": "node"},
            "parent_name": {"type": "text", "formula": "parent.name"},
        },
    }
}


def test_a_row_may_link_to_a_record_made_earlier_in_the_batch(twin_dbs, tmp_path) -> None:
    app = load_app(write_package(tmp_path / "nodes", NODE_APP))
    one, batch = twins(twin_dbs, app, tmp_path)
    rows = [{"name": "root"}, {"name": "leaf", "parent": 1}, {"name": "twig", "parent": 2}]
    one_by_one(one, "node", rows)
    created = batch.create_many("node", rows, 1)
    assert [r["parent_name"] for r in created.records] == [None, "root", "leaf"]
    assert_same_records(one, batch, "node")


# -- refusals: the same errors, all or nothing -----------------------------------------------
BAD_CUSTOMERS = [
    ({"name": "甲", "customer_type": "火星"}, "customer_type"),  # not an option
    ({"customer_type": "开发商"}, "name"),  # required
    ({"name": "乙", "customer_type": "开发商", "grade": "A"}, "grade"),  # not writable
    ({"name": "丙", "customer_type": "开发商", "nonsense": 1}, "nonsense"),  # unknown
    ({"name": "老客户", "customer_type": "开发商"}, "name"),  # taken in the database
    ({"name": "丁", "customer_type": "开发商", "account_manager": 99}, "account_manager"),
    (
        {"name": "戊", "customer_type": "开发商", "annual_amount": 1, "max_single_contract": 2},
        "annual_amount",
    ),  # a validation rule
]


@pytest.mark.parametrize(("bad", "field"), BAD_CUSTOMERS)
def test_a_bad_row_gets_the_errors_create_gives_it(records, user_id, bad, field) -> None:
    records.create("customer", {"name": "老客户", "customer_type": "开发商"})
    rows = [
        {"name": "好", "customer_type": "开发商"},
        bad,
        {"name": "也好", "customer_type": "设计院"},
    ]
    expected: dict[int, dict[str, list[str]]] = {}
    with records.batch(dry_run=True):
        for index, row in enumerate(rows):
            try:
                records.create("customer", row, user_id)
            except ValidationFailed as exc:
                expected[index] = exc.errors
    checked = records.create_many("customer", rows, user_id, dry_run=True)
    assert {i: e.errors for i, e in checked.errors.items()} == expected  # type: ignore[attr-defined]
    assert list(expected) == [1] and field in expected[1]
    assert checked.records[0] is not None and checked.records[1] is None


def test_a_duplicate_within_the_batch_is_refused_as_one_by_one(records) -> None:
    rows = [{"name": "甲", "customer_type": "开发商"}] * 2
    checked = records.create_many("customer", rows, dry_run=True)
    assert list(checked.errors) == [1]
    assert checked.errors[1].errors == {"name": ["Already used by another record."]}  # type: ignore[attr-defined]


def test_one_refused_row_writes_nothing_of_the_batch(records, user_id) -> None:
    records.create("customer", {"name": "老客户", "customer_type": "开发商"})
    before = take_snapshot(records)
    rows = [{"name": f"客户{i}", "customer_type": "开发商"} for i in range(5)]
    rows[3] = {"name": "老客户", "customer_type": "开发商"}
    rows.append({"name": "坏", "customer_type": "火星"})
    with pytest.raises(RowRefused) as refused:
        records.create_many("customer", rows, user_id)
    assert refused.value.index == 3  # the first refused row, as one by one would stop there
    assert isinstance(refused.value.error, ValidationFailed)
    assert refused.value.error.errors == {"name": ["Already used by another record."]}
    assert take_snapshot(records) == before


def test_a_row_refused_by_the_rules_fails_the_batch_after_good_rows(records, user_id) -> None:
    before = take_snapshot(records)
    rows = [{"name": f"客户{i}", "customer_type": "开发商"} for i in range(3)]
    rows[1] |= {"annual_amount": 1, "max_single_contract": 2}
    with pytest.raises(RowRefused) as refused:
        records.create_many("customer", rows, user_id)
    assert refused.value.index == 1 and "annual_amount" in refused.value.error.errors  # type: ignore[attr-defined]
    assert take_snapshot(records) == before


def test_skipping_refused_rows_numbers_the_others_without_gaps(records) -> None:
    rows = [{"name": f"客户{i}", "customer_type": "开发商"} for i in range(4)]
    rows[1] |= {"annual_amount": 1, "max_single_contract": 2}  # refused by a rule
    rows[2] = {"name": "客户0", "customer_type": "开发商"}  # refused: the name of row 0
    created = records.create_many("customer", rows, skip_refused=True)
    assert sorted(created.errors) == [1, 2] and created.created == 2
    codes = [r["code"][-5:] for r in created.records if r is not None]
    assert codes == ["00001", "00002"]
    first, second = (r.id for r in created.records if r is not None)
    assert second == first + 1  # (PostgreSQL's sequence keeps what the first try took)


def test_the_records_need_not_be_handed_back(twin_dbs, crm_app, tmp_path) -> None:
    kept, counted = twins(twin_dbs, crm_app, tmp_path)
    rows = customer_rows(20)
    rows[3] = {**rows[3], "annual_amount": 1, "max_single_contract": 2}  # refused by a rule
    made = kept.create_many("customer", rows, 1, skip_refused=True)
    done = counted.create_many("customer", rows, 1, skip_refused=True, records=False)
    assert done.records == [] and done.created == made.created == 19
    assert {i: e.errors for i, e in done.errors.items()} == {  # type: ignore[attr-defined]
        i: e.errors  # type: ignore[attr-defined]
        for i, e in made.errors.items()
    }
    assert_same_records(kept, counted, "customer")
    assert_same_history(kept, counted, "customer")


def test_a_dry_run_writes_nothing(records) -> None:
    add_user(records.db, records.tables, "alice")
    add_user(records.db, records.tables, "bob")
    before = take_snapshot(records)
    checked = records.create_many("customer", customer_rows(5), dry_run=True)
    assert checked.errors == {} and checked.created == 5
    assert checked.records[0] is not None and checked.records[0]["grade"] is not None
    assert take_snapshot(records) == before


def test_the_user_needs_the_create_permission_and_field_rights(records) -> None:
    records.policy = ConfigPolicy(records.app, records.tables, records.db.dialect)
    user_id = add_user(records.db, records.tables)
    finance = Actor(user_id, "fin", roles=("finance",))
    with pytest.raises(Forbidden):
        records.create_many("customer", [{"name": "甲", "customer_type": "开发商"}], finance)
    manager = Actor(user_id, "am", roles=("account_manager",))
    rows = [{"name": "甲", "customer_type": "开发商", "credit_rating": "AAA"}]
    with pytest.raises(RowRefused) as refused:
        records.create_many("customer", rows, manager)
    assert refused.value.error.errors == {"credit_rating": ["This field cannot be written."]}  # type: ignore[attr-defined]


def test_a_refusal_is_a_record_error(records) -> None:
    with pytest.raises(RecordError):
        records.create_many("customer", [{"name": ""}])


# -- the garbage collector's pause -------------------------------------------------------------
def test_the_collector_is_paused_for_a_batch_and_resumes_after_the_last_one() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # another batch (another thread) at the same time
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
