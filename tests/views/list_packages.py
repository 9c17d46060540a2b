"""A test-only app for list and board pages: what the reference app lacks for them.

`task` has a small page size (pagination with few records), a board field (`stage`) with a
validation that refuses some moves, a computed select (`size`), a datetime (local-day
ranges), an owner scope and a role that sees `stage` read-only. `comment` links to a task
with the default `restrict`, so a task with comments cannot be deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask

from formwork import create_app
from formwork.app import runtime_of
from formwork.auth.passwords import Passwords
from formwork.store.schema_sync import apply_sync
from tests.packages import write_package
from tests.views.conftest import CHEAP

ROLES = {
    "admin": {"label": {"en": "Administrator"}},
    "worker": {"label": {"en": "Worker"}},
    "viewer": {"label": {"en": "Viewer"}},
}

TASK: dict[str, Any] = {
    "label": {"en": "Task"},
    "plural_label": {"en": "Tasks"},
    "title": "title",
    "owner": "owner",
    "fields": {
        "title": {"type": "text", "required": True, "searchable": True},
        "stage": {
            "type": "select",
            "options": [
                {"value": "todo", "label": {"en": "To do"}},
                {"value": "doing", "label": {"en": "Doing"}},
                {"value": "done", "label": {"en": "Done"}, "color": "green"},
            ],
        },
        "points": {"type": "integer"},
        "size": {"type": "select", "options": ["S", "L"], "formula": "'L' if points >= 5 else 'S'"},
        "owner": {"type": "link", "to": "user"},
        "due": {"type": "datetime"},
    },
    "validations": [
        {
            "rule": "is_empty(stage) or stage != 'done' or coalesce(points, 0) > 0",
            "field": "stage",
            "message": {"en": "Estimate the task before it is done"},
        }
    ],
    "permissions": {
        "admin": "all",
        "worker": {"read": "own", "write": "own", "create": True, "delete": "own"},
        "viewer": {"read": "all", "write": "all", "readonly": ["stage"]},
    },
    "list": {
        "columns": ["title", "stage", "points", "size", "owner"],
        "filters": ["stage", "points", "owner", "due"],
        "search": ["title"],
        "sort": ["title"],
        "board": "stage",
        "page_size": 5,
    },
}

COMMENT: dict[str, Any] = {
    "label": {"en": "Comment"},
    "title": "text",
    "fields": {
        "text": {"type": "text", "required": True},
        "task": {"type": "link", "to": "task"},
    },
}


def write_tasks_package(tmp_path: Path) -> Path:
    return write_package(
        tmp_path,
        {"task": TASK, "comment": COMMENT},
        app={"roles": ROLES, "navigation": ["task", "comment"]},
    )


def tasks_app(tmp_path: Path) -> Iterator[Flask]:
    """The task app, migrated, like the reference `app` fixture (override it with this)."""
    flask_app = create_app({"instance": tmp_path, "package": write_tasks_package(tmp_path)})
    runtime = runtime_of(flask_app)
    apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=tmp_path)
    flask_app.extensions["formwork_users"].passwords = Passwords(CHEAP)
    yield flask_app
    runtime.close()
