"""The plan: records drawn from the spec (or from field types alone), the same for the same
seed, consistent within a record and across the records it belongs to."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from formwork.demo import DemoError, DemoSpec
from formwork.demo.plan import DemoPlan, Planned
from formwork.demo.spec import EntitySpec, FieldSpec
from formwork.demo.values import Constant, Ref, UserPool
from formwork.metamodel import App, load_app
from formwork.store.input_schema import InputCleaner
from tests.demo.conftest import NOW
from tests.packages import write_package

ROLES = ("admin", "account_manager", "tech_support", "commercial")


def crm_users() -> UserPool:
    by_role = {role: [10 * i + n for n in range(1, 4)] for i, role in enumerate(ROLES, 1)}
    return UserPool(sorted(i for ids in by_role.values() for i in ids), by_role)


def plan_all(app: App, spec: DemoSpec, seed: int = 1, scale: int = 20) -> dict[str, list[Planned]]:
    plan = DemoPlan(app, spec, scale=scale, seed=seed, users=crm_users(), now=NOW)
    return {entity: list(plan.records(entity)) for entity in plan.order}


def test_the_same_seed_plans_the_same_records(crm_app: App, crm_spec: DemoSpec) -> None:
    assert plan_all(crm_app, crm_spec, seed=5) == plan_all(crm_app, crm_spec, seed=5)
    first, other = plan_all(crm_app, crm_spec, seed=5), plan_all(crm_app, crm_spec, seed=6)
    assert [r.values for r in first["customer"]] != [r.values for r in other["customer"]]


def test_counts_follow_the_scale_and_links_come_after_their_targets(
    crm_app: App, crm_spec: DemoSpec
) -> None:
    plan = DemoPlan(crm_app, crm_spec, scale=8, seed=1, users=crm_users(), now=NOW)
    assert plan.order.index("customer") < plan.order.index("contact")
    assert plan.order.index("contract") < plan.order.index("receivable")  # receivables belong
    assert (plan.counts["customer"], plan.counts["contact"], plan.counts["receivable"]) == (
        8,
        24,
        16,
    )


def test_a_record_belongs_to_an_earlier_one_and_is_created_after_it_by_its_owner(
    crm_app: App, crm_spec: DemoSpec
) -> None:
    planned = plan_all(crm_app, crm_spec)
    customers = planned["customer"]
    for contact in planned["contact"]:
        parent = contact.values["customer"]
        assert isinstance(parent, Ref) and parent.entity == "customer"
        customer = customers[parent.index]
        assert customer.created_at <= contact.created_at <= NOW
        assert contact.created_by == customer.values["account_manager"]


def test_values_hold_together_within_a_record(crm_app: App, crm_spec: DemoSpec) -> None:
    start = NOW - dt.timedelta(days=crm_spec.days)
    users = crm_users()
    for customer in plan_all(crm_app, crm_spec, scale=60)["customer"]:
        values = customer.final_values()
        assert start <= customer.created_at <= NOW
        assert values["max_single_contract"] <= values["annual_amount"]
        assert values["account_manager"] in users.by_role["account_manager"]
        signed = values.get("first_signed_on")
        if signed is not None:
            created = customer.created_at.date()
            assert created - dt.timedelta(days=1800) <= signed <= created
        times = [customer.created_at, *(edit.at for edit in customer.edits)]
        assert times == sorted(times) and times[-1] <= NOW


def test_customers_are_created_in_order_over_the_spec_s_days(
    crm_app: App, crm_spec: DemoSpec
) -> None:
    created = [c.created_at for c in plan_all(crm_app, crm_spec, scale=50)["customer"]]
    assert created == sorted(created)
    assert created[0] < NOW - dt.timedelta(days=crm_spec.days - 60)
    assert created[-1] > NOW - dt.timedelta(days=60)


def test_some_records_get_a_history_of_edits(crm_app: App, crm_spec: DemoSpec) -> None:
    customers = plan_all(crm_app, crm_spec, scale=100)["customer"]
    edited = [c for c in customers if c.edits]
    assert 15 <= len(edited) <= 45  # share: 0.3
    allowed = {"annual_amount", "payment_record", "potential", "max_single_contract"}
    assert all(set(edit.values) <= allowed for c in edited for edit in c.edits)


def test_without_a_spec_values_come_from_field_types(generic_package: Path) -> None:
    app = load_app(generic_package)
    cleaner = InputCleaner(app)
    planned = plan_all(app, DemoSpec(), scale=40)
    project = app.entity("project")
    titles = [p.values["title"] for p in planned["project"]]
    assert len(set(titles)) == len(titles)
    for p in planned["project"]:
        values = {k: 1 if isinstance(v, Ref) else v for k, v in p.values.items()}
        clean = cleaner.clean(project, {**values, **p.rows}, creating=True)  # raises if invalid
        assert 1 <= clean.values["effort"] <= 10
        assert {"files", "code", "net"}.isdisjoint(p.values)
        assert 1 <= len(p.rows["milestones"]) <= 3
        assert len(p.values.get("labels", [])) <= 2
    stages = {p.values["stage"] for p in planned["project"]}
    assert stages == {"open", "won", "lost"}


def test_a_unique_value_drawn_again_is_numbered_apart(generic_package: Path) -> None:
    app = load_app(generic_package)
    title = app.entity("project").fields["title"]
    spec = DemoSpec(entities={"project": EntitySpec(fields={"title": FieldSpec(Constant("Same"))})})
    planned = plan_all(app, spec, scale=4)
    assert [p.values["title"] for p in planned["project"]] == ["Same", "Same 2", "Same 3", "Same 4"]
    assert title.unique


def test_redrawing_a_record_depends_on_the_record_alone(crm_app: App, crm_spec: DemoSpec) -> None:
    def redrawn(ahead: int) -> Any:
        plan = DemoPlan(crm_app, crm_spec, scale=20, seed=1, users=crm_users(), now=NOW)
        records = plan.records("customer")
        first = next(records)
        for _ in range(ahead):  # the writers draw ahead by different batch sizes
            next(records)
        return plan.redraw(first, 1)

    again = redrawn(0)
    assert again == redrawn(5)
    assert again.created_at == plan_all(crm_app, crm_spec)["customer"][0].created_at
    assert again.values != plan_all(crm_app, crm_spec)["customer"][0].values


@pytest.mark.parametrize(
    ("fields", "users", "words"),
    [
        ({"doc": {"type": "attachment", "required": True}}, UserPool([1]), "nothing draws"),
        ({"who": {"type": "link", "to": "user", "required": True}}, UserPool(), "no such users"),
    ],
)
def test_a_required_field_nothing_can_fill_stops_the_plan(
    tmp_path: Path, fields: dict[str, Any], users: UserPool, words: str
) -> None:
    app = load_app(write_package(tmp_path, {"thing": {"name": {"type": "text"}, **fields}}))
    with pytest.raises(DemoError, match=words):
        DemoPlan(app, DemoSpec(), scale=1, seed=1, users=users, now=NOW)


def test_users_the_spec_will_create_count_for_required_links(tmp_path: Path) -> None:
    app = load_app(
        write_package(
            tmp_path,
            {"thing": {"who": {"type": "link", "to": "user", "required": True}}},
            app={"roles": {"boss": {"label": "Boss"}}},
        )
    )
    plan = DemoPlan(app, DemoSpec(users={"boss": 1}), scale=1, seed=1, users=UserPool(), now=NOW)
    assert plan.counts == {"thing": 1}
    with pytest.raises(DemoError, match=r"thing\.who is a required link to a user"):
        DemoPlan(app, DemoSpec(users={"boss": 0}), scale=1, seed=1, users=UserPool(), now=NOW)


def test_records_cannot_belong_to_an_entity_that_gets_none(
    crm_app: App, crm_spec: DemoSpec
) -> None:
    entities = {**crm_spec.entities, "customer": EntitySpec(count=0)}
    spec = dataclasses.replace(crm_spec, entities=entities)
    with pytest.raises(DemoError, match="contact belongs to customer, which gets no records"):
        DemoPlan(crm_app, spec, scale=5, seed=1, users=crm_users(), now=NOW)
