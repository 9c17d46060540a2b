"""Every generated route × every role: the answer follows the permissions, never a 500, and a
record out of the user's scope is "not found" on every route (no existence leak).

The routes are read from the app's URL map, so a page added later is swept too.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from formwork.metamodel.model import Entity
from formwork.runtime import Runtime
from formwork.store.actor import Actor
from formwork.store.errors import NotFound

ROLES = [
    "admin",
    "account_manager",
    "tech_support",
    "commercial",
    "sales_director",
    "finance",
    "executive",
    None,
]


def record_rules(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("records.")]


def url(rule: Rule, entity: str, record_id: int | None = None) -> str:
    values: dict[str, Any] = {}
    known = {"entity": entity, "target": entity, "id": record_id, "field": "qualification_files"}
    for name in rule.arguments:
        values[name] = known.get(name, "nope")  # any other part: something that does not exist
    return rule.build(values)[1]


def well_formed(entity: Entity, version: int) -> dict[str, str]:
    """A body every record route accepts as well-formed (each takes what it needs)."""
    select = next(f for f in entity.fields.values() if f.type == "select")
    return {
        "version": str(version),
        "field": select.name,
        "value": select.options[0].value,
        "grade": "A",
        "reason": "sweep",
        "name": "sweep",
    }


def methods(rule: Rule) -> list[str]:
    return sorted(m for m in rule.methods or () if m in {"GET", "POST"})


def allows(runtime: Runtime, user: Any, action: str, entity: str) -> bool:
    actor = Actor(user.id, user.username, user.roles, user.team)
    return runtime.records.policy.grant(actor, runtime.model.entity(entity)).allows(action)


@pytest.mark.parametrize("role", ROLES)
def test_pages_without_a_record_follow_the_roles_permissions(
    app: Flask, runtime: Runtime, as_role, role: str | None
) -> None:
    client = as_role(role)
    for entity in runtime.model.navigation:
        may_read = allows(runtime, client.user, "read", entity)
        may_create = allows(runtime, client.user, "create", entity)
        for rule in record_rules(app):
            if "id" in rule.arguments:
                continue
            for method in methods(rule):
                path = url(rule, entity)
                response = client.get(path) if method == "GET" else client.post_form(path, {})
                status = response.status_code
                assert status < 500, (method, path, status)
                if rule.endpoint in ("records.list_view", "records.board") and method == "GET":
                    assert status == (200 if may_read else 403), (path, role)
                if rule.endpoint == "records.new" and method == "GET":
                    assert status == (200 if may_create else 403), (path, role)
                if not may_read:  # refused, or malformed before anything is looked up
                    assert status in (400, 403, 404), (method, path, role, status)


@pytest.mark.parametrize("role", ["account_manager", "sales_director", "tech_support", None])
def test_a_record_out_of_scope_is_not_found_on_every_route(
    app: Flask, runtime: Runtime, as_role, crm, users, role: str | None
) -> None:
    outsider = users.create(
        "outsider", "Outsider", "correct horse battery", ["account_manager"], team="elsewhere"
    )
    customer = crm.customer("别人的客户", owner=outsider)
    contact = crm.contact("别人的联系人", customer)
    client = as_role(role, team="here")
    swept = 0
    for record in (customer, contact):
        entity = runtime.model.entity(record.entity)
        if not allows(runtime, client.user, "read", entity.name):
            expected = 403  # the role may not read the entity at all
        elif readable(runtime, client.user, record):
            continue  # in scope: the other tests cover what the user may do
        else:
            expected = 404
        for rule in record_rules(app):
            if "id" not in rule.arguments:
                continue
            for method in methods(rule):
                path = url(rule, entity.name, record.id)
                if method == "GET":
                    response = client.get(path)
                else:
                    response = client.post_form(path, well_formed(entity, record.version))
                assert response.status_code == expected, (method, path, role)
                swept += 1
    assert swept or role == "tech_support"  # tech_support reads every record


def readable(runtime: Runtime, user: Any, record: Any) -> bool:
    actor = Actor(user.id, user.username, user.roles, user.team)
    try:
        runtime.records.get(record.entity, record.id, actor)
    except NotFound:
        return False
    return True


def test_every_state_changing_route_needs_the_csrf_token(app: Flask, as_role, crm) -> None:
    client = as_role("admin")
    record = crm.customer("甲", owner=client.user)
    for rule in record_rules(app):
        if "POST" not in (rule.methods or ()):
            continue
        path = url(rule, "customer", record.id)
        assert client.post(path, data={"version": "1"}).status_code == 400, path


def test_every_route_of_an_unknown_entity_is_not_found(app: Flask, as_role) -> None:
    client = as_role("admin")
    for rule in record_rules(app):
        for method in methods(rule):
            path = url(rule, "no_such_thing", 1)
            response = client.get(path) if method == "GET" else client.post_form(path, {})
            assert response.status_code == 404, (method, path)
