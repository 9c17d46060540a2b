"""The shape of approval flows (`flows/*.yaml`): states, who submits, steps, effects.

A flow moves records of one entity through states kept in one of its fields: people submit a
record, approvers decide step by step, and the outcome's effects set fields and the state.
What names refer to (entities, fields, roles, states) and whether every step and state can
be reached is checked later, in `flow_checks`; `formwork.flows` runs the flows.
"""

from __future__ import annotations

from typing import Any

from .schema_rules import formula

NAME_PATTERN = "^[a-z][a-z0-9_]{0,62}$"
NAME = {"type": "string", "pattern": NAME_PATTERN}


def _label(description: str) -> dict[str, Any]:
    return {"$ref": "#/$defs/label", "description": description}


#: One way of finding approvers; a list of them is the union of the people each finds.
APPROVER = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
    "description": "Who approves: every active user with a role, the user a link field of "
    "the record names (through links too: account.manager), or the user a "
    "formula gives (a link to a user, or a username).",
    "properties": {
        "role": {**NAME, "description": "Every active user holding this role."},
        "field": {
            "type": "string",
            "pattern": r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,2}$",
            "description": "A link-to-user field of the record, or a path through links to one.",
        },
        "formula": formula("Gives the approver: a link to a user, or a username."),
    },
}
APPROVERS = {
    "type": "array",
    "minItems": 1,
    "items": {"$ref": "#/$defs/approver"},
}

EFFECT = {
    "type": "object",
    "additionalProperties": False,
    "description": "What an outcome does to the record, through the record service (so its "
    "validations and audit apply).",
    "properties": {
        "state": {"type": "string", "description": "The state the record moves to."},
        "set": {
            "type": "object",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {
                "type": ["string", "number", "boolean", "null"],
                "description": "A formula (text), or a plain number, true/false or null.",
            },
            "description": "Fields to set: field → formula evaluated on the record, e.g. "
            "`approved_on: today()`; text values are written as formulas: `\"'final'\"`.",
        },
    },
}

STEP = {
    "type": "object",
    "required": ["name", "approvers"],
    "additionalProperties": False,
    "properties": {
        "name": {**NAME, "description": "The step's name; unique in the flow."},
        "label": _label("The step's name as people see it (default: its name)."),
        "approvers": {
            **APPROVERS,
            "description": "Who decides this step: each entry adds people (see approver).",
        },
        "mode": {
            "oneOf": [
                {"enum": ["any", "all"]},
                {"type": "integer", "minimum": 1, "maximum": 100},
            ],
            "default": "any",
            "description": "How many must approve: any (the first decision decides), all "
            "(one rejection rejects), or a number N (N of the approvers; rejected once N "
            "approvals can no longer be reached).",
        },
        "when": formula("The step runs only for records where this holds; others skip it."),
        "due_hours": {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "Hours an approver has to decide; later, the task is overdue.",
        },
        "remind_every_hours": {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "Remind the approver of an open task this often (needs due_hours).",
        },
        "escalate_to": {
            **APPROVERS,
            "description": "Who takes over an overdue task (needs due_hours): the task moves "
            "to them, and any of them may decide it.",
        },
    },
}


def flow_properties() -> dict[str, Any]:
    """The top-level keys of a flow file."""
    return {
        "flow": {**NAME, "description": "The flow's name."},
        "entity": {"type": "string", "description": "The entity whose records it approves."},
        "label": _label("The flow's name as people see it."),
        "description": _label("What the flow is for."),
        "state_field": {
            "type": "string",
            "description": "The record's field that keeps its state: a select with an option "
            "per state (or a text field). The flow writes it; make it readonly for people "
            "(`readonly: true`, or per role in permissions).",
        },
        "states": {
            "type": "object",
            "minProperties": 2,
            "propertyNames": {"pattern": NAME_PATTERN},
            "description": "The states a record can be in, by name.",
            "additionalProperties": {
                "type": "object",
                "required": ["label"],
                "additionalProperties": False,
                "properties": {"label": _label("The state's name as people see it.")},
            },
        },
        "initial": {
            "type": "string",
            "description": "The state of records the flow has not touched (default: the first "
            "state).",
        },
        "submit": {
            "type": "object",
            "required": ["state"],
            "additionalProperties": False,
            "description": "Who may submit a record for approval, from which states.",
            "properties": {
                "state": {"type": "string", "description": "The record's state while pending."},
                "from": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"type": "string"},
                    "description": "States a record may be submitted from (default: initial).",
                },
                "roles": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"type": "string"},
                    "description": "Roles that may submit (default: anyone who can see the "
                    "record).",
                },
                "when": formula("Records may be submitted only when this holds."),
            },
        },
        "locked": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string"},
            "description": "Fields nobody may change while a request is pending.",
        },
        "self_approval": {
            "type": "boolean",
            "default": False,
            "description": "Whether the submitter may approve their own request.",
        },
        "steps": {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/$defs/step"},
            "description": "The approval steps, in order; a step whose `when` does not hold "
            "is skipped.",
        },
        "on_approve": {
            "$ref": "#/$defs/effect",
            "required": ["state"],
            "description": "What happens when the last step is approved (a state is needed).",
        },
        "on_reject": {
            "$ref": "#/$defs/effect",
            "description": "What happens when a step rejects (default: back to initial).",
        },
        "on_return": {
            "$ref": "#/$defs/effect",
            "description": "What happens when an approver returns the record for changes "
            "(default: back to initial).",
        },
        "on_withdraw": {
            "$ref": "#/$defs/effect",
            "description": "What happens when the submitter withdraws the request "
            "(default: back to initial).",
        },
    }


FLOW_REQUIRED = [
    "flow",
    "entity",
    "label",
    "state_field",
    "states",
    "submit",
    "steps",
    "on_approve",
]
FLOW_DEFS: dict[str, Any] = {"step": STEP, "approver": APPROVER, "effect": EFFECT}
