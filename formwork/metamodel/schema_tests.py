"""The shape of a package's test files (`tests/*.yaml`): cases of given writes and expectations.

A case creates records (`- order: {…}`) or changes them (`- update: acme`, `set: {…}`) in
order, then checks what the records hold (`expect`) or that the last write was refused
(`expect_errors`). What names refer to (entities, fields, `@keys`) is checked later, in
`suite_checks`; `formwork.package_tests` runs the cases.
"""

from __future__ import annotations

from typing import Any

NAME_PATTERN = "^[a-z][a-z0-9_]{0,62}$"
KEY = {
    "type": "string",
    "pattern": NAME_PATTERN,
    "description": "A name for the record, used as @name in links and by expectations.",
}
VALUES = {
    "type": "object",
    "description": "Field values as a form or the API would send them; a link takes @name.",
}
#: A comparison instead of a plain expected value; numbers compare as decimals.
COMPARISON = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "description": "A comparison: the value equals, is not, lies between (inclusive), is at "
    "least (min) or at most (max), or is empty.",
    "properties": {
        "equal": {"description": "The value equals this (the same as writing it plainly)."},
        "not": {"description": "The value differs from this."},
        "between": {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "items": {"type": ["number", "string"]},
            "description": "[low, high], both included.",
        },
        "min": {"type": ["number", "string"], "description": "The value is at least this."},
        "max": {"type": ["number", "string"], "description": "The value is at most this."},
        "empty": {"type": "boolean", "description": "true: the field has no value."},
    },
}
EXPECTED = {
    "description": "The expected value, or a comparison.",
    "anyOf": [
        {"type": ["string", "number", "boolean", "null", "array"]},
        {"$ref": "#/$defs/comparison"},
    ],
}
EXPECTED_VALUES = {
    "type": "object",
    "additionalProperties": EXPECTED,
    "description": "Expected field values by field name (unlisted fields are not checked).",
}
EXPLANATION = {
    "type": "object",
    "additionalProperties": False,
    "description": "Parts of the grade's stored explanation (why the record has its grade).",
    "properties": {
        "grading": {
            "type": "string",
            "description": "The grading (default: the only one of the record's entity).",
        },
        "score_grade": {
            "type": "string",
            "description": "The grade the score alone gives, before overrides.",
        },
        "override": {
            "type": ["boolean", "string"],
            "description": "true: an override set the grade; false: none did; text: the "
            "override whose reason contains it did.",
        },
        "dimensions": {
            "type": "object",
            "description": "Per dimension name: its value, points and contribution.",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "properties": {
                    "value": EXPECTED,
                    "points": EXPECTED,
                    "contribution": EXPECTED,
                },
            },
        },
    },
}
STEP = {
    "type": "object",
    "minProperties": 1,
    "description": "Create a record: `<entity>: {field: value}`, optionally `as: name`; or "
    "change one given before: `update: name` with `set: {field: value}`.",
    "properties": {
        "as": KEY,
        "update": {"type": "string", "description": "The name of the record to change."},
        "set": {**VALUES, "description": "The changes (with update)."},
    },
    "additionalProperties": VALUES,
}
EXPECTATION = {
    "type": "object",
    "additionalProperties": False,
    "description": "What a record holds after every step of the case.",
    "properties": {
        "record": {
            "type": "string",
            "description": "The record's name (its `as`); default: the record of the last "
            "step that was saved.",
        },
        "values": EXPECTED_VALUES,
        "explanation": EXPLANATION,
    },
}
ERROR_TEXTS = {
    "oneOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "string"}, "minItems": 1},
    ],
    "description": "Text the field's error message contains (or several texts).",
}
CASE = {
    "type": "object",
    "required": ["name", "given"],
    "additionalProperties": False,
    "properties": {
        "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "description": "What the case shows; unique in the file.",
        },
        "given": {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/$defs/step"},
            "description": "The writes, in order, each through the record service.",
        },
        "expect": {
            "type": "array",
            "items": {"$ref": "#/$defs/expectation"},
            "description": "Records and the values they must hold afterwards.",
        },
        "expect_errors": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": ERROR_TEXTS,
            "description": "The last step must be refused with errors on exactly these fields "
            "(`_record`: the whole record), each message containing the text.",
        },
    },
}


def suite_properties() -> dict[str, Any]:
    """The top-level keys of a test file."""
    return {
        "suite": {
            "type": "string",
            "pattern": NAME_PATTERN,
            "description": "The suite's name (default: the file's name).",
        },
        "label": {"$ref": "#/$defs/label", "description": "What the suite tests."},
        "today": {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}$",
            "description": "The date the cases run on, for today() and numbering "
            "(default: the real date).",
        },
        "users": {
            "type": "array",
            "items": {"type": "string", "pattern": NAME_PATTERN},
            "uniqueItems": True,
            "description": "Users created before each case; link fields to user name them "
            "@username.",
        },
        "cases": {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/$defs/case"},
            "description": "The test cases; each runs alone on a fresh, empty database.",
        },
    }


TEST_DEFS: dict[str, Any] = {
    "case": CASE,
    "step": STEP,
    "expectation": EXPECTATION,
    "comparison": COMPARISON,
}
