"""A test-only app for the record forms: one entity with a field of every type, a child
table, attachments, conditional fields and a computed field (the reference app has none of
those), plus a second entity to link to.

    job      — every field type; `lost_reason` is visible and required only when the stage is
               lost; `budget` is locked once the stage is won; `total` = budget + extras.
               Role `worker` may do everything, `clerk` does not see `budget` and may not
               change `margin`.
    task     — the rows of job.tasks (title required, due date, hours, a link to a user)
    site     — what job.site links to (searchable by name)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.packages import write_package

JOB_FIELDS: dict[str, Any] = {
    "number": {"type": "autonumber", "format": "J-{####}"},
    "title": {"type": "text", "required": True, "max_length": 60, "help": {"en": "Short name"}},
    "notes": {"type": "longtext"},
    "body": {"type": "richtext"},
    "crew": {"type": "integer", "min": 1, "max": 50},
    "weight": {"type": "decimal", "places": 3},
    "budget": {"type": "money", "min": 0, "readonly_when": "stage == 'won'"},
    "extras": {"type": "money"},
    "margin": {"type": "percent"},
    "total": {"type": "money", "formula": "coalesce(budget, 0) + coalesce(extras, 0)"},
    "urgent": {"type": "boolean", "default": False},
    "start_on": {"type": "date"},
    "meeting_at": {"type": "datetime"},
    "stage": {"type": "select", "options": ["open", "won", "lost"]},
    "kind": {"type": "select", "options": ["a", "b", "c", "d", "e", "f"]},
    "tags": {"type": "multiselect", "options": ["red", "green", "blue"]},
    "stars": {"type": "rating", "max": 5},
    "email": {"type": "email"},
    "phone": {"type": "phone"},
    "website": {"type": "url"},
    "site": {"type": "link", "to": "site"},
    "lead": {"type": "link", "to": "user"},
    "lost_reason": {
        "type": "text",
        "visible_when": "stage == 'lost'",
        "required_when": "stage == 'lost'",
    },
    "tasks": {"type": "table", "to": "task", "max_rows": 4},
    "files": {"type": "attachment", "max_files": 3, "max_size_mb": 1, "accept": [".pdf", ".txt"]},
}

MAIN = ["number", "title", "stage", "lost_reason"]
MONEY = ["budget", "extras", "margin", "total"]

PACKAGE: dict[str, dict[str, Any]] = {
    "job": {
        "title": "title",
        "fields": JOB_FIELDS,
        "form": {
            "sections": [
                {"label": {"en": "Main"}, "fields": MAIN},
                {"label": {"en": "Money"}, "fields": MONEY},
                {"fields": [n for n in JOB_FIELDS if n not in MAIN + MONEY]},
            ]
        },
        "permissions": {
            "worker": "all",
            "clerk": {
                "read": "all",
                "write": "all",
                "create": True,
                "hidden": ["budget"],
                "readonly": ["margin"],
            },
        },
    },
    "task": {
        "child_of": "job",
        "fields": {
            "title": {"type": "text", "required": True},
            "due_on": {"type": "date"},
            "hours": {"type": "decimal", "places": 1, "min": 0},
            "owner": {"type": "link", "to": "user"},
            "done": {"type": "boolean"},
        },
    },
    "site": {
        "title": "name",
        "fields": {"name": {"type": "text", "required": True}},
        "list": {"columns": ["name"], "search": ["name"]},
    },
}

ROLES = {"roles": {"worker": {"label": {"en": "Worker"}}, "clerk": {"label": {"en": "Clerk"}}}}


def job_package(tmp_path: Path) -> Path:
    return write_package(tmp_path, PACKAGE, app=ROLES)
