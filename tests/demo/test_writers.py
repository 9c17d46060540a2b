"""Writing demo data: through the record service (every rule real) or in bulk (the same
records, derived values by the bulk jobs); refusals leave the database as it was."""

from __future__ import annotations

import dataclasses
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.auth.users import UserStore
from formwork.demo import DatabaseNotEmpty, DemoSpec, RecordRefused
from formwork.demo.spec import EntitySpec, FieldSpec
from formwork.demo.values import Constant
from formwork.runtime import Runtime
from formwork.store.database import Database
from formwork.store.system import AUDIT_TABLE, GRADE_TABLE, SEQUENCE_TABLE, USER_TABLE
from tests.conftest import CRM_PACKAGE
from tests.demo.conftest import CHEAP, NOW, demo, field_values, only, rows
from tests.store.conftest import take_snapshot


def count(runtime: Runtime, table: str, **where: str) -> int:
    t = runtime.tables.metadata.tables[table]
    query = sa.select(sa.func.count()).select_from(t)
    for column, value in where.items():
        query = query.where(t.c[column] == value)
    with runtime.db.read() as conn:
        return conn.execute(query).scalar_one()


def test_the_service_path_writes_valid_records_of_a_package_without_a_spec(
    generic: Runtime,
) -> None:
    result = demo(generic, scale=12)
    assert result.written == {"team": 12, "project": 12}
    assert not result.bulk
    projects = rows(generic, "project")
    assert len({p["title"] for p in projects}) == 12
    assert all(p["discount"] is None or p["discount"] <= 50 for p in projects)  # redrawn
    assert all(p["effort"] <= 8 for p in projects)
    for p in projects:
        assert (p["lost_reason"] is not None) == (p["stage"] == "lost")
        expected = float(p["budget"] or 0) * (1 - float(p["discount"] or 0) / 100)
        assert float(p["net"]) == pytest.approx(expected, abs=0.01)
        assert p["code"].startswith(f"P-{p['created_at'].year}-")
    milestones = Counter(m["parent_id"] for m in rows(generic, "milestone"))
    assert set(milestones) == {p["id"] for p in projects}
    assert all(1 <= n <= 3 for n in milestones.values())
    assert count(generic, AUDIT_TABLE, action="create") == 24


def test_records_are_created_at_their_planned_times(crm: Runtime, crm_spec: DemoSpec) -> None:
    demo(crm, crm_spec, scale=15)
    customers = {c["id"]: c for c in rows(crm, "customer")}
    for contact in rows(crm, "contact"):
        customer = customers[contact["customer"]]
        assert customer["created_at"] <= contact["created_at"] <= NOW
        assert contact["created_by"] == customer["account_manager"]
    years = {c["created_at"].year for c in customers.values()}
    assert len(years) >= 3  # created over three years, numbered by year
    assert all(c["code"].startswith(f"KH-{c['created_at'].year}-") for c in customers.values())


def test_edits_leave_a_history_and_a_grade_history(crm: Runtime, crm_spec: DemoSpec) -> None:
    demo(crm, crm_spec, scale=20)
    edited = [c for c in rows(crm, "customer") if c["version"] > 1]
    assert edited
    for customer in edited:
        history = crm.records.history("customer", customer["id"])
        assert [e.action for e in history][-1] == "create"
        edits = [e for e in history if e.action == "update"]
        assert len(edits) == customer["version"] - 1
        assert customer["created_at"] < edits[0].at == customer["updated_at"] <= NOW
    assert count(crm, GRADE_TABLE) >= 20


@pytest.mark.parametrize("package", ["generic", "crm"])
def test_bulk_writes_the_same_records_as_the_service(
    package: str, open_app: Any, generic_package: Path, crm_spec: DemoSpec
) -> None:
    source, spec = (
        (generic_package, DemoSpec()) if package == "generic" else (CRM_PACKAGE, crm_spec)
    )
    careful, fast = open_app(source, "careful"), open_app(source, "fast")
    demo(careful, spec, scale=25, bulk=False)
    assert demo(fast, spec, scale=25, bulk=True).bulk
    for entity in careful.model.entities:
        assert field_values(fast, entity) == field_values(careful, entity), entity
    with careful.db.read() as a, fast.db.read() as b:
        sequences = sa.select(careful.tables.system(SEQUENCE_TABLE)).order_by("key")
        assert a.execute(sequences).all() == b.execute(sequences).all()


def test_bulk_numbers_continue_in_the_record_service(generic: Runtime) -> None:
    demo(generic, scale=5, bulk=True)
    team = rows(generic, "team")[0]["id"]
    project = generic.records.create(
        "project",
        {
            "title": "After",
            "team": team,
            "stage": "open",
            "effort": 2,
            "milestones": [{"title": "m"}],
        },
    )
    numbers = sorted(p["code"] for p in rows(generic, "project"))
    assert project["code"] == numbers[-1] and len(set(numbers)) == 6


def test_grades_spread_over_every_level(open_app: Any, crm_spec: DemoSpec) -> None:
    runtime = open_app(CRM_PACKAGE, "spread")
    demo(runtime, only(crm_spec, runtime.model, "customer"), scale=1000, seed=11)
    grades = Counter(c["grade"] for c in rows(runtime, "customer"))
    share = {grade: n / 1000 for grade, n in grades.items()}
    assert set(share) == {"A", "B", "C"}
    assert 0.08 <= share["A"] <= 0.25
    assert 0.25 <= share["B"] <= 0.45
    assert 0.40 <= share["C"] <= 0.65


def test_a_database_with_records_is_refused_and_left_alone(generic: Runtime) -> None:
    demo(generic, scale=2)
    before = take_snapshot(generic.records)
    with pytest.raises(DatabaseNotEmpty) as caught:
        demo(generic, DemoSpec(users={}), scale=2, seed=9)
    assert caught.value.counts == {"team": 2, "project": 2}
    assert take_snapshot(generic.records) == before


def test_append_adds_records_and_keeps_unique_values_unique(generic: Runtime) -> None:
    demo(generic, scale=6)
    demo(generic, scale=6, append=True)  # the same seed draws the same titles again
    titles = [p["title"] for p in rows(generic, "project")]
    assert len(titles) == 12 and len(set(titles)) == 12


@pytest.mark.parametrize("bulk", [False, True])
def test_a_refused_record_names_entity_record_and_field_and_rolls_its_batch_back(
    generic: Runtime, bulk: bool
) -> None:
    always_too_much = FieldSpec(Constant(9))
    spec = DemoSpec(entities={"project": EntitySpec(fields={"effort": always_too_much})})
    with pytest.raises(RecordRefused) as caught:
        demo(generic, spec, scale=4, bulk=bulk)
    refused = caught.value
    assert (refused.entity, refused.index) == ("project", 0)
    assert refused.errors == {"effort": ["At most 8 days"]}
    assert refused.kept == {"team": 4}
    assert "project record #1 was refused — effort: At most 8 days" in str(refused)
    assert rows(generic, "project") == [] and rows(generic, "milestone") == []


def test_fields_the_rules_keep_refusing_are_left_empty_where_they_may_be(
    generic: Runtime,
) -> None:
    always_too_much = FieldSpec(Constant(Decimal("90")))
    spec = DemoSpec(entities={"project": EntitySpec(fields={"discount": always_too_much})})
    demo(generic, spec, scale=3)
    assert [p["discount"] for p in rows(generic, "project")] == [None, None, None]


def test_demo_users_get_their_role_a_team_and_a_random_password(
    crm: Runtime, crm_spec: DemoSpec
) -> None:
    spec = dataclasses.replace(crm_spec, users={"account_manager": 2, "finance": 1})
    users = demo(crm, spec, scale=2).users
    assert [(u.username, u.role, u.team) for u in users] == [
        ("account-manager1", "account_manager", "华北大区"),
        ("account-manager2", "account_manager", "华东大区"),
        ("finance1", "finance", "华北大区"),
    ]
    store = UserStore.of(crm, CHEAP)
    assert all(store.authenticate(u.username, u.password or "") for u in users)
    assert len({u.password for u in users}) == 3
    owners = {c["account_manager"] for c in rows(crm, "customer")}
    assert owners <= {store.by_username(u.username).id for u in users[:2]}  # type: ignore[union-attr]
    assert count(crm, USER_TABLE) == 3


@pytest.mark.postgres
def test_both_writers_work_on_postgresql(
    open_app: Any, generic_package: Path, pg_db: Database
) -> None:
    runtime = open_app(generic_package, "pg", pg_db.url.render_as_string(hide_password=False))
    assert demo(runtime, scale=6, bulk=True).bulk
    assert not demo(runtime, scale=6, seed=4, append=True, bulk=False).bulk
    projects = rows(runtime, "project")
    assert len(projects) == 12 and len({p["code"] for p in projects}) == 12
    assert all(p["net"] is not None for p in projects)
