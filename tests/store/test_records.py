"""The record service: good writes, and bad inputs that must leave the database unchanged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from formwork.store import records as records_module
from formwork.store.actor import Actor
from formwork.store.errors import Conflict, NotFound, UnknownEntity, ValidationFailed
from formwork.store.records import RecordService

from .conftest import add_user, take_snapshot

GOOD = {"name": "中建三局", "customer_type": "开发商"}


@pytest.fixture
def customer(records: RecordService, user_id: int) -> Any:
    return records.create(
        "customer",
        {**GOOD, "annual_amount": "1200.5", "region": "华东", "account_manager": user_id},
        user=user_id,
    )


# -- good writes ---------------------------------------------------------------------------
def test_create_converts_applies_defaults_and_numbers(records: RecordService, user_id: int) -> None:
    record = records.create(
        "customer",
        {**GOOD, "annual_amount": "1,200.50", "tags": ["高潜力客户"], "complexity": "4"},
        user=Actor(user_id, "alice"),
    )
    assert record.id == 1 and record.version == 1
    assert record["annual_amount"] == Decimal("1200.50")
    assert record["complexity"] == 4
    assert record["cooperation_years"] == 0  # default
    assert record["major_dispute"] is False  # default
    assert record["code"] == f"KH-{dt.datetime.now(dt.UTC):%Y}-00001"
    assert record.title == "中建三局"
    assert record.created_by == record.updated_by == user_id
    assert records.get("customer", record.id) == record


def test_create_writes_an_audit_row_with_every_value(records: RecordService, user_id: int) -> None:
    record = records.create("customer", {**GOOD, "annual_amount": 5}, user=user_id)
    [entry] = records.history("customer", record.id)
    assert entry.action == "create" and entry.user_id == user_id
    assert entry.changes["annual_amount"] == [None, "5.00"]
    assert entry.changes["name"] == [None, "中建三局"]
    assert "industry" not in entry.changes  # empty values are not listed


def test_update_changes_only_given_fields_and_logs_old_and_new(
    records: RecordService, customer: Any, user_id: int
) -> None:
    updated = records.update(
        "customer", customer.id, {"region": "华南", "name": "中建三局"}, customer.version, user_id
    )
    assert updated.version == customer.version + 1
    assert updated["region"] == "华南"
    assert updated["annual_amount"] == customer["annual_amount"]
    latest = records.history("customer", customer.id)[0]
    assert latest.action == "update"
    assert latest.changes == {"region": ["华东", "华南"]}


def test_update_without_changes_keeps_the_version(records: RecordService, customer: Any) -> None:
    same = records.update("customer", customer.id, {"region": "华东"}, customer.version)
    assert same.version == customer.version
    assert len(records.history("customer", customer.id)) == 1


def test_update_may_clear_an_optional_field(records: RecordService, customer: Any) -> None:
    updated = records.update("customer", customer.id, {"region": ""}, customer.version)
    assert updated["region"] is None


def test_delete_removes_the_record_and_logs_it(records: RecordService, customer: Any) -> None:
    records.delete("customer", customer.id, customer.version)
    with pytest.raises(NotFound):
        records.get("customer", customer.id)
    entry = records.history("customer", customer.id)[0]
    assert entry.action == "delete"
    assert entry.changes["name"] == ["中建三局", None]


def test_delete_cascades_through_the_service_with_audit(
    records: RecordService, customer: Any
) -> None:
    contact = records.create("contact", {"name": "张三", "customer": customer.id, "level": "技术"})
    records.delete("customer", customer.id, customer.version)
    with pytest.raises(NotFound):
        records.get("contact", contact.id)
    assert records.history("contact", contact.id)[0].action == "delete"


def test_delete_with_restrict_reference_is_refused(projects: RecordService) -> None:
    project = projects.create("project", {"name": "A"})
    projects.create("task", {"name": "t", "sponsor": project.id})
    before = take_snapshot(projects)
    with pytest.raises(ValidationFailed) as caught:
        projects.delete("project", project.id, project.version)
    assert "_record" in caught.value.errors
    assert "sponsor" in caught.value.errors["_record"][0]
    assert take_snapshot(projects) == before


def test_delete_sets_null_and_cascades(projects: RecordService) -> None:
    project = projects.create("project", {"name": "A"})
    task = projects.create("task", {"name": "t", "project": project.id})
    review = projects.create("task", {"name": "r", "reviewer": project.id})
    projects.delete("project", project.id, project.version)
    with pytest.raises(NotFound):
        projects.get("task", task.id)
    after = projects.get("task", review.id)
    assert after["reviewer"] is None and after.version == 2
    assert projects.history("task", review.id)[0].changes == {"reviewer": [project.id, None]}


# -- bad inputs: each leaves the database exactly as it was ---------------------------------
BAD_CREATE = [
    pytest.param({**GOOD, "annual_amount": "abc"}, "annual_amount", id="money-not-a-number"),
    pytest.param({**GOOD, "annual_amount": "1.234"}, "annual_amount", id="money-too-precise"),
    pytest.param({**GOOD, "annual_amount": -1}, "annual_amount", id="money-below-min"),
    pytest.param({**GOOD, "cooperation_years": 12.5}, "cooperation_years", id="integer-fraction"),
    pytest.param({**GOOD, "cooperation_years": True}, "cooperation_years", id="integer-bool"),
    pytest.param({**GOOD, "cooperation_years": 101}, "cooperation_years", id="integer-above-max"),
    pytest.param({**GOOD, "complexity": 6}, "complexity", id="rating-out-of-range"),
    pytest.param({**GOOD, "first_signed_on": "31.12.2025"}, "first_signed_on", id="date-format"),
    pytest.param({**GOOD, "major_dispute": "maybe"}, "major_dispute", id="boolean"),
    pytest.param({**GOOD, "customer_type": "银行"}, "customer_type", id="select-no-option"),
    pytest.param({**GOOD, "tags": ["VIP"]}, "tags", id="multiselect-no-option"),
    pytest.param({**GOOD, "website": "ftp://x.cn"}, "website", id="url-scheme"),
    pytest.param({**GOOD, "phone": "call me"}, "phone", id="phone"),
    pytest.param({**GOOD, "name": "x" * 201}, "name", id="text-too-long"),
    pytest.param({**GOOD, "name": ["a"]}, "name", id="text-not-text"),
    pytest.param({**GOOD, "salary": 1}, "salary", id="unknown-field"),
    pytest.param({**GOOD, "id": 7}, "id", id="system-id"),
    pytest.param({**GOOD, "version": 3}, "version", id="system-version"),
    pytest.param({**GOOD, "created_at": "2020-01-01"}, "created_at", id="system-created-at"),
    pytest.param({**GOOD, "updated_by": 1}, "updated_by", id="system-updated-by"),
    pytest.param({**GOOD, "code": "KH-1"}, "code", id="autonumber-not-writable"),
    pytest.param({**GOOD, "account_manager": 999}, "account_manager", id="link-to-no-user"),
    pytest.param({**GOOD, "account_manager": 0}, "account_manager", id="link-not-an-id"),
    pytest.param({**GOOD, "name": "已存在"}, "name", id="unique-taken"),
    pytest.param({"customer_type": "开发商"}, "name", id="required-missing"),
    pytest.param({**GOOD, "name": "   "}, "name", id="required-blank"),
    pytest.param({**GOOD, "qualification_files": [{"id": "x"}]}, "qualification_files", id="file"),
]


@pytest.mark.parametrize(("data", "key"), BAD_CREATE)
def test_bad_create_is_refused_and_changes_nothing(
    records: RecordService, customer: Any, data: dict[str, Any], key: str
) -> None:
    records.update("customer", customer.id, {"name": "已存在"}, customer.version)
    before = take_snapshot(records)
    with pytest.raises(ValidationFailed) as caught:
        records.create("customer", data)
    assert key in caught.value.errors, caught.value.errors
    assert take_snapshot(records) == before


BAD_UPDATE = [
    pytest.param({"annual_amount": "lots"}, "annual_amount", id="wrong-type"),
    pytest.param({"cooperation_years": -1}, "cooperation_years", id="out-of-range"),
    pytest.param({"name": ""}, "name", id="required-cleared"),
    pytest.param({"customer_type": None}, "customer_type", id="required-null"),
    pytest.param({"name": "另一家"}, "name", id="unique-taken"),
    pytest.param({"nickname": "x"}, "nickname", id="unknown-field"),
    pytest.param({"version": 9}, "version", id="system-version"),
    pytest.param({"code": "KH-0"}, "code", id="autonumber"),
    pytest.param({"tech_support": 12345}, "tech_support", id="broken-link"),
]


@pytest.mark.parametrize(("data", "key"), BAD_UPDATE)
def test_bad_update_is_refused_and_changes_nothing(
    records: RecordService, customer: Any, data: dict[str, Any], key: str
) -> None:
    records.create("customer", {**GOOD, "name": "另一家"})
    before = take_snapshot(records)
    with pytest.raises(ValidationFailed) as caught:
        records.update("customer", customer.id, data, customer.version)
    assert key in caught.value.errors, caught.value.errors
    assert take_snapshot(records) == before


def test_all_problems_are_reported_at_once(records: RecordService) -> None:
    with pytest.raises(ValidationFailed) as caught:
        records.create("customer", {"annual_amount": "x", "foo": 1, "code": "1"})
    assert set(caught.value.errors) == {"annual_amount", "foo", "code", "name", "customer_type"}


@pytest.mark.parametrize("data", [[], "name=x", None, 5])
def test_input_that_is_not_an_object_is_refused(records: RecordService, data: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        records.create("customer", data)
    assert "_record" in caught.value.errors


def test_broken_link_to_another_entity(records: RecordService) -> None:
    before = take_snapshot(records)
    with pytest.raises(ValidationFailed) as caught:
        records.create("contact", {"name": "张三", "customer": 404, "level": "技术"})
    assert caught.value.errors == {"customer": ["No such record."]}
    assert take_snapshot(records) == before


def test_stale_version_is_a_conflict_and_overwrites_nothing(
    records: RecordService, customer: Any
) -> None:
    records.update("customer", customer.id, {"region": "华南"}, customer.version)
    before = take_snapshot(records)
    with pytest.raises(Conflict) as caught:
        records.update("customer", customer.id, {"region": "西北"}, customer.version)
    assert caught.value.expected_version == 1 and caught.value.actual_version == 2
    assert caught.value.current["region"] == "华南"
    with pytest.raises(Conflict):
        records.delete("customer", customer.id, customer.version)
    assert take_snapshot(records) == before


def test_missing_records_are_not_found(records: RecordService) -> None:
    before = take_snapshot(records)
    with pytest.raises(NotFound):
        records.get("customer", 42)
    with pytest.raises(NotFound):
        records.update("customer", 42, {"region": "华南"}, 1)
    with pytest.raises(NotFound):
        records.delete("customer", 42, 1)
    with pytest.raises(UnknownEntity):
        records.create("supplier", {})
    assert take_snapshot(records) == before


def test_unique_violation_caught_by_the_database_names_the_field(
    records: RecordService, customer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records_module, "check_unique", lambda *args: None)
    before = take_snapshot(records)
    with pytest.raises(ValidationFailed) as caught:
        records.create("customer", GOOD)
    assert caught.value.errors == {"name": ["Already used by another record."]}
    assert take_snapshot(records) == before


def test_a_failure_late_in_the_write_rolls_everything_back(
    records: RecordService, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = take_snapshot(records)

    def broken_audit(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(records_module, "record_audit", broken_audit)
    with pytest.raises(RuntimeError):
        records.create("customer", GOOD)
    assert take_snapshot(records) == before  # no row, no number taken


def test_audit_names_the_acting_user(records: RecordService, customer: Any) -> None:
    bob = add_user(records.db, records.tables, "bob")
    records.update("customer", customer.id, {"notes": "call"}, customer.version, Actor(bob))
    assert records.history("customer", customer.id)[0].user_id == bob
    assert records.get("customer", customer.id).updated_by == bob


# -- child tables -------------------------------------------------------------------------
def test_child_rows_are_created_and_read_in_order(projects: RecordService) -> None:
    project = projects.create(
        "project",
        {"name": "A", "milestones": [{"title": "设计", "amount": "10"}, {"title": "施工"}]},
    )
    rows = project["milestones"]
    assert [r["title"] for r in rows] == ["设计", "施工"]
    assert rows[0]["amount"] == Decimal("10.00")
    assert rows[1]["done"] is False  # the child's default


def test_child_rows_are_replaced_on_update(projects: RecordService) -> None:
    project = projects.create(
        "project", {"name": "A", "milestones": [{"title": "a"}, {"title": "b"}, {"title": "c"}]}
    )
    a, _b, c = project["milestones"]
    updated = projects.update(
        "project",
        project.id,
        {"milestones": [{"id": c["id"], "done": True}, {"title": "d"}, {"id": a["id"]}]},
        project.version,
    )
    rows = updated["milestones"]
    assert [(r["title"], r["done"]) for r in rows] == [("c", True), ("d", False), ("a", False)]
    assert rows[0]["id"] == c["id"] and rows[2]["id"] == a["id"]
    old, new = projects.history("project", project.id)[0].changes["milestones"]
    assert [r["title"] for r in old] == ["a", "b", "c"]
    assert [r["title"] for r in new] == ["c", "d", "a"]


BAD_ROWS = [
    pytest.param(
        [{"title": "a"}, {"due_date": "2026-01-01"}], "milestones[1].title", id="required"
    ),
    pytest.param([{"title": "a", "due_date": "soon"}], "milestones[0].due_date", id="wrong-type"),
    pytest.param([{"title": "a", "budget": 1}], "milestones[0].budget", id="unknown-field"),
    pytest.param([{"title": "a", "parent_id": 2}], "milestones[0].parent_id", id="parent-id"),
    pytest.param([{"id": 999, "title": "a"}], "milestones[0].id", id="row-of-another-parent"),
    pytest.param([{"title": str(i)} for i in range(6)], "milestones", id="too-many-rows"),
    pytest.param(["a"], "milestones", id="not-an-object"),
    pytest.param("a", "milestones", id="not-a-list"),
]


@pytest.mark.parametrize(("rows", "key"), BAD_ROWS)
def test_bad_child_rows_are_refused_and_change_nothing(
    projects: RecordService, rows: Any, key: str
) -> None:
    project = projects.create("project", {"name": "A", "milestones": [{"title": "x"}]})
    before = take_snapshot(projects)
    with pytest.raises(ValidationFailed) as caught:
        projects.update("project", project.id, {"milestones": rows}, project.version)
    assert key in caught.value.errors, caught.value.errors
    assert take_snapshot(projects) == before


def test_child_rows_cannot_be_written_directly(projects: RecordService) -> None:
    with pytest.raises(ValidationFailed):
        projects.create("milestone", {"title": "x"})


def test_ids_and_versions_from_forms_and_urls_are_converted(
    records: RecordService, customer: Any
) -> None:
    assert records.get("customer", str(customer.id)) == customer
    updated = records.update("customer", str(customer.id), {"region": "华南"}, "1")
    assert updated.version == 2
    with pytest.raises(NotFound):
        records.get("customer", "abc")
    with pytest.raises(ValidationFailed) as caught:
        records.update("customer", customer.id, {"region": "华北"}, "two")
    assert "version" in caught.value.errors


def test_the_access_policy_is_asked_before_anything_happens(
    records: RecordService, customer: Any
) -> None:
    asked: list[tuple[Any, str, str]] = []

    class Deny:
        def check(self, user: Any, action: str, entity: Any) -> None:
            asked.append((user, action, entity.name))
            raise PermissionError(action)

    records.policy = Deny()
    before = take_snapshot(records)
    bob = Actor(7, "bob", ("sales",))
    calls = [
        lambda: records.create("customer", GOOD, user=bob),
        lambda: records.update("customer", customer.id, {"region": "华南"}, 1, user=bob),
        lambda: records.delete("customer", customer.id, 1, user=bob),
        lambda: records.get("customer", customer.id, user=bob),
    ]
    for call in calls:
        with pytest.raises(PermissionError):
            call()
    assert [a[1] for a in asked] == ["create", "update", "delete", "read"]
    assert take_snapshot(records) == before


def test_a_dry_run_create_computes_everything_and_keeps_nothing(records: RecordService) -> None:
    preview = records.create("customer", {"name": "甲", "customer_type": "开发商"}, dry_run=True)
    assert preview.values["name"] == "甲" and preview.values["code"]
    assert records.query("customer").records == ()
    real = records.create("customer", {"name": "甲", "customer_type": "开发商"})
    assert real.values["code"] == preview.values["code"]  # the number was not used up


def test_a_dry_run_update_changes_nothing(records: RecordService) -> None:
    record = records.create("customer", {"name": "甲", "customer_type": "开发商"})
    preview = records.update("customer", record.id, {"name": "乙"}, record.version, dry_run=True)
    assert preview.values["name"] == "乙"
    assert records.get("customer", record.id).values["name"] == "甲"
    assert records.history("customer", record.id)[0].action == "create"


def test_a_dry_run_still_refuses_bad_input(records: RecordService) -> None:
    with pytest.raises(ValidationFailed):
        records.create("customer", {"name": "", "customer_type": "开发商"}, dry_run=True)
