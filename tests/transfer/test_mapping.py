"""Columns matched to fields: the guess from names and labels, and the checks of a choice."""

from __future__ import annotations

import pytest

from formwork.transfer import mapping


@pytest.fixture
def customer(crm_app):
    return crm_app.entity("customer")


@pytest.fixture
def allowed(customer):
    return mapping.targets(customer, (), (), lambda f: f.name)


def test_columns_are_guessed_from_names_and_labels_in_any_language(customer, allowed) -> None:
    columns = ["客户名称", "Customer type", "REGION", "annual_amount", "客户编号：", "Whatever"]
    assert mapping.guess(customer, columns, allowed) == {
        "客户名称": "name",
        "Customer type": "customer_type",
        "REGION": "region",
        "annual_amount": "annual_amount",
        "客户编号：": "code",
    }


def test_generated_files_and_hidden_fields_are_no_targets(customer) -> None:
    allowed = mapping.targets(customer, {"annual_amount"}, {"credit_rating"}, lambda f: f.name)
    assert "annual_amount" not in allowed
    assert "credit_rating" not in allowed  # read-only for this user
    assert "qualification_files" not in allowed
    assert allowed["code"].key and not allowed["code"].writable
    assert "grade" not in allowed  # read-only and not unique


@pytest.mark.parametrize(
    ("fields", "key", "problem"),
    [
        ({"a": "nope"}, None, "not a field you may import"),
        ({"a": "name", "b": "name"}, None, "both fill"),
        ({"a": "code", "b": "name"}, None, "generated"),
        ({"a": "name", "b": "customer_type"}, "region", "cannot be a key"),
        ({"a": "customer_type"}, "name", "has no column"),
        ({"a": "region"}, None, "Required fields have no column"),
        ({"zzz": "name"}, None, "no column named zzz"),
        ({}, None, "No column is mapped"),
    ],
)
def test_a_bad_mapping_names_its_problem(allowed, fields, key, problem) -> None:
    result = mapping.check(["a", "b"], fields, key, allowed)
    assert any(problem in p for p in result.problems), result.problems


def test_a_good_mapping_has_no_problems(allowed) -> None:
    result = mapping.check(["a", "b", "c"], {"a": "code", "b": "name", "c": ""}, "code", allowed)
    assert result.problems == ()
    assert result.fields == {"a": "code", "b": "name"}
    assert result.key_column == "a"
