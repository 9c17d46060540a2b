"""The shape of dashboards (`dashboards/*.yaml`): who sees them and their widgets.

Each widget is a number card or a chart over one entity's records; what its keys name
(entities, fields, roles, option values) and whether they suit the widget is checked later,
in `dashboard_checks`; `formwork.views.dashboards` shows them.
"""

from __future__ import annotations

from typing import Any

from .dashboard_model import MEASURE_FUNCTIONS, PERIODS, WIDGET_KINDS

NAME_PATTERN = "^[a-z][a-z0-9_]{0,62}$"
#: A filter key: a field name, or a field name with `.min` / `.max` for a range.
FILTER_KEY = r"^[a-z][a-z0-9_]*(\.(min|max))?$"
SCALAR = {"type": ["string", "number", "boolean"]}
#: The keys each kind of widget needs besides kind, label and entity.
KIND_NEEDS: dict[str, list[str]] = {
    "bar": ["group"],
    "pie": ["group"],
    "funnel": ["group"],
    "line": ["date"],
    "aging": ["date", "buckets"],
}


def _label(description: str) -> dict[str, Any]:
    return {"$ref": "#/$defs/label", "description": description}


FILTER = {
    "type": "object",
    "propertyNames": {"pattern": FILTER_KEY},
    "additionalProperties": {
        "oneOf": [SCALAR, {"type": "array", "minItems": 1, "items": SCALAR}],
    },
    "description": "Which records count, in the terms of the list page's URL: `field: value` "
    "(or a list: any of them), `field.min:` / `field.max:` for a range of a number or date "
    "field. Dates may be relative: `today`, `-30d`, `+2w`, `-12m`, `-1y`. A link to a user "
    "may be `me`, the person looking.",
}

MEASURE = {
    "oneOf": [
        {"enum": ["count"]},
        {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": False,
            "properties": {
                name: {"type": "string", "description": f"The {name} of this number field."}
                for name in MEASURE_FUNCTIONS
                if name != "count"
            },
        },
    ],
    "default": "count",
    "description": "What is shown per group: `count` (records), or `{sum: field}`, "
    "`{avg: field}`, `{min: field}`, `{max: field}` of a number or money field.",
}

WIDGET = {
    "type": "object",
    "required": ["kind", "label", "entity"],
    "additionalProperties": False,
    "properties": {
        "kind": {
            "enum": list(WIDGET_KINDS),
            "description": "number (one figure), bar, pie, funnel (grouped by `group`), line "
            "(over time, by `date`), aging (days from `date` to today, in `buckets`).",
        },
        "label": _label("The widget's title."),
        "caption": _label("A short line under the figure, saying what it counts."),
        "entity": {"type": "string", "description": "The entity whose records it counts."},
        "filter": FILTER,
        "measure": MEASURE,
        "group": {
            "type": "string",
            "description": "bar, pie, funnel: the select field (its options give the order and "
            "colours) or link field to group by.",
        },
        "date": {
            "type": "string",
            "description": "line, aging: the date field.",
        },
        "period": {
            "enum": list(PERIODS),
            "default": "month",
            "description": "line: the length of each step of the time axis.",
        },
        "buckets": {
            "type": "array",
            "minItems": 1,
            "maxItems": 12,
            "items": {"type": "integer", "minimum": 0},
            "description": "aging: where each bucket of days starts, ascending: [0, 30, 60, 90] "
            "makes 0–29, 30–59, 60–89 and 90+ days.",
        },
        "limit": {
            "type": "integer",
            "minimum": 1,
            "maximum": 50,
            "default": 10,
            "description": "bar, pie, funnel grouped by a link: how many of the largest groups "
            "to show.",
        },
        "wide": {
            "type": "boolean",
            "default": False,
            "description": "Take two columns of the grid (on wide screens).",
        },
    },
}

#: A widget item: its keys, and the keys its kind needs (kept apart from WIDGET so that an
#: unknown key is reported against the list of every widget key).
WIDGET_ITEM = {
    "allOf": [
        {"$ref": "#/$defs/widget_keys"},
        *(
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"required": needs},
            }
            for kind, needs in KIND_NEEDS.items()
        ),
    ]
}


def dashboard_properties() -> dict[str, Any]:
    """The top-level keys of a dashboard file."""
    return {
        "dashboard": {"type": "string", "pattern": NAME_PATTERN, "description": "Its name."},
        "label": _label("The dashboard's name as people see it."),
        "description": _label("What the dashboard is for."),
        "roles": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string"},
            "description": "The roles that see it (default: everyone signed in). Each widget "
            "still counts only the records the viewer may read.",
        },
        "widgets": {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/$defs/widget"},
            "description": "The number cards and charts, in the order they are shown.",
        },
    }


DASHBOARD_REQUIRED = ["dashboard", "label", "widgets"]
DASHBOARD_DEFS: dict[str, Any] = {"widget": WIDGET_ITEM, "widget_keys": WIDGET}
