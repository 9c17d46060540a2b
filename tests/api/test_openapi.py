"""The OpenAPI document: valid OpenAPI 3.1, generated from the model, per user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from openapi_spec_validator import validate

from tests.api.conftest import ApiClient, client_with_token


def document(client: ApiClient) -> dict[str, Any]:
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    return answer.json


@pytest.mark.parametrize("role", ["admin", "tech_support", "account_manager", "executive"])
def test_the_document_is_valid_openapi_for_every_role(
    api_as: Callable[..., ApiClient], role: str
) -> None:
    doc = document(api_as(role))
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert doc["security"] == [{"bearerAuth": []}]
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_it_lists_only_the_entities_the_user_may_read(
    api_as: Callable[..., ApiClient], app: Flask
) -> None:
    doc = document(api_as("tech_support"))
    model = app.extensions["formwork"].model
    unreadable = [
        e.name
        for e in model.entities.values()
        if e.permissions and "tech_support" not in e.permissions and not e.child_of
    ]
    assert unreadable, "the reference app has an entity tech support may not read"
    for name in unreadable:
        assert f"/api/v1/{name}" not in doc["paths"]
    assert "/api/v1/customer" in doc["paths"] and "/api/v1/customer/{id}" in doc["paths"]
    assert not any("project_milestone" in path for path in doc["paths"])  # a child entity


def test_hidden_fields_are_not_in_the_users_document(api_as: Callable[..., ApiClient]) -> None:
    schemas = document(api_as("tech_support"))["components"]["schemas"]
    assert "annual_amount" not in schemas["Record.customer"]["properties"]
    assert "annual_amount" not in schemas["Create.customer"]["properties"]
    admin = document(api_as("admin"))["components"]["schemas"]
    assert "annual_amount" in admin["Record.customer"]["properties"]


def test_the_list_operation_documents_its_parameters(api_as: Callable[..., ApiClient]) -> None:
    doc = document(api_as("admin"))
    params = {p["name"]: p for p in doc["paths"]["/api/v1/customer"]["get"]["parameters"]}
    assert {"q", "sort", "page_size", "after"} <= set(params)
    assert params["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}
    region = params["filter[region]"]["schema"]
    assert region["type"] == "array" and "华东" in region["items"]["enum"]
    assert "filter[annual_amount][ge]" in params and "filter[name][contains]" in params
    assert "filter[region][contains]" not in params  # options are compared whole
    assert params["filter[created_at][gt]"]["schema"] == {"type": "string", "format": "date-time"}
    assert params["filter[notes][empty]"]["schema"] == {"type": "boolean"}


@pytest.fixture
def job_schemas(jobs: Flask) -> Callable[[str], dict[str, Any]]:
    def schemas(role: str) -> dict[str, Any]:
        doc = document(client_with_token(jobs, role, role))
        validate(doc)
        return doc["components"]["schemas"]

    return schemas


def test_body_schemas_follow_the_field_types(job_schemas: Callable[..., Any]) -> None:
    schemas = job_schemas("worker")
    create = schemas["Create.job"]
    props = create["properties"]
    assert create["required"] == ["title"] and create["additionalProperties"] is False
    assert props["title"] == {"type": "string", "maxLength": 60}
    assert props["crew"] == {"type": ["integer", "null"], "minimum": 1, "maximum": 50}
    assert props["stage"]["enum"] == ["open", "won", "lost", None]
    assert props["tags"]["type"] == ["array", "null"]
    assert props["tags"]["items"]["enum"] == ["red", "green", "blue"]
    assert props["stars"] == {"type": ["integer", "null"], "minimum": 0, "maximum": 5}
    assert props["weight"]["type"] == ["string", "number", "null"]
    assert props["budget"]["minimum"] == 0
    assert props["start_on"]["format"] == "date"
    assert props["meeting_at"]["format"] == "date-time"
    assert props["email"]["format"] == "email" and props["website"]["format"] == "uri"
    assert props["site"]["type"] == ["integer", "null"] and props["site"]["minimum"] == 1
    assert props["files"]["maxItems"] == 3
    assert props["tasks"] == {
        "type": ["array", "null"],
        "items": {"$ref": "#/components/schemas/RowInput.task"},
        "maxItems": 4,
    }
    assert "number" not in props and "total" not in props  # generated, computed
    assert "version" in schemas["Update.job"]["properties"]
    assert "required" not in schemas["Update.job"]
    record = schemas["Record.job"]["properties"]
    assert record["weight"]["type"] == ["string", "null"]  # decimals are read as text
    assert record["number"] == {"type": ["string", "null"]} and "total" in record
    assert record["tasks"]["items"] == {"$ref": "#/components/schemas/Row.task"}


def test_a_role_sees_the_fields_it_may_see_and_writes_those_it_may_write(
    job_schemas: Callable[..., Any],
) -> None:
    schemas = job_schemas("clerk")
    assert "budget" not in schemas["Record.job"]["properties"]
    assert "margin" in schemas["Record.job"]["properties"]
    assert {"budget", "margin"}.isdisjoint(schemas["Create.job"]["properties"])
    assert {"budget", "margin"}.isdisjoint(schemas["Update.job"]["properties"])
