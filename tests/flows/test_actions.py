"""The flow engine's actions: submit, approve, reject, return, withdraw, delegate, transfer,
add an approver — routing by conditions, approver rules, self-approval, and what each writes.
"""

from __future__ import annotations

from typing import Any

import pytest

from formwork.flows.errors import ActionRefused, FlowConflict, NotAllowed
from formwork.store.errors import ValidationFailed

from .conftest import ENTITIES, FLOW, FlowWorld, MakeWorld, flow_with


def task_of(world: FlowWorld, username: str) -> int:
    """The id of the user's one open task."""
    (task,) = world.flows.tasks_for(world.people[username])
    return task.id


def inbox(world: FlowWorld, username: str) -> list[str]:
    return [t.record_title or "" for t in world.flows.tasks_for(world.people[username])]


def actions(world: FlowWorld, record: Any, username: str) -> list[str]:
    return [
        a.action for a in world.flows.available_actions("order", record.id, world.people[username])
    ]


def timeline(world: FlowWorld, record: Any) -> list[tuple[str, str | None, str | None]]:
    """(action, who, step) of the record's flow history."""
    entries = world.flows.timeline("order", record.id, world.people["admin"])
    return [
        (e.action, e.user_name, e.step_label.get("en") if e.step_label else None) for e in entries
    ]


def one_step(**step: Any) -> dict[str, Any]:
    return flow_with(steps=[{"name": "review", "approvers": [{"role": "director"}], **step}])


# -- routing -------------------------------------------------------------------------------
def test_a_small_order_needs_the_director_only(world: FlowWorld) -> None:
    order = world.order("Small order", amount=4_999_999)
    outcome = world.flows.submit("order", order.id, world.people["sales"], "please")
    assert (outcome.status, outcome.step) == ("pending", "director")
    assert world.get(order)["status"] == "pending"
    assert inbox(world, "director") == ["Small order"]
    assert inbox(world, "finance") == []

    outcome = world.flows.approve(task_of(world, "director"), world.people["director"])

    assert outcome.status == "approved"
    approved = world.get(order)
    assert (approved["status"], approved["decided_by_flow"]) == ("approved", True)
    assert approved["approved_on"] == world.clock().date()
    assert timeline(world, order) == [
        ("submit", "Sales", None),
        ("approve", "Director", "director"),
        ("skip", "Director", "finance"),
        ("skip", "Director", "executive"),
        ("finish", "Director", None),
    ]


def test_a_large_order_goes_to_director_finance_and_executive_in_turn(world: FlowWorld) -> None:
    order = world.order("Large order", amount=5_000_000)
    world.flows.submit("order", order.id, world.people["sales"])
    for approver, later in (("director", "finance"), ("finance", "executive")):
        assert inbox(world, later) == []
        outcome = world.flows.approve(task_of(world, approver), world.people[approver])
        assert (outcome.status, outcome.step) == ("pending", later)
        assert world.get(order)["status"] == "pending"
    assert world.flows.approve(task_of(world, "executive"), world.people["executive"]).status == (
        "approved"
    )
    assert world.get(order)["status"] == "approved"
    (request,) = world.flows.requests_of(world.people["sales"])
    assert [(s.name, s.status) for s in request.steps] == [
        ("director", "done"),
        ("finance", "done"),
        ("executive", "done"),
    ]


def test_the_progress_of_a_pending_request_shows_who_is_awaited(world: FlowWorld) -> None:
    order = world.order(amount=6_000_000)
    world.flows.submit("order", order.id, world.people["sales"])
    world.flows.approve(task_of(world, "director"), world.people["director"])
    (request,) = world.flows.requests_of(world.people["sales"])
    assert [(s.name, s.status, s.waiting_on) for s in request.steps] == [
        ("director", "done", ()),
        ("finance", "current", ("Finance",)),
        ("executive", "upcoming", ()),
    ]


def test_when_no_step_applies_the_request_is_approved_at_once(make_world: MakeWorld) -> None:
    world = make_world(one_step(when="amount > 100"))
    order = world.order(amount=50)
    assert world.flows.submit("order", order.id, world.people["sales"]).status == "approved"
    assert world.get(order)["status"] == "approved"


# -- reject, return, withdraw ----------------------------------------------------------------
@pytest.mark.parametrize("decision", ["reject", "return"])
@pytest.mark.parametrize("comment", [None, "", "   "])
def test_rejecting_or_returning_needs_a_comment(
    world: FlowWorld, decision: str, comment: str | None
) -> None:
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    task = task_of(world, "director")
    with pytest.raises(ActionRefused) as refused:
        world.flows.act(decision, world.people["director"], task=task, comment=comment)
    assert list(refused.value.errors) == ["comment"]
    assert inbox(world, "director") == ["Big order"]
    assert world.get(order)["status"] == "pending"


def test_a_rejection_ends_the_request_with_its_comment_and_can_be_resubmitted(
    world: FlowWorld,
) -> None:
    order = world.order(amount=6_000_000)
    world.flows.submit("order", order.id, world.people["sales"])
    world.flows.approve(task_of(world, "director"), world.people["director"])
    outcome = world.flows.reject(task_of(world, "finance"), world.people["finance"], "Too risky")

    assert outcome.status == "rejected"
    assert world.get(order)["status"] == "rejected"
    entries = world.flows.timeline("order", order.id, world.people["sales"])
    reject = next(e for e in entries if e.action == "reject")
    assert (reject.user_name, reject.comment) == ("Finance", "Too risky")
    assert entries[-1].outcome == "rejected"
    (request,) = world.flows.requests_of(world.people["sales"])
    assert [s.status for s in request.steps] == ["done", "rejected", "not_reached"]
    # rejected is one of the states the flow submits from
    assert world.flows.submit("order", order.id, world.people["sales"]).status == "pending"


def test_returning_for_changes_reopens_the_record_to_draft(world: FlowWorld) -> None:
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    outcome = world.flows.return_for_changes(
        task_of(world, "director"), world.people["director"], "Add the delivery date"
    )
    assert outcome.status == "returned"
    assert world.get(order)["status"] == "draft"  # on_return defaults to the initial state
    world.records.update("order", order.id, {"amount": 2000}, world.get(order).version)
    assert actions(world, order, "sales") == ["submit"]


def test_the_submitter_may_withdraw_and_approvers_are_told(world: FlowWorld) -> None:
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    task = task_of(world, "director")
    with pytest.raises(NotAllowed):
        world.flows.withdraw("order", order.id, world.people["director"])

    outcome = world.flows.withdraw("order", order.id, world.people["sales"], "Wrong customer")

    assert outcome.status == "withdrawn"
    assert world.get(order)["status"] == "draft"
    assert inbox(world, "director") == []
    kinds = [n.kind for n in world.flows.notifications(world.people["director"])]
    assert kinds == ["withdrawn", "task"]
    with pytest.raises(FlowConflict, match="withdrawn"):
        world.flows.approve(task, world.people["director"])
    with pytest.raises(ActionRefused, match="not awaiting approval"):
        world.flows.withdraw("order", order.id, world.people["sales"])


# -- who may submit -------------------------------------------------------------------------
def test_only_the_submitting_roles_may_submit(world: FlowWorld) -> None:
    order = world.order()
    with pytest.raises(NotAllowed):
        world.flows.submit("order", order.id, world.people["director"])
    assert actions(world, order, "director") == []
    assert actions(world, order, "sales") == ["submit"]
    assert world.get(order)["status"] is None


def test_a_pending_record_cannot_be_submitted_again(world: FlowWorld) -> None:
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    with pytest.raises(FlowConflict, match="already awaiting approval"):
        world.flows.submit("order", order.id, world.people["sales"])


def test_an_approved_record_cannot_be_submitted(world: FlowWorld) -> None:
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    world.flows.approve(task_of(world, "director"), world.people["director"])
    with pytest.raises(ActionRefused, match="state Approved"):
        world.flows.submit("order", order.id, world.people["sales"])
    assert actions(world, order, "sales") == []


def test_the_submit_condition_is_checked(make_world: MakeWorld) -> None:
    world = make_world(flow_with(submit={"state": "pending", "when": "amount > 0"}))
    empty = world.order(amount=0)
    with pytest.raises(ActionRefused, match="condition"):
        world.flows.submit("order", empty.id, world.people["sales"])
    assert actions(world, empty, "sales") == []
    assert world.flows.submit("order", world.order(amount=1).id, world.people["sales"])


def test_a_record_of_an_entity_without_a_flow_cannot_be_submitted(world: FlowWorld) -> None:
    customer = world.records.create("customer", {"name": "Acme"})
    with pytest.raises(ActionRefused, match="no approval flow"):
        world.flows.submit("customer", customer.id, world.people["sales"])
    assert world.flows.status("customer", customer.id, world.people["sales"]) is None


# -- modes ----------------------------------------------------------------------------------
def three_directors(make_world: MakeWorld, mode: Any) -> tuple[FlowWorld, Any, list[int]]:
    world = make_world(one_step(mode=mode))
    for name in ("dora", "dirk"):
        world.person(name, "director")
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    tasks = [task_of(world, name) for name in ("director", "dora", "dirk")]
    return world, order, tasks


def decide(world: FlowWorld, task: int, username: str, decision: str) -> str:
    return world.flows.act(decision, world.people[username], task=task, comment="because").status


def test_any_mode_the_first_approval_decides_and_the_others_are_told(
    make_world: MakeWorld,
) -> None:
    world, _order, tasks = three_directors(make_world, "any")
    assert decide(world, tasks[1], "dora", "approve") == "approved"
    assert inbox(world, "director") == inbox(world, "dirk") == []
    with pytest.raises(FlowConflict, match="already approved by Dora"):
        world.flows.approve(tasks[0], world.people["director"])


def test_any_mode_the_first_rejection_decides(make_world: MakeWorld) -> None:
    world, order, tasks = three_directors(make_world, "any")
    assert decide(world, tasks[2], "dirk", "reject") == "rejected"
    assert world.get(order)["status"] == "rejected"


def test_all_mode_needs_every_approval(make_world: MakeWorld) -> None:
    world, order, tasks = three_directors(make_world, "all")
    assert decide(world, tasks[0], "director", "approve") == "pending"
    assert decide(world, tasks[1], "dora", "approve") == "pending"
    assert world.get(order)["status"] == "pending"
    assert decide(world, tasks[2], "dirk", "approve") == "approved"


def test_all_mode_one_rejection_rejects(make_world: MakeWorld) -> None:
    world, _order, tasks = three_directors(make_world, "all")
    assert decide(world, tasks[0], "director", "approve") == "pending"
    assert decide(world, tasks[1], "dora", "reject") == "rejected"
    assert inbox(world, "dirk") == []


def test_n_of_m_approves_at_n(make_world: MakeWorld) -> None:
    world, _order, tasks = three_directors(make_world, 2)
    assert decide(world, tasks[0], "director", "reject") == "pending"
    assert decide(world, tasks[1], "dora", "approve") == "pending"
    assert decide(world, tasks[2], "dirk", "approve") == "approved"


def test_n_of_m_rejects_once_n_cannot_be_reached(make_world: MakeWorld) -> None:
    world, _order, tasks = three_directors(make_world, 2)
    assert decide(world, tasks[0], "director", "reject") == "pending"
    assert decide(world, tasks[1], "dora", "reject") == "rejected"


def test_a_step_needing_more_approvals_than_people_refuses_to_start(
    make_world: MakeWorld,
) -> None:
    world = make_world(one_step(mode=3))
    order = world.order()
    with pytest.raises(ActionRefused, match="needs 3 approvals but only 1"):
        world.flows.submit("order", order.id, world.people["sales"])
    assert world.get(order)["status"] is None
    assert world.flows.requests_of(world.people["sales"]) == []


# -- approvers ------------------------------------------------------------------------------
def test_approvers_by_a_user_field_and_through_a_link(make_world: MakeWorld) -> None:
    flow = flow_with(
        steps=[
            {"name": "manager", "approvers": [{"field": "manager"}]},
            {"name": "account", "approvers": [{"field": "customer.account_manager"}]},
        ]
    )
    world = make_world(flow)
    mia, kim = world.person("mia"), world.person("kim")
    customer = world.records.create("customer", {"name": "Acme", "account_manager": kim.id})
    order = world.order(manager=mia.id, customer=customer.id)
    world.flows.submit("order", order.id, world.people["sales"])
    assert world.flows.approve(task_of(world, "mia"), mia).step == "account"
    assert world.flows.approve(task_of(world, "kim"), kim).status == "approved"


def test_approvers_by_a_formula_giving_a_username(make_world: MakeWorld) -> None:
    world = make_world(
        one_step(approvers=[{"formula": "'executive' if amount >= 1000000 else 'finance'"}])
    )
    small, large = world.order("Small", amount=10), world.order("Large", amount=2_000_000)
    for order in (small, large):
        world.flows.submit("order", order.id, world.people["sales"])
    assert inbox(world, "finance") == ["Small"]
    assert inbox(world, "executive") == ["Large"]


def test_a_step_whose_approvers_find_nobody_is_refused_with_its_name(
    make_world: MakeWorld,
) -> None:
    world = make_world(one_step(approvers=[{"field": "manager"}], label="Manager review"))
    order = world.order()  # no manager
    with pytest.raises(ActionRefused, match="No one can approve the step Manager review"):
        world.flows.submit("order", order.id, world.people["sales"])
    assert world.get(order)["status"] is None


def test_inactive_users_get_no_task(make_world: MakeWorld) -> None:
    world = make_world(one_step(mode="all"))
    world.person("gone", "director")
    with world.db.write() as conn:
        users = world.records.tables.system("fw_user")
        conn.execute(users.update().where(users.c.username == "gone").values(active=False))
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    assert decide(world, task_of(world, "director"), "director", "approve") == "approved"


# -- self-approval ----------------------------------------------------------------------------
def test_the_submitter_gets_no_task_without_self_approval(make_world: MakeWorld) -> None:
    world = make_world()
    boss = world.person("boss", "sales", "director")
    order = world.order()
    world.flows.submit("order", order.id, boss)
    assert world.flows.tasks_for(boss) == []
    assert inbox(world, "director") == ["Big order"]


def test_a_step_only_the_submitter_could_approve_is_refused(make_world: MakeWorld) -> None:
    world = make_world(one_step(approvers=[{"field": "manager"}]))
    boss = world.person("boss", "sales")
    order = world.order(manager=boss.id)
    with pytest.raises(ActionRefused, match="No one can approve"):
        world.flows.submit("order", order.id, boss)


def test_with_self_approval_the_submitter_may_approve(make_world: MakeWorld) -> None:
    world = make_world(flow_with(self_approval=True))
    boss = world.person("boss", "sales", "director")
    order = world.order(amount=10)
    world.flows.submit("order", order.id, boss)
    assert world.flows.approve(task_of(world, "boss"), boss).status == "approved"


def test_a_submitter_handed_a_task_still_cannot_approve_it(make_world: MakeWorld) -> None:
    world = make_world()
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    director = world.people["director"]
    with pytest.raises(ActionRefused) as refused:
        world.flows.transfer(task_of(world, "director"), director, world.people["sales"].id)
    assert list(refused.value.errors) == ["to"]


# -- delegate, transfer, add an approver ------------------------------------------------------
def test_a_delegate_decides_on_the_approvers_behalf(world: FlowWorld) -> None:
    deputy = world.person("deputy")
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    task = task_of(world, "director")
    world.flows.delegate(task, world.people["director"], deputy.id, "I am away")

    (item,) = world.flows.tasks_for(deputy)
    assert (item.id, item.on_behalf_of_name) == (task, "Director")
    with pytest.raises(NotAllowed, match="not yours"):
        world.flows.approve(task, world.people["director"])
    assert world.flows.approve(task, deputy).status == "approved"
    entries = world.flows.timeline("order", order.id, world.people["sales"])
    delegated = next(e for e in entries if e.action == "delegate")
    assert (delegated.user_name, delegated.to_names, delegated.comment) == (
        "Director",
        ("Deputy",),
        "I am away",
    )
    approved = next(e for e in entries if e.action == "approve")
    assert (approved.user_name, approved.on_behalf_of_name) == ("Deputy", "Director")


def test_a_transferred_task_becomes_the_new_holders_own(world: FlowWorld) -> None:
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    task = task_of(world, "director")
    world.flows.transfer(task, world.people["director"], world.people["finance"].id)
    (item,) = world.flows.tasks_for(world.people["finance"])
    assert (item.id, item.on_behalf_of_name) == (task, None)
    assert [n.kind for n in world.flows.notifications(world.people["finance"])] == ["task"]
    assert inbox(world, "director") == []


@pytest.mark.parametrize(
    ("to", "text"),
    [
        ("director", "someone else"),
        ("sales", "submitter"),
        (9999, "No such active user"),
        ("nonsense", "No such active user"),
        (None, "No such active user"),
    ],
)
@pytest.mark.parametrize("action", ["delegate", "transfer", "add_approver"])
def test_handing_a_task_on_is_refused_to_unsuitable_people(
    world: FlowWorld, action: str, to: Any, text: str
) -> None:
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    task = task_of(world, "director")
    target = world.people[to].id if to in world.people else to
    with pytest.raises(ActionRefused, match=text) as refused:
        world.flows.act(action, world.people["director"], task=task, to=target)
    assert list(refused.value.errors) == ["to"]
    assert task_of(world, "director") == task


def test_adding_an_approver_in_all_mode_needs_their_approval_too(make_world: MakeWorld) -> None:
    world = make_world(one_step(mode="all"))
    expert = world.person("expert")
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    task = task_of(world, "director")
    world.flows.add_approver(task, world.people["director"], expert.id, "Please check the terms")
    with pytest.raises(ActionRefused, match="already has a task"):
        world.flows.add_approver(task, world.people["director"], expert.id)
    assert world.flows.approve(task, world.people["director"]).status == "pending"
    assert world.flows.approve(task_of(world, "expert"), expert).status == "approved"


def test_someone_elses_task_cannot_be_decided(world: FlowWorld) -> None:
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    with pytest.raises(NotAllowed, match="not yours"):
        world.flows.approve(task_of(world, "director"), world.people["finance"])


def test_an_unknown_task_or_action_is_refused(world: FlowWorld) -> None:
    from formwork.store.errors import NotFound

    with pytest.raises(NotFound):
        world.flows.approve(12345, world.people["director"])
    with pytest.raises(NotFound):
        world.flows.approve("abc", world.people["director"])
    with pytest.raises(ActionRefused, match="Unknown action"):
        world.flows.act("sign", world.people["director"], task=1)


# -- the record service does the writing ------------------------------------------------------
def test_effects_pass_the_records_validations_or_nothing_changes(make_world: MakeWorld) -> None:
    entities = {
        **ENTITIES,
        "order": {
            **ENTITIES["order"],
            "validations": [
                {
                    "rule": "coalesce(status, '') != 'approved' or not is_empty(manager)",
                    "message": "An approved order needs a manager.",
                }
            ],
        },
    }
    world = make_world(FLOW, entities)
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    task = task_of(world, "director")
    with pytest.raises(ValidationFailed, match="needs a manager"):
        world.flows.approve(task, world.people["director"])
    assert world.get(order)["status"] == "pending"
    assert task_of(world, "director") == task
    assert [e.action for e in world.flows.timeline("order", order.id, world.people["sales"])] == [
        "submit"
    ]


def test_the_audit_names_who_moved_the_record(world: FlowWorld) -> None:
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    world.flows.approve(task_of(world, "director"), world.people["director"])
    approved, submitted, _created = world.records.history("order", order.id)
    assert (submitted.user_id, submitted.changes["status"]) == (
        world.people["sales"].id,
        [None, "pending"],
    )
    assert (approved.user_id, approved.changes["status"]) == (
        world.people["director"].id,
        ["pending", "approved"],
    )


# -- what each user may do ----------------------------------------------------------------------
def test_each_user_sees_only_the_actions_they_may_take(world: FlowWorld) -> None:
    order = world.order()
    assert actions(world, order, "sales") == ["submit"]
    world.flows.submit("order", order.id, world.people["sales"])
    assert actions(world, order, "sales") == ["withdraw"]
    assert actions(world, order, "director") == [
        "approve",
        "reject",
        "return",
        "delegate",
        "transfer",
        "add_approver",
    ]
    assert actions(world, order, "finance") == []
    status = world.flows.status("order", order.id, world.people["director"])
    assert status is not None
    assert (status.state, status.state_label.get("en")) == ("pending", "Pending")
    assert status.request is not None and status.request.current is not None
    assert status.request.current.name == "director"


def test_a_self_approving_submitter_is_offered_no_approve_button(make_world: MakeWorld) -> None:
    world = make_world(one_step(approvers=[{"role": "sales"}], mode="all"))
    world.person("sam", "sales")
    order = world.order()
    world.flows.submit("order", order.id, world.people["sales"])
    assert actions(world, order, "sales") == ["withdraw"]
    assert "approve" in actions(world, order, "sam")
