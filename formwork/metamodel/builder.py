"""From a shape-checked raw document to the typed model, checking meaning on the way.

JSON Schema has already vouched for the shape of each file; what it cannot see is checked
here: names and reserved words, references between entities and fields, option lists,
defaults that fit their type, numbering patterns, labels in the default locale. Every
problem is collected, none stops the others; the model is returned only when there are none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .checks import RESERVED_ENTITY_NAMES
from .dashboard_checks import DashboardChecks
from .field_checks import FieldChecks
from .flow_checks import FlowChecks
from .grading_checks import GradingChecks
from .layout_checks import LayoutChecks
from .model import App, Entity, Label, Role, frozen_map
from .permission_checks import PermissionChecks
from .relation_checks import RelationChecks
from .reminder_checks import ReminderChecks
from .source import DocPath
from .suite_checks import SuiteChecks


class ModelBuilder(
    FieldChecks,
    LayoutChecks,
    RelationChecks,
    PermissionChecks,
    GradingChecks,
    FlowChecks,
    SuiteChecks,
    DashboardChecks,
    ReminderChecks,
):
    """Builds an `App` from a `RawPackage`, adding every problem found to the package."""

    # -- the app ---------------------------------------------------------------------------
    def build(self) -> App | None:
        app_doc = self.doc.get("app") or {}
        if (
            app_doc
            and not self.is_broken(("app", "locales"))
            and not self.is_broken(("app", "default_locale"))
        ):
            self._check_locales(app_doc)
        title = None
        if app_doc and not self.is_broken(("app", "title")):
            title = self.label(app_doc["title"], ("app", "title"))
        self.optional_label(app_doc, "description", ("app",), required=False)
        entities = {}
        for name in self.buildable:
            entity = self.build_entity(name, self.doc["entities"][name])
            if entity is not None:
                entities[name] = entity
        self._check_children(entities)
        gradings = self.build_gradings(entities)
        flows = self.build_flows(entities)
        tests = self.build_tests(entities, gradings)
        dashboards = self.build_dashboards(entities)
        reminders = self.build_reminders(entities)
        roles = self._roles(app_doc) if not self.is_broken(("app", "roles")) else {}
        if not self.is_broken(("app", "navigation")):
            for index, target in enumerate(app_doc.get("navigation") or ()):
                if target not in self.entity_names:
                    self.problem(
                        "FW304",
                        ("app", "navigation", index),
                        f"no entity named {target!r}",
                        self.suggest(target, self.entity_names),
                    )
        if self.package.problems or not app_doc or title is None:
            return None
        return App(
            name=app_doc["app"],
            title=title,
            version=str(app_doc.get("version", "0.0.0")),
            default_locale=self.default_locale,
            locales=self.locales,
            roles=frozen_map(roles),
            entities=frozen_map(entities),
            types=self.types,
            location=self.location(("app",)),
            gradings=frozen_map(gradings),
            tests=frozen_map(tests),
            flows=frozen_map(flows),
            dashboards=frozen_map(dashboards),
            reminders=frozen_map(reminders),
            navigation=tuple(app_doc.get("navigation") or ())
            or tuple(name for name, e in entities.items() if not e.child_of),
        )

    def _check_locales(self, app_doc: Mapping[str, Any]) -> None:
        if self.default_locale not in self.locales:
            # Without an explicit default_locale the culprit is the locales list.
            key = "default_locale" if "default_locale" in app_doc else "locales"
            self.problem(
                "FW407",
                ("app", key),
                f"default locale {self.default_locale!r} is not in locales {list(self.locales)}",
                f"Add {self.default_locale!r} to locales, or set default_locale to one of them.",
            )

    def _roles(self, app_doc: Mapping[str, Any]) -> dict[str, Role]:
        roles = {}
        for name, spec in (app_doc.get("roles") or {}).items():
            path = ("app", "roles", name)
            if self.check_name(name, path, "role"):
                roles[name] = Role(name, self.label(spec["label"], (*path, "label")))
        return roles

    # -- entities --------------------------------------------------------------------------
    def build_entity(self, name: str, doc: Mapping[str, Any]) -> Entity | None:
        path: DocPath = ("entities", name)
        self.check_name(name, (*path, "entity"), "entity", RESERVED_ENTITY_NAMES)
        label = Label(frozen_map())
        if not self.is_broken((*path, "label")):
            label = self.label(doc["label"], (*path, "label"))
        plural = self.optional_label(doc, "plural_label", path)
        child_of = doc.get("child_of")
        if child_of is not None and (child_of not in self.entity_names or child_of == name):
            self.problem(
                "FW304",
                (*path, "child_of"),
                f"child_of names no other entity: {child_of!r}",
                self.suggest(child_of, self.entity_names - {name}),
            )
        fields = {}
        for field_name, spec in doc["fields"].items():
            if self.is_broken((*path, "fields", field_name)):
                continue
            built = self.build_field(name, field_name, spec)
            if built is not None:
                fields[field_name] = built
        self.check_renames(name, fields, doc["fields"])
        title = doc.get("title")
        if title is not None:
            self.check_field_ref(fields, doc["fields"], title, (*path, "title"), stored=True)
        list_doc = {} if self.is_broken((*path, "list")) else doc.get("list") or {}
        list_view = self.build_list_view(name, list_doc, fields, doc["fields"], title)
        form = self.build_form_view(
            name,
            None if self.is_broken((*path, "form")) else doc.get("form"),
            fields,
            doc["fields"],
        )
        return Entity(
            name=name,
            label=label,
            plural_label=plural,
            fields=frozen_map(fields),
            list=list_view,
            form=form,
            location=self.location(path),
            title_field=title,
            child_of=child_of,
            validations=self.build_validations(name, doc, fields),
            related=self.build_related(name, doc),
            owner=self.build_owner(name, doc, fields),
            permissions=self.build_permissions(name, doc),
        )

    def _check_children(self, entities: Mapping[str, Entity]) -> None:
        for entity in entities.values():
            for field in entity.fields.values():
                if field.type != "table":
                    continue
                child = self.doc["entities"].get(field.setting("to"), {})
                if child.get("child_of") != entity.name:
                    self.problem(
                        "FW307",
                        ("entities", entity.name, "fields", field.name, "to"),
                        f"{field.setting('to')!r} is not a child entity of {entity.name!r}",
                        f"Add `child_of: {entity.name}` to {field.setting('to')}.",
                    )
