"""The impact preview: what publishing a candidate would do to the live site, computed from
the live data without changing it — grade moves by name with their transition matrix, schema
steps with row counts, changed flows with their requests in flight, and an invalid
candidate's problems instead of a plan."""

from __future__ import annotations

from typing import Any

import pytest

from formwork.auth import UserStore
from formwork.overlay import Overlay, build_candidate, value_at
from formwork.overlay.impact import Impact, preview_impact
from formwork.rules.grading import CompiledGrading
from formwork.runtime import Runtime
from formwork.store.regrade import what_if
from formwork.store.tables import build_tables
from tests.app_fixtures import PASSWORD, Crm
from tests.conftest import CRM_PACKAGE
from tests.crm_scores import A_THRESHOLD, GRADING_INPUTS

#: Dogwood: 13.5, C.
CUSTOMERS = {**GRADING_INPUTS, "Dogwood": {"complexity": 1, "strategic_value": 1, "potential": 1}}


@pytest.fixture
def customers(crm: Crm) -> dict[str, Any]:
    made = {name: crm.customer(name, **values) for name, values in CUSTOMERS.items()}
    assert {n: r["grade"] for n, r in made.items()} == {
        "Alder": "B",
        "Birch": "B",
        "Cedar": "C",
        "Dogwood": "C",
    }
    return made


def preview(runtime: Runtime, overlay: Overlay, **options: Any) -> Impact:
    return preview_impact(runtime, build_candidate(CRM_PACKAGE, overlay), **options)


def test_a_lowered_threshold_lists_the_records_that_move_by_name(
    runtime: Runtime, customers: dict[str, Any]
) -> None:
    impact = preview(runtime, Overlay().set(A_THRESHOLD, 62, base=80))

    (grading,) = impact.gradings
    assert grading.grading.name == "customer_grade" and not grading.added
    assert grading.what_if is not None
    assert grading.what_if.transitions == {("B", "A"): 2, ("C", "C"): 2}
    assert grading.moves() == [("B", "A", 2)]
    assert [(m.title, m.old_grade, m.new_grade) for m in grading.what_if.movers] == [
        ("Alder", "B", "A"),
        ("Birch", "B", "A"),
    ]
    assert [(m.old_score, m.new_score) for m in grading.what_if.movers] == [
        (77.25, 77.25),
        (62.75, 62.75),
    ]
    assert grading.grades() == ["A", "B", "C"]
    assert [[grading.count(o, n) for n in "ABC"] for o in "ABC"] == [
        [0, 0, 0],
        [2, 0, 0],
        [0, 0, 2],
    ]
    assert impact.schema == () and impact.flows == () and not impact.blocked
    # Nothing was written: the stored grades are as they were.
    assert runtime.records.get("customer", customers["Alder"].id)["grade"] == "B"


def test_movers_are_capped_but_the_matrix_counts_every_record(
    runtime: Runtime, customers: dict[str, Any]
) -> None:
    impact = preview(runtime, Overlay().set(A_THRESHOLD, 62, base=80), movers_limit=1)
    (grading,) = impact.gradings
    assert grading.what_if is not None
    assert [m.title for m in grading.what_if.movers] == ["Alder"]
    assert grading.what_if.moving == 2


def test_an_unchanged_grading_is_not_previewed(runtime: Runtime, customers: dict[str, Any]) -> None:
    impact = preview(
        runtime, Overlay().set("entities/customer/label/en", "Client", base="Customer")
    )
    assert impact.gradings == () and impact.schema == () and not impact.blocked


def test_the_preview_agrees_with_what_if_on_the_candidate_grading(
    runtime: Runtime, customers: dict[str, Any]
) -> None:
    candidate = build_candidate(CRM_PACKAGE, Overlay().set(A_THRESHOLD, 70, base=80))
    (grading,) = preview_impact(runtime, candidate).gradings
    assert candidate.app is not None
    compiled = CompiledGrading(
        candidate.app, candidate.app.gradings["customer_grade"], runtime.records.rules.functions
    )
    direct = what_if(runtime.db, candidate.app, build_tables(candidate.app), compiled)
    assert grading.what_if == direct
    assert grading.moves() == [("B", "A", 1)]


def test_an_added_field_is_an_add_column_step_with_the_row_count(
    runtime: Runtime, customers: dict[str, Any]
) -> None:
    field = {"type": "text", "label": {"zh": "微信", "en": "WeChat"}}
    impact = preview(runtime, Overlay().set("entities/customer/fields/wechat", field))
    assert [(s.change, s.table, s.column, s.rows) for s in impact.schema] == [
        ("add", "customer", "wechat", 4)
    ]
    # Publishing re-grades the entity's grading (its fields changed): nobody moves.
    assert [(g.grading.name, g.moves()) for g in impact.gradings] == [("customer_grade", [])]
    assert not impact.blocked


def test_a_removed_field_is_an_archive_step(runtime: Runtime, customers: dict[str, Any]) -> None:
    package = build_candidate(CRM_PACKAGE, Overlay()).document
    field = "entities/customer/fields/notes"
    sections = value_at(package, "entities/customer/form/sections")
    index = next(i for i, s in enumerate(sections) if "notes" in s["fields"])
    section = f"entities/customer/form/sections/{index}/fields"
    kept = [f for f in sections[index]["fields"] if f != "notes"]
    overlay = (
        Overlay()
        .set(section, kept, base=value_at(package, section))
        .remove(field, base=value_at(package, field))
    )
    impact = preview(runtime, overlay)
    assert impact.problems == () and impact.conflicts == ()
    assert [(s.change, s.table, s.column, s.rows) for s in impact.schema] == [
        ("archive", "customer", "notes", 4)
    ]


def test_a_changed_flow_counts_its_requests_in_flight(
    runtime: Runtime, crm: Crm, users: UserStore
) -> None:
    manager = users.create("am", "Manager", PASSWORD, ["account_manager"])
    users.create("director", "Director", PASSWORD, ["sales_director"])
    commercial = users.create("biz", "Biz", PASSWORD, ["commercial"]).actor()
    customer = crm.customer("Elm", owner=manager)
    for name in ("first", "second"):
        contract = runtime.records.create(
            "contract",
            {"name": name, "customer": customer.id, "contract_type": "专业分包", "amount": 1000},
            user=commercial,
        )
        runtime.flows.submit("contract", contract.id, commercial)
    runtime.records.create(  # a draft: not in flight
        "contract",
        {"name": "draft", "customer": customer.id, "contract_type": "专业分包", "amount": 1000},
        user=commercial,
    )
    step = "flows/contract_approval/steps/name=sales_director/due_hours"
    impact = preview(runtime, Overlay().set(step, 24, base=48))
    assert [(f.name, f.entity, f.change, f.in_flight) for f in impact.flows] == [
        ("contract_approval", "contract", "changed", 2)
    ]


def test_an_invalid_candidate_returns_its_problems_and_no_plan(
    runtime: Runtime, customers: dict[str, Any]
) -> None:
    overlay = Overlay().set("entities/customer/fields/wechat", {"type": "no_such_type"})
    impact = preview(runtime, overlay.set(A_THRESHOLD, 62, base=80))
    assert impact.problems
    assert any("wechat" in p.path for p in impact.problems)
    assert impact.plan is None and impact.blocked
    assert impact.schema == () and impact.gradings == () and impact.flows == ()
