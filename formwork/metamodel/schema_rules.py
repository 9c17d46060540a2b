"""The parts of the config language that hold formulas: computed and conditional fields,
validation rules, relations, and grading scorecards (`gradings/*.yaml`)."""

from __future__ import annotations

from typing import Any

NAME_PATTERN = "^[a-z][a-z0-9_]{0,62}$"


def formula(description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": 2000,
        "description": f"{description} A formula (see docs/formulas.md).",
    }


def _label(description: str) -> dict[str, Any]:
    return {"$ref": "#/$defs/label", "description": description}


#: Field keys that hold formulas, or shape how a computed field is kept.
RULE_FIELD_KEYS: dict[str, dict[str, Any]] = {
    "formula": formula(
        "Computes the field from other fields; a computed field is never written by people."
    ),
    "virtual": {
        "type": "boolean",
        "default": False,
        "description": "A computed field without a column, computed whenever it is read.",
    },
    "default_formula": formula("Computes the value a new record starts with."),
    "visible_when": formula("The field is shown, and accepted, only when this holds."),
    "required_when": formula("The field must have a value when this holds (and it is visible)."),
    "readonly_when": formula("The field cannot be changed when this holds."),
}

VALIDATIONS = {
    "type": "array",
    "description": "Rules every record must keep; each failing rule shows its message.",
    "items": {
        "type": "object",
        "required": ["rule", "message"],
        "additionalProperties": False,
        "properties": {
            "rule": formula("What must hold for the record to be saved."),
            "message": _label("Shown when the rule does not hold."),
            "field": {
                "type": "string",
                "description": "The field the message is shown next to "
                "(default: the whole record).",
            },
        },
    },
}

RELATED = {
    "type": "object",
    "description": "Records of other entities that link here, by a name formulas can "
    "aggregate over (sum(orders.amount)) and pages list.",
    "propertyNames": {"pattern": NAME_PATTERN},
    "additionalProperties": {
        "type": "object",
        "required": ["entity", "via"],
        "additionalProperties": False,
        "properties": {
            "entity": {"type": "string", "description": "The entity whose records link here."},
            "via": {"type": "string", "description": "Its link field that points here."},
            "label": _label("How the list of related records is titled."),
        },
    },
}

POINTS = {"type": "number", "minimum": 0, "maximum": 100}


def grading_properties() -> dict[str, Any]:
    return {
        "grading": {
            "type": "string",
            "pattern": NAME_PATTERN,
            "description": "The grading's name.",
        },
        "entity": {"type": "string", "description": "The entity it grades."},
        "label": _label("The grading's name as people see it."),
        "score_field": {
            "type": "string",
            "default": "score",
            "description": "The number field that keeps the score.",
        },
        "grade_field": {
            "type": "string",
            "default": "grade",
            "description": "The select field that keeps the grade.",
        },
        "dimensions": {
            "type": "array",
            "minItems": 1,
            "description": "The scorecard's lines: each value becomes points (0–100), weighted.",
            "items": {
                "type": "object",
                "required": ["name", "weight", "value"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": NAME_PATTERN},
                    "label": _label("The dimension's name as people see it."),
                    "weight": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "description": "Its share of the score (weights need not add up "
                        "to 100; the score is their weighted average).",
                    },
                    "value": formula(
                        "The dimension's value: the points themselves (clamped to "
                        "0–100), or the input of bands."
                    ),
                    "bands": {
                        "type": "array",
                        "minItems": 1,
                        "description": "Points by value, highest min first; the first band the "
                        "value reaches wins; the last may omit min (all others).",
                        "items": {
                            "type": "object",
                            "required": ["points"],
                            "additionalProperties": False,
                            "properties": {"min": {"type": "number"}, "points": POINTS},
                        },
                    },
                },
            },
        },
        "grades": {
            "type": "array",
            "minItems": 2,
            "description": "The grades, highest first; each earned from min_score on; the "
            "lowest has no min_score and takes every other score.",
            "items": {
                "type": "object",
                "required": ["grade"],
                "additionalProperties": False,
                "properties": {
                    "grade": {"type": "string", "minLength": 1, "maxLength": 20},
                    "label": _label("The grade's name as people see it."),
                    "min_score": POINTS,
                    "strategy": _label("How records of this grade are served."),
                    "color": {"type": "string", "pattern": "^(#[0-9a-fA-F]{6}|[a-z]+)$"},
                },
            },
        },
        "overrides": {
            "type": "array",
            "description": "Rules that move the grade whatever the score, applied in order.",
            "items": {
                "type": "object",
                "required": ["when", "reason"],
                "additionalProperties": False,
                "properties": {
                    "when": formula("When the override applies."),
                    "at_least": {"type": "string", "description": "Raise to at least this grade."},
                    "at_most": {"type": "string", "description": "Lower to at most this grade."},
                    "set": {"type": "string", "description": "Set exactly this grade."},
                    "reason": _label("Why, shown in the grade's explanation."),
                },
            },
        },
    }


SCOPE = {
    "description": "Which records: all, own (the owner field is the user), team (its owner is in "
    "the user's team), none, or those matching a formula.",
    "oneOf": [
        {"enum": ["all", "own", "team", "none"]},
        {
            "type": "object",
            "required": ["when"],
            "additionalProperties": False,
            "properties": {"when": formula("The records the role may act on.")},
        },
    ],
}

PERMISSIONS = {
    "type": "object",
    "description": "What each role may do with this entity's records. Without this key every "
    "signed-in role may do everything; with it, roles not listed may do nothing.",
    "propertyNames": {"pattern": NAME_PATTERN},
    "additionalProperties": {
        "oneOf": [
            {"enum": ["all", "none"], "description": "Everything, or nothing."},
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "read": SCOPE,
                    "write": SCOPE,
                    "delete": SCOPE,
                    "export": SCOPE,
                    "create": {"type": "boolean", "default": False},
                    "import": {"type": "boolean", "default": False},
                    "hidden": {
                        "type": "array",
                        "items": {"type": "string"},
                        "uniqueItems": True,
                        "description": "Fields this role never sees (nor filters, sorts "
                        "or searches on).",
                    },
                    "readonly": {
                        "type": "array",
                        "items": {"type": "string"},
                        "uniqueItems": True,
                        "description": "Fields this role sees but cannot write.",
                    },
                },
            },
        ]
    },
}

OWNER = {
    "type": "string",
    "description": "The link-to-user field that makes a record someone's own, for the `own` and "
    "`team` scopes (default: the user who created it).",
}
