"""Generated docs and schemas: in step with the code, and themselves valid."""

from __future__ import annotations

import json

import jsonschema
import pytest

from formwork.metamodel import schema
from formwork.metamodel.fieldtypes import FieldTypeRegistry, default_registry
from formwork.metamodel.reference import REFERENCE_PATH, REGENERATE, render_reference

STALE = f"out of date; regenerate with `.venv/bin/{REGENERATE}`"


def test_the_config_reference_is_up_to_date(types: FieldTypeRegistry) -> None:
    assert REFERENCE_PATH.is_file(), f"docs/config-reference.md is missing; {STALE}"
    committed = REFERENCE_PATH.read_text(encoding="utf-8")
    assert committed == render_reference(types), f"docs/config-reference.md is {STALE}"


@pytest.mark.parametrize("kind", ["app", "entity", "grading", "test", "flow"])
def test_the_published_schema_is_up_to_date(types: FieldTypeRegistry, kind: str) -> None:
    path = schema.SCHEMA_DIR / f"{kind}.schema.json"
    assert path.is_file(), f"{path.name} is missing; {STALE}"
    expected = schema.render(schema.schemas(types)[kind])
    assert path.read_text(encoding="utf-8") == expected, f"{path.name} is {STALE}"


def test_every_published_schema_is_a_valid_draft_2020_12_schema() -> None:
    published = sorted(schema.SCHEMA_DIR.glob("*.schema.json"))
    assert {p.name for p in published} == {
        f"{kind}.schema.json" for kind in schema.schemas(default_registry())
    }
    for path in published:
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(document)


def test_the_reference_documents_every_field_type_and_setting(types: FieldTypeRegistry) -> None:
    text = render_reference(types)
    for kind in types:
        assert f"\n### {kind.name}\n" in text
        for setting in kind.settings:
            assert f"| `{setting}` |" in text
