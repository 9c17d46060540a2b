"""The JSON Schema of `demo.yaml`: its shape only; `spec_loader` checks it against the app."""

from __future__ import annotations

from typing import Any

from ..metamodel.schema import NAME, NAME_PATTERN

PROBABILITY = {"type": "number", "minimum": 0, "maximum": 1}
PAIR = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
DAY_PAIR = {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}

#: The keys that say how a value is drawn; a value spec has at most one of them.
GENERATOR_KEYS = (
    "faker",
    "value",
    "weights",
    "chance",
    "between",
    "lognormal",
    "ranges",
    "fraction_of",
    "days",
    "role",
    "same",
)

VALUE_SPEC: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "description": "How a field's value is drawn: one generator key, and `empty` if it may "
    "be left blank.",
    "properties": {
        "faker": {
            "type": "string",
            "minLength": 1,
            "description": "A Faker provider (company) or format ({{city_name}}{{company}}).",
        },
        "value": {"description": "Always this value."},
        "weights": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"type": "number", "minimum": 0},
            "description": "Values and how often each comes up, relative to the others.",
        },
        "chance": {
            "description": "For yes/no: how often yes; for several choices: each option's.",
            "oneOf": [
                PROBABILITY,
                {"type": "object", "minProperties": 1, "additionalProperties": PROBABILITY},
            ],
        },
        "between": {**PAIR, "description": "A number in this range (or a fraction_of's share)."},
        "lognormal": {
            "type": "object",
            "required": ["median"],
            "additionalProperties": False,
            "properties": {
                "median": {"type": "number", "exclusiveMinimum": 0},
                "sigma": {"type": "number", "minimum": 0, "default": 1},
            },
            "description": "Amounts: most near the median, a long tail of large ones.",
        },
        "ranges": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["between", "weight"],
                "additionalProperties": False,
                "properties": {"between": PAIR, "weight": {"type": "number", "minimum": 0}},
            },
            "description": "Ranges picked by weight, then a number inside the range.",
        },
        "fraction_of": {**NAME, "description": "A share (`between`, default 0–1) of a number."},
        "days": {**DAY_PAIR, "description": "Days from `from` (default today), e.g. [-365, 0]."},
        "from": {
            "type": "string",
            "pattern": NAME_PATTERN,
            "description": "today, created (the record's creation) or a date field.",
        },
        "role": {**NAME, "description": "A demo user with this role."},
        "same": {
            **NAME,
            "description": "A linked record whose field of this name holds what this "
            "record's does (a project of the same account).",
        },
        "min": {"type": "number", "description": "Smallest value drawn (lognormal)."},
        "max": {"type": "number", "description": "Largest value drawn (lognormal)."},
        "empty": {**PROBABILITY, "description": "How often the field is left empty."},
    },
    "dependentRequired": {"from": ["days"]},
}

FIELDS = {
    "type": "object",
    "propertyNames": {"pattern": NAME_PATTERN},
    "additionalProperties": {"$ref": "#/$defs/value"},
}

ENTITY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "count": {
            "type": "number",
            "minimum": 0,
            "description": "Records per scale unit (rows per record for a child entity).",
        },
        "belongs_to": {**NAME, "description": "The link to the record each one belongs to."},
        "fields": FIELDS,
        "profiles": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {
                "type": "object",
                "required": ["weight"],
                "additionalProperties": False,
                "properties": {
                    "weight": {"type": "number", "exclusiveMinimum": 0},
                    "fields": FIELDS,
                },
            },
        },
        "edits": {
            "type": "object",
            "required": ["fields"],
            "additionalProperties": False,
            "properties": {
                "share": {**PROBABILITY, "default": 0.3},
                "times": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 1, "maximum": 20},
                    "minItems": 2,
                    "maxItems": 2,
                },
                "fields": {
                    "type": "array",
                    "items": {"type": "string"},
                    "minItems": 1,
                    "uniqueItems": True,
                },
            },
        },
    },
}

DEMO_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Formwork demo data spec (demo.yaml)",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "locale": {"type": "string", "description": "Faker's locale, e.g. zh_CN."},
        "days": {
            "type": "integer",
            "minimum": 1,
            "maximum": 36500,
            "description": "Records are created over the last `days` days.",
        },
        "users": {
            "type": "object",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 1000},
            "description": "Demo users to create, by role.",
        },
        "teams": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 64},
            "uniqueItems": True,
        },
        "entities": {
            "type": "object",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {"$ref": "#/$defs/entity"},
        },
    },
    "$defs": {"value": VALUE_SPEC, "entity": ENTITY},
}
