"""The record endpoints: list, get, create, update, delete, with the web's rules and one
JSON error shape for every refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import ApiClient
from tests.app_fixtures import Crm

Api = Callable[..., ApiClient]
NEW_CUSTOMER = {"name": "华东设计院", "customer_type": "设计院"}


def error_of(answer: Any) -> dict[str, Any]:
    """The error object, after checking the shape every refusal has."""
    assert answer.mimetype == "application/json"
    body = answer.json
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    return body["error"]


# -- index ---------------------------------------------------------------------------------


def test_the_index_lists_the_entities_the_user_may_read(api_as: Api) -> None:
    body = api_as("executive").get("/api/v1/").json
    customer = next(e for e in body["entities"] if e["name"] == "customer")
    assert customer["label"]["en"] == "Customer"
    assert customer["may"] == {"create": False, "update": False, "delete": False}
    assert customer["links"]["records"] == "/api/v1/customer"
    assert body["links"]["openapi"] == "/api/v1/openapi.json"
    assert not any(e["name"] == "project_milestone" for e in body["entities"])  # a child


# -- reading -------------------------------------------------------------------------------


def test_get_shows_a_record_as_json_with_its_version_as_etag(api_as: Api, crm: Crm) -> None:
    client = api_as("admin")
    record = crm.customer("甲", owner=client.user, annual_amount="1234567.85", region="华东")
    answer = client.get(f"/api/v1/customer/{record.id}")
    assert answer.status_code == 200
    assert answer.headers["ETag"] == f'"{record.version}"'
    body = answer.json
    system = ["id", "version", "created_at", "created_by", "updated_at", "updated_by"]
    assert list(body)[:6] == system
    assert body["id"] == record.id and body["name"] == "甲" and body["region"] == "华东"
    assert body["annual_amount"] == "1234567.85"  # a string: no float on the way
    assert body["account_manager"] == client.user.id  # a link is the linked record's id
    assert body["created_at"].endswith("+00:00")


def test_an_unknown_record_an_unknown_entity_and_a_child_entity_are_404(api_as: Api) -> None:
    client = api_as("admin")
    for path in (
        "/api/v1/customer/999",
        "/api/v1/nothing",
        "/api/v1/project_milestone",
        "/api/v1/customer/abc",
        "/api/v1/customer/1/actions/approve",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert error_of(answer)["code"] == "not_found"


def test_a_method_the_path_does_not_have_is_405_with_allow(api_as: Api) -> None:
    answer = api_as("admin").put("/api/v1/customer", json={})
    assert answer.status_code == 405
    assert error_of(answer)["code"] == "method_not_allowed"
    assert {"GET", "POST"} <= set(answer.headers["Allow"].replace(" ", "").split(","))


def test_list_filters_sorts_and_counts(api_as: Api, crm: Crm) -> None:
    client = api_as("admin")
    rows = [("甲", "华东", "300"), ("乙", "华南", "100"), ("丙", "华东", "200")]
    for name, region, amount in rows:
        crm.customer(name, owner=client.user, region=region, annual_amount=amount)
    body = client.get(
        "/api/v1/customer?filter[region]=华东&sort=-annual_amount&filter[annual_amount][ge]=150"
    ).json
    assert [r["name"] for r in body["data"]] == ["甲", "丙"]
    assert body["total"] == 2 and body["total_capped"] is False and body["next_cursor"] is None
    any_of = client.get("/api/v1/customer?filter[region]=华东&filter[region]=华南&sort=name").json
    assert any_of["total"] == 3
    found = client.get("/api/v1/customer?q=乙").json
    assert [r["name"] for r in found["data"]] == ["乙"]
    without = client.get("/api/v1/customer?filter[industry][empty]=true").json
    assert without["total"] == 3


def test_pages_follow_cursors_through_every_record_once(api_as: Api, crm: Crm) -> None:
    client = api_as("admin")
    names = [f"客户{i:02d}" for i in range(7)]
    for name in names:
        crm.customer(name, owner=client.user)
    seen: list[str] = []
    url = "/api/v1/customer?sort=name&page_size=3"
    for _ in range(5):
        body = client.get(url).json
        seen += [r["name"] for r in body["data"]]
        if body["next_cursor"] is None:
            break
        url = f"/api/v1/customer?sort=name&page_size=3&after={body['next_cursor']}"
    assert seen == names


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("filter[nope]=1", "filter[nope]"),
        ("filter[region]=火星", "filter[region]"),
        ("filter[region][like]=华", "filter[region][like]"),
        ("filter[annual_amount][gt]=lots", "filter[annual_amount][gt]"),
        ("filter[first_signed_on]=yesterday", "filter[first_signed_on]"),
        ("filter[name]=", "filter[name]"),
        ("filter[name][gt]=a&filter[name][gt]=b", "filter[name][gt]"),
        ("filter[name][empty]=maybe", "filter[name][empty]"),
        ("region=华东", "region"),
        ("sort=nope", "sort"),
        ("sort=tags", "sort"),
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
        ("page_size=ten", "page_size"),
        ("after=not-a-cursor", "after"),
        ("q=a&q=b", "q"),
    ],
)
def test_a_bad_list_parameter_is_400_naming_it(api_as: Api, query: str, parameter: str) -> None:
    answer = api_as("admin").get(f"/api/v1/customer?{query}")
    assert answer.status_code == 400
    error = error_of(answer)
    assert error["code"] == "invalid_query"
    assert parameter in error["fields"], error


# -- writing -------------------------------------------------------------------------------


def test_create_answers_201_with_the_record_its_location_and_etag(api_as: Api) -> None:
    client = api_as("commercial")
    answer = client.post("/api/v1/customer", json={**NEW_CUSTOMER, "annual_amount": 1000.1})
    assert answer.status_code == 201
    body = answer.json
    assert answer.headers["Location"] == f"/api/v1/customer/{body['id']}"
    assert answer.headers["ETag"] == '"1"'
    assert body["annual_amount"] == "1000.10"
    assert body["code"].startswith("KH-")  # rules ran: the number was given
    assert client.get(answer.headers["Location"]).json == body


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ('"12345678901234.57"', "12345678901234.57"),
        ("12345678901234.57", "12345678901234.57"),  # a JSON number: read as the decimal it
        ("0.1", "0.10"),  # spells, never through a float
        ("1e3", "1000.00"),
        ('"0.10"', "0.10"),
    ],
)
def test_decimals_round_trip_exactly(api_as: Api, sent: str, shown: str) -> None:
    client = api_as("admin")
    body = '{"name": "甲", "customer_type": "设计院", "max_single_contract": ' + sent + "}"
    made = client.post("/api/v1/customer", data=body, content_type="application/json")
    assert made.status_code == 201
    assert made.json["max_single_contract"] == shown
    assert client.get(f"/api/v1/customer/{made.json['id']}").json["max_single_contract"] == shown


def test_validation_errors_are_422_with_messages_by_field(api_as: Api) -> None:
    answer = api_as("admin").post(
        "/api/v1/customer",
        json={"customer_type": "火星", "annual_amount": "12.345", "nope": 1, "code": "X"},
    )
    assert answer.status_code == 422
    error = error_of(answer)
    assert error["code"] == "validation_failed"
    fields = error["fields"]
    assert set(fields) == {"name", "customer_type", "annual_amount", "nope", "code"}
    assert fields["name"] == ["This field is required."]
    assert fields["code"] == ["This field cannot be written."]
    assert fields["nope"] == ["Unknown field."]


def test_record_rules_refuse_with_their_message(api_as: Api) -> None:
    answer = api_as("admin").post(
        "/api/v1/customer",
        json={**NEW_CUSTOMER, "annual_amount": "100", "max_single_contract": "200"},
    )
    assert answer.status_code == 422
    assert "annual_amount" in error_of(answer)["fields"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("{bad json", "application/json", 400, "malformed_json"),
        ("", "application/json", 400, "malformed_json"),
        ('{"name": NaN}', "application/json", 400, "malformed_json"),
        ('{"a": 1}{"b": 2}', "application/json", 400, "malformed_json"),
        ("[1, 2]", "application/json", 400, "not_an_object"),
        ('"text"', "application/json", 400, "not_an_object"),
        ("[" * 100_000, "application/json", 400, "malformed_json"),
        (b"\xff\xfe{}", "application/json", 400, "malformed_json"),
        ('{"name": "x"}', "text/plain", 415, "unsupported_media_type"),
        ("name=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
)
def test_a_bad_body_is_refused_before_anything_is_written(
    api_as: Api, body: Any, content_type: str, status: int, code: str
) -> None:
    client = api_as("admin")
    answer = client.post("/api/v1/customer", data=body, content_type=content_type)
    assert answer.status_code == status
    assert error_of(answer)["code"] == code
    assert client.get("/api/v1/customer").json["total"] == 0


def test_a_body_over_the_size_limit_is_413(app: Any, api_as: Api) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    answer = api_as("admin").post("/api/v1/customer", json={"notes": "x" * 2000})
    assert answer.status_code == 413
    assert error_of(answer)["code"] == "too_large"


def test_update_with_if_match_changes_only_what_is_sent(api_as: Api, crm: Crm) -> None:
    client = api_as("admin")
    record = crm.customer("甲", owner=client.user, region="华东")
    answer = client.patch(
        f"/api/v1/customer/{record.id}", json={"region": "华南"}, headers={"If-Match": '"1"'}
    )
    assert answer.status_code == 200
    assert answer.headers["ETag"] == '"2"'
    assert answer.json["region"] == "华南" and answer.json["name"] == "甲"


def test_update_with_a_version_field(api_as: Api, crm: Crm) -> None:
    client = api_as("admin")
    record = crm.customer("甲", owner=client.user)
    answer = client.patch(f"/api/v1/customer/{record.id}", json={"version": 1, "phone": "021-555"})
    assert answer.status_code == 200 and answer.json["version"] == 2


def test_a_stale_version_is_409_and_a_stale_if_match_412_with_the_current_version(
    api_as: Api, crm: Crm
) -> None:
    client = api_as("admin")
    record = crm.customer("甲", owner=client.user)
    path = f"/api/v1/customer/{record.id}"
    assert client.patch(path, json={"version": 1, "region": "华东"}).status_code == 200
    stale = client.patch(path, json={"version": 1, "region": "华南"})
    assert stale.status_code == 409
    assert error_of(stale) == {**error_of(stale), "code": "conflict", "current_version": 2}
    stale_header = client.patch(path, json={"region": "华南"}, headers={"If-Match": '"1"'})
    assert stale_header.status_code == 412
    assert error_of(stale_header)["current_version"] == 2
    assert client.get(path).json["region"] == "华东"  # nothing was lost


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, {"region": "华东"}, 428),
        ({"If-Match": "1"}, {"region": "华东"}, 400),
        ({"If-Match": "*"}, {"region": "华东"}, 400),
        ({"If-Match": 'W/"1"'}, {"region": "华东"}, 400),
        ({"If-Match": '"1"'}, {"version": 2, "region": "华东"}, 400),
        ({}, {"version": "one", "region": "华东"}, 422),
    ],
)
def test_an_update_must_say_which_version_it_changes(
    api_as: Api, crm: Crm, headers: dict[str, str], body: dict[str, Any], status: int
) -> None:
    client = api_as("admin")
    record = crm.customer("甲", owner=client.user)
    answer = client.patch(f"/api/v1/customer/{record.id}", json=body, headers=headers)
    assert answer.status_code == status
    error_of(answer)


def test_delete_needs_the_version_and_answers_204(api_as: Api, crm: Crm) -> None:
    client = api_as("admin")
    record = crm.customer("甲", owner=client.user)
    path = f"/api/v1/customer/{record.id}"
    assert client.delete(path).status_code == 428
    assert client.delete(f"{path}?version=7").status_code == 409
    answer = client.delete(path, headers={"If-Match": '"1"'})
    assert answer.status_code == 204 and answer.data == b""
    assert client.get(path).status_code == 404


# -- permissions: exactly the record service's ---------------------------------------------


def test_a_hidden_field_is_absent_and_cannot_be_filtered_sorted_or_written(
    api_as: Api, crm: Crm
) -> None:
    client = api_as("tech_support")
    record = crm.customer("甲", annual_amount="5000")
    body = client.get(f"/api/v1/customer/{record.id}").json
    assert "annual_amount" not in body and body["name"] == "甲"
    listed = client.get("/api/v1/customer").json["data"][0]
    assert "annual_amount" not in listed
    for query in ("filter[annual_amount][gt]=1", "sort=annual_amount"):
        answer = client.get(f"/api/v1/customer?{query}")
        assert answer.status_code == 400
        assert "No field named 'annual_amount'" in str(error_of(answer)["fields"])


def test_an_account_manager_sees_own_customers_only(api_as: Api, crm: Crm) -> None:
    mine, theirs = api_as("account_manager"), api_as("account_manager")
    own = crm.customer("我的", owner=mine.user)
    other = crm.customer("别人的", owner=theirs.user)
    assert [r["name"] for r in mine.get("/api/v1/customer").json["data"]] == ["我的"]
    assert mine.get(f"/api/v1/customer/{own.id}").status_code == 200
    out_of_scope = mine.get(f"/api/v1/customer/{other.id}")
    assert out_of_scope.status_code == 404  # as if it did not exist
    assert (
        mine.patch(
            f"/api/v1/customer/{other.id}", json={"version": 1, "region": "华东"}
        ).status_code
        == 404
    )
    assert mine.delete(f"/api/v1/customer/{other.id}?version=1").status_code in (403, 404)


def test_an_executive_may_read_but_not_create(api_as: Api, crm: Crm) -> None:
    client = api_as("executive")
    crm.customer("甲")
    assert client.get("/api/v1/customer").json["total"] == 1
    answer = client.post("/api/v1/customer", json=NEW_CUSTOMER)
    assert answer.status_code == 403
    assert error_of(answer)["code"] == "forbidden"
    # Refused before the body is judged: a bad body changes nothing about the answer.
    assert client.post("/api/v1/customer", data="nonsense").status_code == 403


def test_a_read_only_field_cannot_be_written(api_as: Api, crm: Crm) -> None:
    client = api_as("commercial")
    record = crm.customer("甲")
    answer = client.patch(
        f"/api/v1/customer/{record.id}", json={"version": 1, "credit_rating": "AAA"}
    )
    assert answer.status_code == 422
    assert error_of(answer)["fields"] == {"credit_rating": ["This field cannot be written."]}


def test_writes_are_audited_as_the_tokens_user(api_as: Api, runtime: Any) -> None:
    client = api_as("commercial")
    made = client.post("/api/v1/customer", json=NEW_CUSTOMER).json
    assert made["created_by"] == client.user.id
    history = runtime.records.history("customer", made["id"])
    assert [(e.action, e.user_id) for e in history] == [("create", client.user.id)]
