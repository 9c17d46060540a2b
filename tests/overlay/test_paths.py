"""Paths address a node by keys, by an item's key field, or by index; bad paths say why."""

from __future__ import annotations

from typing import Any

import pytest

from formwork.overlay import MISSING, PathError, item_step, join_path, value_at
from formwork.overlay.paths import split_path

DOC: dict[str, Any] = {
    "app": {"title": {"en": "Shop"}, "roles": {"clerk": {"label": "Clerk"}}},
    "entities": {
        "order": {
            "fields": {
                "status": {"options": [{"value": "open"}, {"value": "won/lost"}, "plain"]},
                "total": {"type": "money"},
            },
            "list": {"columns": ["status", "total"]},
        }
    },
    "gradings": {"g": {"grades": [{"grade": "A", "min_score": 80}, {"grade": "B"}]}},
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("app/title/en", "Shop"),
        ("app/roles/clerk/label", "Clerk"),
        ("gradings/g/grades/grade=A/min_score", 80),
        ("gradings/g/grades/1", {"grade": "B"}),
        ("entities/order/fields/status/options/value=open", {"value": "open"}),
        ("entities/order/fields/status/options/value=won~1lost", {"value": "won/lost"}),
        ("entities/order/fields/status/options/2", "plain"),
        ("entities/order/list/columns/1", "total"),
        ("entities/order/fields/total", {"type": "money"}),
    ],
)
def test_a_path_finds_its_node_by_key_key_field_or_index(path: str, expected: Any) -> None:
    assert value_at(DOC, path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "app/subtitle",
        "gradings/g/grades/grade=Z/min_score",
        "gradings/g/grades/7",
        "entities/order/fields/total/type/deeper",
        "entities/customer",
    ],
)
def test_a_path_to_nothing_gives_missing(path: str) -> None:
    assert value_at(DOC, path) is MISSING


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("", "at least one step"),
        ("/", "at least one step"),
        ("app//title", "empty step"),
        ("app/title/", "empty step"),
        ("models/order", "must start with one of"),
        ("gradings/g/grades/A", "key=value"),
    ],
)
def test_a_malformed_path_is_refused_with_the_reason(path: str, says: str) -> None:
    with pytest.raises(PathError, match=says):
        value_at(DOC, path)


def test_steps_holding_a_slash_or_tilde_are_escaped_and_read_back() -> None:
    path = join_path("entities", "order", "fields", "status", "options", "value=won/lost~x")
    assert path.endswith("value=won~1lost~0x")
    assert split_path(path)[-1] == "value=won/lost~x"


def test_an_item_is_named_by_a_unique_key_field_else_by_index() -> None:
    grades = DOC["gradings"]["g"]["grades"]
    assert item_step(grades, 0) == "grade=A"
    assert item_step([{"name": "x"}, {"name": "x"}], 1) == "1"
    assert item_step(["a", "b"], 1) == "1"
