"""Role permissions per entity in the admin: for each role, which records it may read,
write, delete and export, whether it may create and import, and the fields it may not see
or may not change.

    GET|POST /admin/config/entities/<entity>/permissions

A role's entry is written compactly (`all`, `none`, or only the keys that differ from the
defaults), and only when the admin changed it. An entity without `permissions:` lets every
role do everything; its first change writes an entry for every role, so that the others keep
their access.
"""

from __future__ import annotations

import copy
from typing import Any

from ...overlay.paths import MISSING, join_path
from . import bp, drafting
from .drafting import Draft, Edit, same
from .editor import Page, handle
from .edits import changes
from .entity_fields import entity_doc
from .posted import Posted

ACTIONS = ("read", "write", "delete", "export")
SCOPES = ("all", "own", "team", "none", "when")
FLAGS = (("create", "create"), ("import", "import"))
FIELD_LISTS = ("hidden", "readonly")


@bp.route("/entities/<entity>/permissions", methods=["GET", "POST"])
def permissions(entity: str) -> Page:
    entity_doc(drafting.current(), entity)
    return handle(
        "admin/permissions.html",
        "admin/_permissions_form.html",
        join_path("entities", entity, "permissions"),
        lambda draft, posted: read(PermissionsView(draft, entity), posted),
        lambda draft: {"view": PermissionsView(draft, entity)},
    )


def normal(value: Any) -> dict[str, Any]:
    """A role's entry with every key spelled out (`all`, `none` and absent keys expanded)."""
    if value == "all":
        return {
            **dict.fromkeys(ACTIONS, "all"),
            "create": True,
            "import": True,
            "hidden": [],
            "readonly": [],
        }
    entry = value if isinstance(value, dict) else {}
    out: dict[str, Any] = {action: entry.get(action, "none") for action in ACTIONS[:3]}
    out["export"] = entry.get("export", out["read"])
    out["create"] = entry.get("create") is True
    out["import"] = entry.get("import") is True
    for key in FIELD_LISTS:
        names = entry.get(key)
        out[key] = list(names) if isinstance(names, list) else []
    return out


def compact(entry: dict[str, Any]) -> Any:
    """The shortest way to write a normal entry."""
    if same(entry, normal("all")):
        return "all"
    out: dict[str, Any] = {}
    for action in ACTIONS[:3]:
        if entry[action] != "none":
            out[action] = entry[action]
    if entry["export"] != entry["read"]:
        out["export"] = entry["export"]
    for key, _name in FLAGS:
        if entry[key]:
            out[key] = True
    for key in FIELD_LISTS:
        if entry[key]:
            out[key] = entry[key]
    return out or "none"


class PermissionsView:
    """Each role's permissions on one entity, as the draft has them."""

    def __init__(self, draft: Draft, entity: str) -> None:
        self.draft = draft
        self.entity = entity
        self.base = join_path("entities", entity, "permissions")
        self.doc: dict[str, Any] = entity_doc(draft, entity)
        raw = self.doc.get("permissions")
        self.declared = isinstance(raw, dict)
        self.raw: dict[str, Any] = raw if isinstance(raw, dict) else {}
        roles = (draft.document.get("app") or {}).get("roles")
        self.roles: dict[str, Any] = roles if isinstance(roles, dict) else {}
        fields = self.doc.get("fields")
        self.fields: list[str] = list(fields) if isinstance(fields, dict) else []

    def path(self, role: str, *steps: str) -> str:
        return "/".join((self.base, join_path(role), *steps))

    def entry(self, role: str) -> dict[str, Any]:
        if not self.declared:
            return normal("all")
        return normal(self.raw.get(role, "none"))

    def scope_kind(self, scope: Any) -> str:
        return "when" if isinstance(scope, dict) else str(scope)

    def role_label(self, role: str) -> Any:
        doc = self.roles.get(role)
        return doc.get("label") if isinstance(doc, dict) else None

    def listed(self) -> list[str]:
        """Roles of the app, then any the entity names that the app does not declare."""
        return [*self.roles, *(r for r in self.raw if r not in self.roles)]


def read(view: PermissionsView, posted: Posted) -> list[Edit]:
    new_raw = copy.deepcopy(view.raw)
    touched = False
    for role in view.listed():
        before = view.entry(role)
        after = _read_entry(view, posted, role, before)
        if same(before, after):
            continue
        touched = True
        new_raw[role] = _written(view.raw.get(role, MISSING), before, after)
    if not touched:
        return []
    if not view.declared:
        for role in view.listed():
            new_raw.setdefault(role, "all")
    old = view.raw if view.declared else MISSING
    return changes(view.base, old, new_raw)


def _written(raw: Any, before: dict[str, Any], after: dict[str, Any]) -> Any:
    """The role's entry with the changed keys written into what the package wrote, so that
    the patches name only what the admin changed."""
    if not isinstance(raw, dict):
        return compact(after)
    entry = copy.deepcopy(raw)
    for key, value in after.items():
        if same(value, before[key]):
            continue
        empty = value in ("none", False, [])
        if empty and key != "export":
            entry.pop(key, None)
        else:
            entry[key] = value
    if same(normal(entry), normal("all")):
        return "all"
    return entry or "none"


def _read_entry(
    view: PermissionsView, posted: Posted, role: str, before: dict[str, Any]
) -> dict[str, Any]:
    entry = copy.deepcopy(before)
    for action in ACTIONS:
        kind = posted.choice(view.path(role, action), view.scope_kind(before[action]), SCOPES)
        if kind is MISSING:
            continue
        if kind == "when":
            current = before[action].get("when", "") if isinstance(before[action], dict) else ""
            formula = posted.formula(view.path(role, action, "when"), current)
            entry[action] = {"when": formula if isinstance(formula, str) else ""}
        else:
            entry[action] = kind
    for key, _name in FLAGS:
        value = posted.flag(view.path(role, key), before[key])
        entry[key] = value is True
    for key in FIELD_LISTS:
        value = posted.names(view.path(role, key), before[key])
        entry[key] = list(value) if isinstance(value, list) else []
    return entry
