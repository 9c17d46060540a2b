"""The approval flow editor: who may submit and when, and the steps — their approvers,
conditions, how many must approve and the deadline.

    GET|POST /admin/config/flows/<name>

Requests already in flight keep the flow version they started with; a published change
applies to requests submitted afterwards (the preview says how many are in flight).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import abort
from flask_babel import gettext as _

from ...overlay.paths import MISSING, item_step, join_path
from . import bp, drafting, listops
from .drafting import Draft, Edit
from .editor import FormError, Page, handle
from .edits import changes
from .posted import Posted, put

APPROVER_KINDS = ("role", "field", "formula")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
NEW_STEP = "__new_step"


@bp.route("/flows/<name>", methods=["GET", "POST"])
def flow(name: str) -> Page:
    base = join_path("flows", name)
    if not isinstance(drafting.current().value(base), dict):
        abort(404)
    return handle(
        "admin/flow.html",
        "admin/_flow_form.html",
        base,
        lambda draft, posted: read(FlowView(draft, name), posted),
        lambda draft: {"view": FlowView(draft, name)},
    )


class FlowView:
    """A flow as the draft has it, with the paths its inputs edit."""

    def __init__(self, draft: Draft, name: str) -> None:
        self.draft = draft
        self.name = name
        self.base = join_path("flows", name)
        self.doc: dict[str, Any] = draft.value(self.base)
        self.entity = str(self.doc.get("entity", ""))
        submit = self.doc.get("submit")
        self.submit: dict[str, Any] = submit if isinstance(submit, dict) else {}
        roles = (draft.document.get("app") or {}).get("roles")
        self.roles: list[str] = list(roles) if isinstance(roles, dict) else []

    def path(self, *steps: str) -> str:
        return "/".join((self.base, *steps))

    def relative(self, path: str) -> str:
        return path[len(self.base) + 1 :]

    def steps(self) -> list[tuple[str, int, dict[str, Any]]]:
        steps = self.doc.get("steps")
        if not isinstance(steps, list):
            return []
        return [
            (f"{self.base}/steps/{join_path(item_step(steps, i))}", i, step)
            for i, step in enumerate(steps)
            if isinstance(step, dict)
        ]

    @staticmethod
    def approvers(step: dict[str, Any]) -> list[tuple[int, str, str]]:
        """(index, kind, value) of a step's approvers."""
        found = []
        for index, approver in enumerate(step.get("approvers") or ()):
            if isinstance(approver, dict) and approver:
                kind, value = next(iter(approver.items()))
                found.append((index, str(kind), str(value)))
        return found

    @property
    def role_choices(self) -> list[tuple[str, str]]:
        return [(role, role) for role in self.roles]


def read(view: FlowView, posted: Posted) -> list[Edit]:
    old = view.doc
    new = copy.deepcopy(old)
    locales = view.draft.locales
    put(new, "label", posted.label(view.path("label"), old.get("label", MISSING), locales))
    if isinstance(old.get("submit"), dict):
        submit = new["submit"]
        put(
            submit,
            "roles",
            posted.names(view.path("submit/roles"), submit.get("roles", MISSING)) or MISSING,
        )
        put(submit, "when", posted.formula(view.path("submit/when"), submit.get("when", MISSING)))
    for path, index, step in view.steps():
        target = new["steps"][index]
        put(target, "label", posted.label(f"{path}/label", step.get("label", MISSING), locales))
        put(target, "when", posted.formula(f"{path}/when", step.get("when", MISSING)))
        put(target, "mode", _mode(posted.text(f"{path}/mode", step.get("mode", MISSING))))
        for key in ("due_hours", "remind_every_hours"):
            put(target, key, posted.number(f"{path}/{key}", step.get(key, MISSING)))
        approvers = []
        for number, kind, value in view.approvers(step):
            new_kind = posted.choice(f"{path}/__approver/{number}/kind", kind, APPROVER_KINDS)
            new_value = posted.text(f"{path}/__approver/{number}/value", value)
            approvers.append(
                {
                    new_kind if new_kind is not MISSING else kind: new_value
                    if new_value is not MISSING
                    else ""
                }
            )
        if approvers or "approvers" in step:
            target["approvers"] = approvers
    op = listops.parse(posted.raw("op"))
    if op is not None:
        if op.verb == "add" and op.list == "steps":
            listops.apply(op, new, lambda items: _new_step(posted, items, view))
        elif op.verb == "add" and op.list.endswith("/approvers"):
            listops.apply(op, new, lambda items: {"role": view.roles[0] if view.roles else ""})
        else:
            listops.apply(op, new)
    return changes(view.base, old, new)


def _mode(value: Any) -> Any:
    """`any`, `all` or a number of approvers."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _new_step(posted: Posted, items: list[Any], view: FlowView) -> dict[str, Any]:
    name = posted.raw(f"{NEW_STEP}/name").strip()
    taken = {str(s.get("name")) for s in items if isinstance(s, dict)}
    if not NAME.match(name):
        raise FormError(
            {f"{NEW_STEP}/name": _("Use lower_snake_case: a letter, then letters, digits or _.")}
        )
    if name in taken:
        raise FormError(
            {f"{NEW_STEP}/name": _("There is a step named %(name)s already.", name=name)}
        )
    role = posted.raw(f"{NEW_STEP}/role") or (view.roles[0] if view.roles else "")
    return {"name": name, "approvers": [{"role": role}]}
