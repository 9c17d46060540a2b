"""The flow config language: what a valid flow becomes in the model, and what is refused
at load (the broken-config corpus covers one case per code; these cover the variations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from formwork.metamodel import ConfigError, load_app

from .conftest import FLOW, flow_with, write_flow_package


def problems(tmp_path: Path, flow: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        load_app(write_flow_package(tmp_path, flow))
    return [(p.code, p.path) for p in caught.value.problems]


def test_a_flow_becomes_part_of_the_model_with_its_defaults(tmp_path: Path) -> None:
    flow = flow_with(
        submit={"state": "pending"},
        on_reject=None,
        states={
            "draft": {"label": "Draft"},
            "pending": {"label": "Pending"},
            "approved": {"label": "Approved"},
        },
    )
    flow["steps"][1]["mode"] = 2
    app = load_app(write_flow_package(tmp_path, flow))
    built = app.flow_of("order")
    assert built is app.flows["order_approval"]
    assert app.flow_of("customer") is None
    assert (built.initial, built.submit.sources, built.submit.roles) == ("draft", ("draft",), ())
    assert [e.state for e in built.effects().values()] == ["approved", "draft", "draft", "draft"]
    assert [(s.name, s.mode, s.count) for s in built.steps] == [
        ("director", "any", None),
        ("finance", "count", 2),
        ("executive", "any", None),
    ]
    assert built.locked == ("amount", "name") and built.self_approval is False
    assert built.state_label("pending").get("en") == "Pending"


def conditional(submit_when: str | None, step_when: str) -> dict[str, Any]:
    """FLOW with a submit condition and one conditional step after the director's."""
    submit = {"state": "pending", **({"when": submit_when} if submit_when else {})}
    steps = [FLOW["steps"][0], {**FLOW["steps"][1], "when": step_when}]
    return flow_with(submit=submit, steps=steps)


@pytest.mark.parametrize(
    ("submit_when", "step_when"),
    [
        (None, "amount >= 5000000"),
        ("amount > 0", "amount >= 5000000"),
        (None, "amount >= 5 and amount <= 5"),
        (None, "amount > 5 or amount < 5"),
        (None, "name == 'a' and amount == 2"),
        ("amount < 1000", "amount >= 1000 or name == 'vip'"),
        (None, "today() > today()"),  # depends on the day, not constant
    ],
)
def test_steps_that_can_run_are_accepted(
    tmp_path: Path, submit_when: str | None, step_when: str
) -> None:
    load_app(write_flow_package(tmp_path, conditional(submit_when, step_when)))


@pytest.mark.parametrize(
    ("submit_when", "step_when"),
    [
        (None, "False"),
        (None, "1 > 2 and true"),
        (None, "amount > 5 and amount < 5"),
        (None, "amount >= 5 and amount < 5"),
        (None, "5 < amount and amount <= 5"),
        (None, "name == 'a' and name == 'b'"),
        (None, "amount == 3 and amount > 3"),
        ("amount < 1000", "amount >= 1000"),
        ("amount <= 1000 and name == 'x'", "name == 'y'"),
    ],
)
def test_steps_that_can_never_run_are_refused(
    tmp_path: Path, submit_when: str | None, step_when: str
) -> None:
    flow = conditional(submit_when, step_when)
    assert problems(tmp_path, flow) == [("FW803", "flows.order_approval.steps[1].when")]


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        ({"when": "amount + 1"}, "steps[0].when", "FW503"),
        ({"when": "amount >"}, "steps[0].when", "FW501"),
        ({"when": "amout > 1"}, "steps[0].when", "FW502"),
        ({"approvers": [{"formula": "amount * 2"}]}, "steps[0].approvers[0].formula", "FW503"),
        ({"approvers": [{"formula": "nobody"}]}, "steps[0].approvers[0].formula", "FW502"),
    ],
)
def test_step_formulas_are_checked_like_any_other(
    tmp_path: Path, change: dict[str, Any], path: str, code: str
) -> None:
    flow = flow_with(steps=[{**FLOW["steps"][0], **change}])
    assert problems(tmp_path, flow) == [(code, f"flows.order_approval.{path}")]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"submit": {"state": "pending", "when": "'yes'"}}, "submit.when"),
        (
            {"on_approve": {"state": "approved", "set": {"approved_on": "amount"}}},
            "on_approve.set.approved_on",
        ),
    ],
)
def test_submit_and_effect_formulas_must_give_the_right_type(
    tmp_path: Path, change: dict[str, Any], path: str
) -> None:
    assert problems(tmp_path, flow_with(**change)) == [("FW503", f"flows.order_approval.{path}")]


@pytest.mark.parametrize(
    ("approver", "code"),
    [
        ({"field": "customer.account_manager"}, None),
        ({"field": "manager"}, None),
        ({"field": "customer"}, "FW804"),
        ({"field": "customer.name"}, "FW804"),
        ({"field": "manager.username"}, "FW804"),
        ({"field": "customer.nobody"}, "FW305"),
        ({"field": "nobody"}, "FW305"),
        ({"role": "nobody"}, "FW306"),
    ],
)
def test_approver_fields_must_lead_to_a_user(
    tmp_path: Path, approver: dict[str, str], code: str | None
) -> None:
    flow = flow_with(steps=[{"name": "review", "approvers": [approver]}])
    if code is None:
        load_app(write_flow_package(tmp_path, flow))
    else:
        assert problems(tmp_path, flow) == [
            (code, f"flows.order_approval.steps[0].approvers[0].{next(iter(approver))}")
        ]


def test_a_flow_on_an_unknown_entity_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, flow_with(entity="invoice")) == [
        ("FW304", "flows.order_approval.entity")
    ]


def test_a_text_field_may_keep_the_state(tmp_path: Path) -> None:
    assert load_app(write_flow_package(tmp_path, flow_with(state_field="note"))).flows


@pytest.mark.parametrize(("state_field", "code"), [("manager", "FW805"), ("nothing", "FW305")])
def test_the_state_field_must_be_a_select_or_text_field(
    tmp_path: Path, state_field: str, code: str
) -> None:
    assert problems(tmp_path, flow_with(state_field=state_field)) == [
        (code, "flows.order_approval.state_field")
    ]
