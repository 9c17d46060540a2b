"""How the publish pages word things: a revision's diff (path: old → new), the step a running
publish is at, and why a publish failed (it is atomic: every failure says nothing changed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from ...overlay import MISSING, Patch, Revision


@dataclass(frozen=True)
class DiffLine:
    path: str
    old: str
    new: str
    #: set, remove or reset (back to the package's value).
    op: str


def diff_lines(revision: Revision, previous: Revision | None) -> list[DiffLine]:
    """What `revision` changed, each path with the value before and after it."""
    return [_line(patch, previous) for patch in revision.diff]


def _line(patch: Patch, previous: Revision | None) -> DiffLine:
    before = previous.overlay.patch_at(patch.path) if previous is not None else None
    if before is None:
        old = _value(patch.base)
    elif before.op == "remove":
        old = _("(removed)")
    else:
        old = _value(before.value)
    if patch.op == "set":
        new = _value(patch.value)
    elif patch.op == "remove":
        new = _("(removed)")
    else:
        new = _("%(value)s (the package's value)", value=_value(patch.base))
    return DiffLine(patch.path, old, new, patch.op)


def _value(value: Any) -> str:
    if value is MISSING:
        return _("(not set)")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


FAILURES = {
    "ConfigInvalid": lambda detail: _("The configuration has problems; nothing was changed."),
    "SchemaSyncRefused": lambda detail: _(
        "The data does not allow a change of the schema; nothing was changed. %(detail)s",
        detail=detail,
    ),
    "SchemaSyncStale": lambda detail: _(
        "The database changed while publishing; nothing was changed. Try again."
    ),
}


def failure_text(state: dict[str, Any]) -> str:
    """Why a publish job failed, for its page."""
    detail = state.get("error") or ""
    known = FAILURES.get(state.get("error_kind") or "")
    if known is not None:
        return known(detail)
    return _("Publishing failed; nothing was changed: %(detail)s", detail=detail)


def step_text(
    step: str, grading_label: Callable[[str], str], entity_label: Callable[[str], str] = str
) -> str:
    """The step a running publish reported ("plan", "sync", "store", "regrade <grading>",
    "recompute <entity>")."""
    if step.startswith("regrade "):
        return _("Re-grading: %(grading)s", grading=grading_label(step.removeprefix("regrade ")))
    if step.startswith("recompute "):
        return _("Recomputing: %(entity)s", entity=entity_label(step.removeprefix("recompute ")))
    steps = {
        "plan": _("Checking the data"),
        "sync": _("Changing the tables"),
        "store": _("Storing the revision"),
    }
    return steps.get(step, step)
