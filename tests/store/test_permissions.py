"""Permissions from the config, enforced in the record service and its queries: actions per
role, row scopes (own, team, a formula, all), hidden and read-only fields. A row out of scope
is simply not found; a field a user cannot see cannot be filtered, sorted or searched on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from formwork.metamodel import App, load_app
from formwork.store.actor import Actor
from formwork.store.database import Database
from formwork.store.errors import Forbidden, NotFound, QueryError, ValidationFailed
from formwork.store.permissions import ConfigPolicy
from formwork.store.query import Filter, Query
from formwork.store.records import RecordService
from formwork.store.system import USER_TABLE
from formwork.store.tables import build_tables
from tests.store.conftest import take_snapshot

APP = """
app: leads
title: 线索
locales: [zh, en]
roles:
  rep: {label: 销售}
  manager: {label: 经理}
  auditor: {label: 审计}
  finance: {label: 财务}
  reader: {label: 只读}
  viewer: {label: 访客}
"""
LEAD = """
entity: lead
label: 线索
title: title
owner: owner
fields:
  title: {type: text, label: 标题, searchable: true}
  amount: {type: money, label: 金额}
  margin: {type: percent, label: 毛利, searchable: false}
  secret_note: {type: text, label: 备注}
  owner: {type: link, to: user, label: 负责人}
list:
  columns: [title, amount, margin]
  search: [title, secret_note]
  sort: [-margin, title]
permissions:
  rep: {read: own, write: own, create: true, hidden: [margin, secret_note]}
  manager: {read: team, write: team, delete: team, create: true}
  auditor: {read: {when: "amount >= 1000"}, hidden: [margin]}
  finance: {read: all, write: all, readonly: [amount]}
  reader: {read: all, write: own}
"""


@pytest.fixture(scope="session")
def lead_app(tmp_path_factory: pytest.TempPathFactory) -> App:
    root: Path = tmp_path_factory.mktemp("leads")
    (root / "entities").mkdir()
    (root / "app.yaml").write_text(APP, encoding="utf-8")
    (root / "entities" / "lead.yaml").write_text(LEAD, encoding="utf-8")
    return load_app(root)


@pytest.fixture
def leads(any_db: Database, lead_app: App, tmp_path: Path) -> RecordService:
    tables = build_tables(lead_app)
    tables.metadata.create_all(any_db.engine)
    policy = ConfigPolicy(lead_app, tables, any_db.dialect)
    return RecordService(any_db, lead_app, tables, tmp_path / "files", policy=policy)


@pytest.fixture
def people(leads: RecordService) -> dict[str, Actor]:
    made = {}
    with leads.db.write() as conn:
        for name, roles, team in (
            ("wang", ("rep",), "east"),
            ("li", ("rep",), "east"),
            ("zhao", ("rep",), "west"),
            ("boss", ("manager",), "east"),
            ("audit", ("auditor",), None),
            ("cash", ("finance",), None),
            ("read", ("reader",), None),
            ("guest", ("viewer",), None),
        ):
            new_id = conn.execute(
                leads.tables.system(USER_TABLE).insert(),
                {
                    "username": name,
                    "display_name": name,
                    "roles": list(roles),
                    "active": True,
                    "team": team,
                    "created_at": dt.datetime.now(dt.UTC),
                },
            ).inserted_primary_key[0]
            made[name] = Actor(int(new_id), name, roles, team)
    return made


@pytest.fixture
def data(leads: RecordService, people: dict[str, Actor]) -> dict[str, Any]:
    """One lead per rep, created by the system."""
    return {
        name: leads.create(
            "lead",
            {
                "title": f"{name}'s lead",
                "amount": amount,
                "margin": 30,
                "secret_note": f"{name} note",
                "owner": people[name].id,
            },
        )
        for name, amount in (("wang", 500), ("li", 5000), ("zhao", 2000))
    }


def titles(page: Any) -> list[str]:
    return sorted(r["title"] for r in page.records)


def test_own_scope_and_hidden_fields(leads: RecordService, people: dict, data: dict) -> None:
    wang = people["wang"]
    page = leads.query("lead", Query(), user=wang)
    assert titles(page) == ["wang's lead"]
    assert "margin" not in page.records[0].values
    assert "secret_note" not in leads.get("lead", data["wang"].id, user=wang).values
    with pytest.raises(NotFound):
        leads.get("lead", data["li"].id, user=wang)
    with pytest.raises(NotFound):
        leads.update("lead", data["li"].id, {"title": "mine"}, 1, user=wang)
    with pytest.raises(NotFound):
        leads.history("lead", data["li"].id, user=wang)
    assert "margin" not in leads.history("lead", data["wang"].id, user=wang)[0].changes


@pytest.mark.parametrize(
    "query",
    [Query(filters=(Filter("margin", "gt", 10),)), Query(sort=("margin",))],
    ids=["filter", "sort"],
)
def test_a_hidden_field_cannot_be_filtered_or_sorted_on(
    leads: RecordService, people: dict, data: dict, query: Query
) -> None:
    with pytest.raises(QueryError):
        leads.query("lead", query, user=people["wang"])


def test_search_skips_hidden_fields(leads: RecordService, people: dict, data: dict) -> None:
    assert titles(leads.query("lead", Query(search="note"), user=people["wang"])) == []
    assert len(leads.query("lead", Query(search="note")).records) == 3


def test_a_hidden_or_readonly_field_cannot_be_written(
    leads: RecordService, people: dict, data: dict
) -> None:
    before = take_snapshot(leads)
    with pytest.raises(ValidationFailed) as caught:
        leads.create(
            "lead", {"title": "x", "margin": 50, "owner": people["wang"].id}, user=people["wang"]
        )
    assert caught.value.errors == {"margin": ["Unknown field."]}
    with pytest.raises(ValidationFailed) as caught:
        leads.update("lead", data["li"].id, {"amount": 1}, 1, user=people["cash"])
    assert caught.value.errors == {"amount": ["This field cannot be written."]}
    assert take_snapshot(leads) == before
    assert (
        leads.update("lead", data["li"].id, {"title": "paid"}, 1, user=people["cash"])["title"]
        == "paid"
    )


def test_team_scope(leads: RecordService, people: dict, data: dict) -> None:
    boss = people["boss"]
    assert titles(leads.query("lead", Query(), user=boss)) == ["li's lead", "wang's lead"]
    leads.delete("lead", data["li"].id, 1, user=boss)
    with pytest.raises(NotFound):
        leads.delete("lead", data["zhao"].id, 1, user=boss)


def test_a_formula_scope_and_no_write(leads: RecordService, people: dict, data: dict) -> None:
    audit = people["audit"]
    assert titles(leads.query("lead", Query(), user=audit)) == ["li's lead", "zhao's lead"]
    with pytest.raises(Forbidden):
        leads.update("lead", data["li"].id, {"title": "x"}, 1, user=audit)


def test_readable_but_not_writable_is_forbidden_not_hidden(
    leads: RecordService, people: dict, data: dict
) -> None:
    with pytest.raises(Forbidden):
        leads.update("lead", data["li"].id, {"title": "x"}, 1, user=people["read"])


def test_a_role_without_permissions_may_do_nothing(
    leads: RecordService, people: dict, data: dict
) -> None:
    for call in (
        lambda: leads.query("lead", Query(), user=people["guest"]),
        lambda: leads.get("lead", data["wang"].id, user=people["guest"]),
        lambda: leads.create("lead", {"title": "x"}, user=people["guest"]),
    ):
        with pytest.raises(Forbidden):
            call()


def test_the_system_itself_is_not_restricted(leads: RecordService, data: dict) -> None:
    assert len(leads.query("lead", Query()).records) == 3
    assert "margin" in leads.get("lead", data["li"].id).values
