"""The shape of reminders (`reminders/*.yaml`): which records call for a to-do, when, for whom.

A reminder watches a date field of an entity's records and gives people dated to-dos: some
days `before` the date, once the date is `overdue` (while a condition still holds), or
`yearly` on the date's month and day. What names refer to (the entity, its fields, roles,
the fields a title names) is checked later, in `reminder_checks`; `formwork.reminders` makes
the to-dos.
"""

from __future__ import annotations

from typing import Any

from .schema_rules import formula

NAME_PATTERN = "^[a-z][a-z0-9_]{0,62}$"
NAME = {"type": "string", "pattern": NAME_PATTERN}
KINDS = ["before", "overdue", "yearly"]


def _label(description: str) -> dict[str, Any]:
    return {"$ref": "#/$defs/label", "description": description}


#: One way of finding the people a to-do is for; a list of them adds up.
RECIPIENT = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
    "description": "Who gets the to-do: the user a link field of the record names (through "
    "links too: account.manager), or every active user holding a role.",
    "properties": {
        "field": {
            "type": "string",
            "pattern": r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,2}$",
            "description": "A link-to-user field of the record, or a path through links to one.",
        },
        "role": {**NAME, "description": "Every active user holding this role."},
    },
}


def reminder_properties() -> dict[str, Any]:
    """The top-level keys of a reminder file."""
    return {
        "reminder": {**NAME, "description": "The reminder's name."},
        "entity": {"type": "string", "description": "The entity whose records it watches."},
        "label": _label("The reminder's name as people see it."),
        "description": _label("What the reminder is for."),
        "date": {
            "type": "string",
            "description": "The record's date field the reminder counts from (a stored date).",
        },
        "kind": {
            "enum": KINDS,
            "description": "before: `days` days before the date; overdue: once the date is "
            "more than `days` days past, while `when` holds; yearly: every year on the date's "
            "month and day, `days` days ahead.",
        },
        "days": {
            "type": "integer",
            "minimum": 0,
            "maximum": 3650,
            "default": 0,
            "description": "How many days before (before, yearly) or past (overdue) the date.",
        },
        "when": formula(
            "Only records where this holds call for a to-do (overdue reminders need one: "
            "what makes the record still overdue, e.g. `balance > 0`)."
        ),
        "to": {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/$defs/recipient"},
            "description": "Who gets the to-do: each entry adds people (see recipient).",
        },
        "title": _label(
            "The to-do's text; {field} and {link.field} put in the record's values, "
            "e.g. `Order {number} is due on {due_on}`."
        ),
        "repeat_days": {
            "type": "integer",
            "minimum": 1,
            "maximum": 365,
            "description": "Overdue reminders only: a new to-do every this many days while "
            "the record stays overdue.",
        },
    }


REMINDER_REQUIRED = ["reminder", "entity", "label", "date", "kind", "to", "title"]
REMINDER_DEFS: dict[str, Any] = {"recipient": RECIPIENT}
