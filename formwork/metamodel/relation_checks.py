"""Checks and building of an entity's validation rules and declared relations (`related:`).

Their formulas are type-checked later, with everything else that holds formulas
(`formwork.rules.config_checks`); here only the names they use are checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .checks import Checks
from .model import Field, Related, Validation, frozen_map
from .source import DocPath


class RelationChecks(Checks):
    def build_validations(
        self, entity: str, doc: Mapping[str, Any], fields: Mapping[str, Field]
    ) -> tuple[Validation, ...]:
        path: DocPath = ("entities", entity, "validations")
        if self.is_broken(path):
            return ()
        built = []
        for index, spec in enumerate(doc.get("validations") or ()):
            item: DocPath = (*path, index)
            target = spec.get("field")
            if target is not None and target not in doc["fields"]:
                self.problem(
                    "FW305",
                    (*item, "field"),
                    f"no field named {target!r}",
                    self.suggest(target, doc["fields"]),
                )
                continue
            message = self.label(spec["message"], (*item, "message"))
            built.append(Validation(spec["rule"], message, self.location((*item, "rule")), target))
        return tuple(built)

    def build_related(self, entity: str, doc: Mapping[str, Any]) -> Mapping[str, Related]:
        path: DocPath = ("entities", entity, "related")
        if self.is_broken(path):
            return frozen_map()
        related = {}
        for name, spec in (doc.get("related") or {}).items():
            item: DocPath = (*path, name)
            if name in doc["fields"]:
                self.problem(
                    "FW303",
                    item,
                    f"{name!r} is already a field of {entity}",
                    "Give the relation another name.",
                )
                continue
            other = spec["entity"]
            if other not in self.entity_names:
                self.problem(
                    "FW304",
                    (*item, "entity"),
                    f"no entity named {other!r}",
                    self.suggest(other, self.entity_names),
                )
                continue
            via = spec["via"]
            other_fields = self.doc["entities"][other].get("fields") or {}
            link = other_fields.get(via)
            if link is None:
                self.problem(
                    "FW305",
                    (*item, "via"),
                    f"{other} has no field {via!r}",
                    self.suggest(via, other_fields),
                )
                continue
            if not (
                isinstance(link, dict) and link.get("type") == "link" and link.get("to") == entity
            ):
                self.problem(
                    "FW308",
                    (*item, "via"),
                    f"{other}.{via} is not a link to {entity}",
                    f"`via` names the link field of {other} that points at {entity}.",
                )
                continue
            label = self.label(spec["label"], (*item, "label")) if "label" in spec else None
            related[name] = Related(name, other, via, label)
        return frozen_map(related)
