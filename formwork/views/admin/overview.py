"""The admin's config overview: what can be edited, and what the draft changes.

GET  /admin/config/           entities, gradings, flows and roles with their editors; the
                              draft's changes (package value → draft value), conflicts
                              with the package and problems, and the way to the preview
POST /admin/config/reset      one change back to the package's value (`path`)
POST /admin/config/discard    the whole draft thrown away (back to the running config)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...auth.session import safe_next
from ...metamodel.problems import Problem
from ...overlay.paths import MISSING, join_path
from ..context import runtime
from . import bp, drafting
from .drafting import Draft, scalar_text

MAX_VALUE_TEXT = 160


@dataclass(frozen=True)
class Change:
    """One patch of the draft as the overview lists it."""

    path: str
    op: str
    package: str
    draft: str


@bp.get("/")
def overview() -> str:
    draft = drafting.current()
    return render_template(
        "admin/overview.html",
        draft=draft,
        changes=changes_of(draft),
        problems=[(p, editor_link(draft, p)) for p in draft.candidate.problems],
    )


@bp.post("/reset")
def reset() -> Response:
    path = request.form.get("path", "")
    if not drafting.valid_path(path) or drafting.current().overlay.patch_at(path) is None:
        abort(400)
    drafting.reset([path])
    flash(_("Back to the package's value."))
    return redirect(safe_next(request.form.get("next"), url_for(".overview")), 303)


@bp.post("/discard")
def discard() -> Response:
    runtime().site.discard_draft()
    flash(_("Draft discarded: it is the running config again."))
    return redirect(url_for(".overview"), 303)


def changes_of(draft: Draft) -> list[Change]:
    return [
        Change(
            patch.path,
            patch.op,
            value_text(draft.package_value(patch.path)),
            value_text(patch.value) if patch.op == "set" else _("(removed)"),
        )
        for patch in draft.overlay.patches
    ]


def value_text(value: Any) -> str:
    """A value of the document as one short line."""
    if value is MISSING:
        return _("(none)")
    plain = scalar_text(value)
    if plain is None:
        plain = json.dumps(value, ensure_ascii=False, default=str)
    return plain if len(plain) <= MAX_VALUE_TEXT else plain[: MAX_VALUE_TEXT - 1] + "…"


def editor_link(draft: Draft, problem: Problem) -> str | None:
    """The editor page where a problem's path is edited, if there is one."""
    steps = _steps(problem.path)
    if not steps:
        return None
    if steps[0] == "app":
        return url_for(".labels")
    if len(steps) < 2 or not isinstance(draft.value(join_path(steps[0], steps[1])), dict):
        return None
    section, name = steps[0], steps[1]
    if section == "gradings":
        return url_for(".grading", name=name)
    if section == "flows":
        return url_for(".flow", name=name)
    if section != "entities":
        return None
    part = steps[2] if len(steps) > 2 else ""
    if part == "fields" and len(steps) > 3:
        return url_for(".field", entity=name, field=steps[3])
    if part in ("list", "form"):
        return url_for(".layout", entity=name)
    if part == "permissions":
        return url_for(".permissions", entity=name)
    return url_for(".fields", entity=name)


def _steps(path: str) -> list[str]:
    """`entities.x.fields[2].y` → ["entities", "x", "fields", "y"] (indexes left out)."""
    out = []
    for part in path.split("."):
        name = part.split("[", 1)[0]
        if name:
            out.append(name)
    return out
