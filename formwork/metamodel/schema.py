"""The JSON Schema of the config language, built from the field-type registry.

One schema per kind of file (`app`, `entity`, `grading`, `test`, `flow`). The published copies in
`formwork/metamodel/schema/*.schema.json` are generated from here so editors can autocomplete
a package with a `$schema` line: `python -m formwork.metamodel.reference --write` rewrites them
and docs/config-reference.md together; a test keeps both in step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .fieldtypes import FieldTypeRegistry
from .schema_dashboards import DASHBOARD_DEFS, DASHBOARD_REQUIRED, dashboard_properties
from .schema_flows import FLOW_DEFS, FLOW_REQUIRED, flow_properties
from .schema_reminders import REMINDER_DEFS, REMINDER_REQUIRED, reminder_properties
from .schema_rules import (
    OWNER,
    PERMISSIONS,
    RELATED,
    RULE_FIELD_KEYS,
    VALIDATIONS,
    grading_properties,
)
from .schema_tests import TEST_DEFS, suite_properties

SCHEMA_DIR = Path(__file__).parent / "schema"
SCHEMA_BASE_URI = "https://formwork.dev/schema/"
NAME_PATTERN = "^[a-z][a-z0-9_]{0,62}$"
LOCALE_PATTERN = "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"

LABEL = {
    "description": "Text shown to people: a string in the default locale, or one per locale.",
    "oneOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "object",
            "propertyNames": {"pattern": LOCALE_PATTERN},
            "additionalProperties": {"type": "string", "minLength": 1},
            "minProperties": 1,
        },
    ],
}
NAME = {"type": "string", "pattern": NAME_PATTERN, "description": "lower_snake_case identifier."}
NAME_LIST = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}


def label(description: str) -> dict[str, Any]:
    """A label-valued key with its own description."""
    return {"$ref": "#/$defs/label", "description": description}


OPTION = {
    "description": "A choice: the stored value, or the value with its label and colour.",
    "oneOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "object",
            "required": ["value"],
            "additionalProperties": False,
            "properties": {
                "value": {
                    "type": "string",
                    "minLength": 1,
                    "description": "What is stored (and what formulas compare with).",
                },
                "label": label("What people see (default: the value)."),
                "color": {
                    "type": "string",
                    "pattern": "^(#[0-9a-fA-F]{6}|[a-z]+)$",
                    "description": "A colour name (green) or #rrggbb.",
                },
            },
        },
    ],
}

#: Keys every field may have, whatever its type.
COMMON_FIELD_KEYS: dict[str, dict[str, Any]] = {
    "type": {"type": "string", "description": "The field type (see the list of field types)."},
    "label": label("The field's name as people see it; required in the default locale."),
    "help": label("A longer explanation shown beside the input."),
    "required": {"type": "boolean", "default": False, "description": "A value must be given."},
    "unique": {"type": "boolean", "default": False, "description": "No two records share a value."},
    "default": {"description": "The value a new record starts with."},
    "options": {
        "type": "array",
        "items": {"$ref": "#/$defs/option"},
        "description": "The choices (select and multiselect).",
    },
    "searchable": {
        "type": "boolean",
        "default": False,
        "description": "Included in the list's text search.",
    },
    "indexed": {"type": "boolean", "default": False, "description": "Give the column an index."},
    "readonly": {
        "type": "boolean",
        "default": False,
        "description": "Shown but never written by users.",
    },
    "renamed_from": {
        "type": "string",
        "pattern": NAME_PATTERN,
        "description": "The field's old name: schema sync moves the data over.",
    },
    **RULE_FIELD_KEYS,
}


def field_schema(types: FieldTypeRegistry) -> dict[str, Any]:
    """Every field key is listed (for autocompletion); each type's branch checks its settings."""
    properties: dict[str, Any] = dict(COMMON_FIELD_KEYS)
    properties["type"] = {**COMMON_FIELD_KEYS["type"], "enum": types.names()}
    for kind in types:
        for key, spec in kind.settings.items():
            if key in properties and properties[key] != spec:
                # Types disagree on this setting (integer max vs decimal max): list it loosely
                # here and let each type's branch below check it.
                properties[key] = {"description": properties[key].get("description", "")}
            else:
                properties.setdefault(key, spec)
    branches = [
        {
            "if": {"properties": {"type": {"const": kind.name}}, "required": ["type"]},
            "then": {
                "properties": dict(kind.settings),
                "required": list(kind.required_settings)
                + (["options"] if kind.has_options else []),
            },
        }
        for kind in types
        if kind.settings or kind.required_settings or kind.has_options
    ]
    return {
        "type": "object",
        "required": ["type"],
        "properties": properties,
        "additionalProperties": False,
        "allOf": branches,
    }


def entity_schema(types: FieldTypeRegistry) -> dict[str, Any]:
    sort_key = {"type": "string", "pattern": "^-?[a-z][a-z0-9_]*$"}
    return _document(
        "entity",
        "An entity: a kind of record with its fields, list and form.",
        required=["entity", "label", "fields"],
        properties={
            "entity": {**NAME, "description": "The entity's name (also its table's name)."},
            "label": label("The entity's name as people see it (singular)."),
            "plural_label": label("The name of many records, for list pages."),
            "title": {"type": "string", "description": "The field shown as a record's title."},
            "child_of": {
                "type": "string",
                "description": "Makes this a child entity whose rows are "
                "edited inside the parent's table field.",
            },
            "fields": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {"$ref": "#/$defs/field"},
                "description": "The fields, by name, in display order.",
            },
            "validations": VALIDATIONS,
            "related": RELATED,
            "owner": OWNER,
            "permissions": PERMISSIONS,
            "list": {
                "type": "object",
                "additionalProperties": False,
                "description": "How the list page shows records.",
                "properties": {
                    "columns": {
                        **NAME_LIST,
                        "minItems": 1,
                        "description": "Stored fields shown as columns (default: the first six).",
                    },
                    "filters": {**NAME_LIST, "description": "Fields offered as filters."},
                    "sort": {
                        "oneOf": [sort_key, {"type": "array", "items": sort_key}],
                        "description": "Field names; a leading - sorts descending.",
                    },
                    "search": {
                        **NAME_LIST,
                        "description": "Text-like fields the search box looks in "
                        "(default: the fields marked searchable).",
                    },
                    "board": {
                        "type": "string",
                        "description": "A select field: the list also shows as a board (kanban) "
                        "with a column per option, where dragging a card changes the field.",
                    },
                    "page_size": {
                        "type": "integer",
                        "minimum": 5,
                        "maximum": 500,
                        "default": 50,
                        "description": "Records per page.",
                    },
                },
            },
            "form": {
                "type": "object",
                "additionalProperties": False,
                "required": ["sections"],
                "description": "How the record form groups fields (default: one section, "
                "every field).",
                "properties": {
                    "sections": {
                        "type": "array",
                        "minItems": 1,
                        "description": "Groups of fields, in order; each field in one section.",
                        "items": {
                            "type": "object",
                            "required": ["fields"],
                            "additionalProperties": False,
                            "properties": {
                                "label": label("The section's heading."),
                                "fields": {
                                    **NAME_LIST,
                                    "minItems": 1,
                                    "description": "The fields of the section, in order.",
                                },
                            },
                        },
                    }
                },
            },
        },
        defs={"field": field_schema(types)},
    )


def app_schema() -> dict[str, Any]:
    return _document(
        "app",
        "The top of a package (app.yaml): name, title, locales and roles.",
        required=["app", "title"],
        properties={
            "app": {**NAME, "description": "The app's name."},
            "title": label("The app's title, shown in the header."),
            "version": {
                "type": "string",
                "default": "0.0.0",
                "description": "The package's version.",
            },
            "description": label("What the app is for."),
            "default_locale": {
                "type": "string",
                "pattern": LOCALE_PATTERN,
                "default": "zh",
                "description": "The locale every label must have; plain-text labels are in it.",
            },
            "locales": {
                "type": "array",
                "items": {"type": "string", "pattern": LOCALE_PATTERN},
                "minItems": 1,
                "uniqueItems": True,
                "default": ["zh", "en"],
                "description": "The locales labels may be written in.",
            },
            "roles": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["label"],
                    "properties": {
                        "label": label("The role's name as people see it."),
                        "description": label("What people in this role do."),
                    },
                },
                "description": "The roles people can hold, by name.",
            },
            "navigation": {**NAME_LIST, "description": "Entities in the main menu, in order."},
        },
    )


def grading_schema() -> dict[str, Any]:
    return _document(
        "grading",
        "A grading (gradings/*.yaml): a weighted scorecard that grades an entity's records.",
        required=["grading", "entity", "label", "dimensions", "grades"],
        properties=grading_properties(),
    )


def test_schema() -> dict[str, Any]:
    return _document(
        "test",
        "A test suite (tests/*.yaml): cases of records given and values expected.",
        required=["cases"],
        properties=suite_properties(),
        defs=TEST_DEFS,
    )


def flow_schema() -> dict[str, Any]:
    return _document(
        "flow",
        "An approval flow (flows/*.yaml): states, who submits, the steps and their approvers, "
        "and what approval and rejection do to the record.",
        required=FLOW_REQUIRED,
        properties=flow_properties(),
        defs=FLOW_DEFS,
    )


def dashboard_schema() -> dict[str, Any]:
    return _document(
        "dashboard",
        "A dashboard (dashboards/*.yaml): number cards and charts over the records the viewer "
        "may read, each linking to the list of the records behind it.",
        required=DASHBOARD_REQUIRED,
        properties=dashboard_properties(),
        defs=DASHBOARD_DEFS,
    )


def _document(
    kind: str,
    title: str,
    *,
    required: list[str],
    properties: dict[str, Any],
    defs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE_URI}{kind}.schema.json",
        "title": title,
        "type": "object",
        "required": required,
        "properties": {
            "$schema": {"type": "string", "description": "The schema this file follows (JSON)."},
            **properties,
        },
        "additionalProperties": False,
        "$defs": {"label": LABEL, "option": OPTION, **(defs or {})},
    }


def reminder_schema() -> dict[str, Any]:
    return _document(
        "reminder",
        "A reminder (reminders/*.yaml): dated to-dos for people from a date field of an "
        "entity's records — some days before it, once it is overdue, or yearly.",
        required=REMINDER_REQUIRED,
        properties=reminder_properties(),
        defs=REMINDER_DEFS,
    )


def schemas(types: FieldTypeRegistry) -> dict[str, dict[str, Any]]:
    """Every file kind's schema, by kind (`demo`: the package's demo-data spec, demo.yaml)."""
    from ..demo.spec_schema import DEMO_SCHEMA  # the demo package builds on this module

    return {
        "app": app_schema(),
        "entity": entity_schema(types),
        "grading": grading_schema(),
        "test": test_schema(),
        "flow": flow_schema(),
        "demo": DEMO_SCHEMA,
        "dashboard": dashboard_schema(),
        "reminder": reminder_schema(),
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write_published(types: FieldTypeRegistry, folder: Path = SCHEMA_DIR) -> list[Path]:
    """Write the published schema files; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, schema in schemas(types).items():
        path = folder / f"{kind}.schema.json"
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written
