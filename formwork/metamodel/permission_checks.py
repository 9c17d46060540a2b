"""Checks and building of an entity's `owner` and `permissions`: roles, fields and scopes.

Scope formulas (`{when: …}`) are type-checked later with all the other formulas.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .checks import Checks
from .model import (
    FULL_ACCESS,
    NO_RECORDS,
    USER_ENTITY,
    Field,
    RolePermissions,
    Scope,
    frozen_map,
)
from .source import DocPath

SCOPED_ACTIONS = ("read", "write", "delete", "export")


class PermissionChecks(Checks):
    def build_owner(
        self, entity: str, doc: Mapping[str, Any], fields: Mapping[str, Field]
    ) -> str | None:
        owner = doc.get("owner")
        if owner is None or self.is_broken(("entities", entity, "owner")):
            return None
        path: DocPath = ("entities", entity, "owner")
        field = fields.get(owner)
        if owner not in doc["fields"]:
            self.problem(
                "FW305", path, f"no field named {owner!r}", self.suggest(owner, doc["fields"])
            )
            return None
        if field is not None and (field.type != "link" or field.setting("to") != USER_ENTITY):
            self.problem(
                "FW308",
                path,
                f"the owner {owner!r} is not a link to user",
                "The owner is a field such as `account_manager: {type: link, to: user}`.",
            )
            return None
        return owner

    def build_permissions(
        self, entity: str, doc: Mapping[str, Any]
    ) -> Mapping[str, RolePermissions]:
        path: DocPath = ("entities", entity, "permissions")
        if self.is_broken(path) or "permissions" not in doc:
            return frozen_map()
        roles = set((self.doc.get("app") or {}).get("roles") or {})
        built = {}
        for role, spec in doc["permissions"].items():
            item: DocPath = (*path, role)
            if role not in roles:
                self.problem("FW306", item, f"no role named {role!r}", self.suggest(role, roles))
                continue
            if spec == "all":
                built[role] = FULL_ACCESS
            elif spec == "none":
                built[role] = RolePermissions()
            else:
                built[role] = self._role(entity, doc, spec, item)
        return frozen_map(built)

    def _role(
        self, entity: str, doc: Mapping[str, Any], spec: Mapping[str, Any], path: DocPath
    ) -> RolePermissions:
        scopes = {}
        for action in SCOPED_ACTIONS:
            raw = spec.get(action)
            if raw is None:
                scopes[action] = (
                    scopes.get("read", NO_RECORDS) if action == "export" else NO_RECORDS
                )
            elif isinstance(raw, str):
                scopes[action] = Scope(raw)
            else:
                scopes[action] = Scope("when", raw["when"])
        lists = {}
        for key in ("hidden", "readonly"):
            names = []
            for index, name in enumerate(spec.get(key) or ()):
                if name not in doc["fields"]:
                    self.problem(
                        "FW305",
                        (*path, key, index),
                        f"no field named {name!r}",
                        self.suggest(name, doc["fields"]),
                    )
                    continue
                names.append(name)
            lists[key] = frozenset(names)
        return RolePermissions(
            read=scopes["read"],
            write=scopes["write"],
            delete=scopes["delete"],
            export=scopes["export"],
            create=bool(spec.get("create", False)),
            import_=bool(spec.get("import", False)),
            hidden=lists["hidden"],
            readonly=lists["readonly"],
        )
