"""From a shape-checked raw document to the typed model, checking meaning on the way.

JSON Schema has already vouched for the shape of each file; what it cannot see is checked
here: names and reserved words, references between entities and fields, option lists,
defaults that fit their type, numbering patterns, labels in the default locale. Every
problem is collected, none stops the others; the model is returned only when there are none.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Any

import marshmallow as ma

from .fieldtypes import FieldTypeRegistry
from .model import (
    CHILD_COLUMNS,
    SYSTEM_COLUMNS,
    USER_ENTITY,
    App,
    Entity,
    Field,
    FormSection,
    FormView,
    Label,
    ListView,
    Option,
    Role,
    SortKey,
    frozen_map,
)
from .numbering import parse_pattern
from .package import RawPackage
from .problems import Location
from .schema import COMMON_FIELD_KEYS
from .source import DocPath, format_path

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RESERVED_ENTITY_NAMES = frozenset({USER_ENTITY, "alembic_version"})
RESERVED_FIELD_NAMES = (
    frozenset(SYSTEM_COLUMNS + CHILD_COLUMNS)
    | frozenset(keyword.kwlist)
    | {
        "true",
        "false",
        "none",
        "null",
        "self",
        "record",
        "today",
        "now",
    }
)
DEFAULT_LIST_COLUMNS = 6


class ModelBuilder:
    """Builds an `App` from a `RawPackage`, adding every problem found to the package."""

    def __init__(self, package: RawPackage, types: FieldTypeRegistry) -> None:
        self.package = package
        self.types = types
        self.doc = package.document
        app = self.doc.get("app") or {}
        self.default_locale: str = app.get("default_locale", "zh")
        self.locales: tuple[str, ...] = tuple(app.get("locales") or ("zh", "en"))
        self.entity_names = set(self.doc.get("entities", {}))
        # Nodes with shape errors are not built (they may hold anything); everything else is,
        # so one typo does not hide the other problems. Broken names still count as declared,
        # so references to them add no noise.
        self.broken = [p.path for p in package.problems]
        self.buildable = sorted(n for n in self.entity_names if not self._entity_broken(n))
        self.app_broken = format_path(("app",)) in self.broken or self.is_broken(("app", "title"))

    def is_broken(self, path: DocPath) -> bool:
        """Whether a shape problem was reported at `path` or inside it."""
        text = format_path(path)
        return any(b == text or b.startswith((text + ".", text + "[")) for b in self.broken)

    def _entity_broken(self, name: str) -> bool:
        root = format_path(("entities", name))
        if root in self.broken:  # a required key is missing
            return True
        # The entity is unusable if one of these nodes itself is wrong (problems inside single
        # fields only drop those fields).
        exact = {
            format_path(("entities", name, key))
            for key in ("entity", "fields", "child_of", "title")
        }
        return any(b in exact for b in self.broken)

    # -- reporting -------------------------------------------------------------------------
    def problem(self, code: str, path: DocPath, message: str, hint: str = "") -> None:
        self.package.problem(code, path, message, hint)

    def location(self, path: DocPath) -> Location:
        return self.package.sources.locate(path) or Location(str(self.package.root))

    # -- the app ---------------------------------------------------------------------------
    def build(self) -> App | None:
        app_doc = self.doc.get("app") or {}
        if (
            app_doc
            and not self.is_broken(("app", "locales"))
            and not self.is_broken(("app", "default_locale"))
        ):
            self._check_locales(app_doc)
        entities = {}
        for name in self.buildable:
            entity = self.build_entity(name, self.doc["entities"][name])
            if entity is not None:
                entities[name] = entity
        self._check_children(entities)
        roles = self._roles(app_doc) if not self.is_broken(("app", "roles")) else {}
        if not self.is_broken(("app", "navigation")):
            for index, target in enumerate(app_doc.get("navigation") or ()):
                if target not in self.entity_names:
                    self.problem(
                        "FW304",
                        ("app", "navigation", index),
                        f"no entity named {target!r}",
                        self._suggest(target, self.entity_names),
                    )
        if self.package.problems or not app_doc:
            return None
        return App(
            name=app_doc["app"],
            title=self.label(app_doc["title"], ("app", "title")),
            version=str(app_doc.get("version", "0.0.0")),
            default_locale=self.default_locale,
            locales=self.locales,
            roles=frozen_map(roles),
            entities=frozen_map(entities),
            types=self.types,
            location=self.location(("app",)),
        )

    def _check_locales(self, app_doc: Mapping[str, Any]) -> None:
        if self.default_locale not in self.locales:
            self.problem(
                "FW407",
                ("app", "default_locale"),
                f"default locale {self.default_locale!r} is not in locales {list(self.locales)}",
                f"Add {self.default_locale!r} to locales.",
            )

    def _roles(self, app_doc: Mapping[str, Any]) -> dict[str, Role]:
        roles = {}
        for name, spec in (app_doc.get("roles") or {}).items():
            path = ("app", "roles", name)
            if self.check_name(name, path, "role"):
                roles[name] = Role(name, self.label(spec["label"], (*path, "label")))
        return roles

    # -- names and labels ------------------------------------------------------------------
    def check_name(
        self, name: str, path: DocPath, what: str, reserved: frozenset[str] = frozenset()
    ) -> bool:
        if not NAME.match(name):
            self.problem(
                "FW301",
                path,
                f"{what} name {name!r} is not lower_snake_case",
                f"Try {_snake(name)!r}.",
            )
            return False
        if name in reserved or name.startswith("fw_"):
            self.problem(
                "FW302",
                path,
                f"{what} name {name!r} is reserved",
                f"Try {name + '_value' if what == 'field' else 'my_' + name!r}.",
            )
            return False
        return True

    def label(self, raw: Any, path: DocPath, required: bool = True) -> Label:
        texts = {self.default_locale: raw} if isinstance(raw, str) else dict(raw or {})
        for locale in texts:
            if locale not in self.locales:
                self.problem(
                    "FW407",
                    (*path, locale),
                    f"locale {locale!r} is not one of the app's locales {list(self.locales)}",
                    "Add it to app.yaml locales, or fix it.",
                )
        if required and self.default_locale not in texts:
            self.problem(
                "FW404",
                path,
                f"no label in the default locale {self.default_locale!r}",
                f"Add `{self.default_locale}: …`.",
            )
        return Label(frozen_map(texts))

    # -- entities --------------------------------------------------------------------------
    def build_entity(self, name: str, doc: Mapping[str, Any]) -> Entity | None:
        path: DocPath = ("entities", name)
        self.check_name(name, (*path, "entity"), "entity", RESERVED_ENTITY_NAMES)
        label = Label(frozen_map())
        if not self.is_broken((*path, "label")):
            label = self.label(doc["label"], (*path, "label"))
        plural = None
        if "plural_label" in doc and not self.is_broken((*path, "plural_label")):
            plural = self.label(doc["plural_label"], (*path, "plural_label"))
        child_of = doc.get("child_of")
        if child_of is not None and (child_of not in self.entity_names or child_of == name):
            self.problem(
                "FW304",
                (*path, "child_of"),
                f"child_of names no other entity: {child_of!r}",
                self._suggest(child_of, self.entity_names - {name}),
            )
        fields = {}
        for field_name, spec in doc["fields"].items():
            if self.is_broken((*path, "fields", field_name)):
                continue
            built = self.build_field(name, field_name, spec)
            if built is not None:
                fields[field_name] = built
        renamed = {f.renamed_from: f for f in fields.values() if f.renamed_from}
        for old, field in renamed.items():
            if old in fields:
                self.problem(
                    "FW309",
                    (*path, "fields", field.name, "renamed_from"),
                    f"{old!r} is still a field of {name}",
                    "Remove the old field, or the renamed_from.",
                )
        title = doc.get("title")
        if title is not None:
            self._check_field_ref(fields, doc["fields"], title, (*path, "title"), stored=True)
        list_doc = {} if self.is_broken((*path, "list")) else doc.get("list") or {}
        list_view = self._list_view(name, list_doc, fields, doc["fields"], title)
        form = self._form(
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
        )

    def build_field(self, entity: str, name: str, spec: Mapping[str, Any]) -> Field | None:
        path: DocPath = ("entities", entity, "fields", name)
        ok = self.check_name(name, path, "field", RESERVED_FIELD_NAMES)
        kind = self.types[spec["type"]]
        for key in spec:
            if key not in COMMON_FIELD_KEYS and key not in kind.settings:
                valid = ", ".join(sorted(kind.settings)) or "none"
                self.problem(
                    "FW206",
                    (*path, key),
                    f"{key!r} is not a setting of type {kind.name}",
                    f"Settings of {kind.name}: {valid}.",
                )
                ok = False
        options = self._options(spec, kind, path)
        settings = {k: v for k, v in spec.items() if k in kind.settings}
        if "label" not in spec:
            self.problem(
                "FW404",
                path,
                f"field {name!r} has no label",
                f"Add `label: {{{self.default_locale}: …}}`.",
            )
        label = self.label(spec.get("label", name), (*path, "label"))
        ok &= self._check_settings(kind.name, settings, path)
        if spec.get("unique") and (
            not kind.stored or kind.name in ("multiselect", "attachment", "longtext")
        ):
            self.problem("FW308", (*path, "unique"), f"a {kind.name} field cannot be unique")
            ok = False
        field = Field(
            name=name,
            entity=entity,
            kind=kind,
            label=label,
            location=self.location(path),
            help=self.label(spec["help"], (*path, "help"), required=False)
            if "help" in spec
            else None,
            required=bool(spec.get("required", False)),
            unique=bool(spec.get("unique", False)),
            options=options,
            settings=frozen_map(settings),
            searchable=bool(spec.get("searchable", False)),
            indexed=bool(spec.get("indexed", False)),
            readonly=bool(spec.get("readonly", False)),
            renamed_from=spec.get("renamed_from"),
        )
        if "default" in spec:
            field = self._with_default(field, spec["default"], (*path, "default"))
        return field if ok else None

    def _options(self, spec: Mapping[str, Any], kind: Any, path: DocPath) -> tuple[Option, ...]:
        raw = spec.get("options")
        if raw is None:
            return ()
        if not kind.has_options:
            return ()  # reported as FW206 already
        if not raw:
            self.problem("FW401", (*path, "options"), "the options list is empty")
            return ()
        seen: set[str] = set()
        options = []
        for index, item in enumerate(raw):
            value = item if isinstance(item, str) else item["value"]
            if value in seen:
                self.problem(
                    "FW402", (*path, "options", index), f"option {value!r} is listed twice"
                )
                continue
            seen.add(value)
            label_raw = item.get("label", value) if isinstance(item, dict) else value
            label = self.label(label_raw, (*path, "options", index, "label"))
            options.append(
                Option(value, label, item.get("color") if isinstance(item, dict) else None)
            )
        return tuple(options)

    def _check_settings(self, type_name: str, settings: Mapping[str, Any], path: DocPath) -> bool:
        ok = True
        for low, high in (("min", "max"), ("min_length", "max_length"), ("min_rows", "max_rows")):
            if low in settings and high in settings and settings[low] > settings[high]:
                self.problem(
                    "FW406", (*path, low), f"{low} {settings[low]} is above {high} {settings[high]}"
                )
                ok = False
        target = settings.get("to")
        if type_name in ("link", "table") and target is not None:
            allowed = self.entity_names | ({USER_ENTITY} if type_name == "link" else set())
            if target not in allowed:
                self.problem(
                    "FW304",
                    (*path, "to"),
                    f"no entity named {target!r}",
                    self._suggest(target, allowed),
                )
                ok = False
        if type_name == "autonumber" and "format" in settings:
            try:
                parse_pattern(settings["format"])
            except ValueError as exc:
                self.problem("FW405", (*path, "format"), f"numbering pattern: {exc}")
                ok = False
        if "pattern" in settings:
            try:
                re.compile(settings["pattern"])
            except re.error as exc:
                self.problem(
                    "FW205",
                    (*path, "pattern"),
                    f"not a regular expression: {exc}",
                    "Check the brackets and escapes of the pattern.",
                )
                ok = False
        return ok

    def _with_default(self, field: Field, raw: Any, path: DocPath) -> Field:
        if not field.writable or not field.stored:
            self.problem("FW308", path, f"a {field.type} field cannot have a default")
            return field
        try:
            value = field.kind.input_field(field).deserialize(raw)
        except (ma.ValidationError, NotImplementedError) as exc:
            detail = (
                "; ".join(_flatten(exc.messages)) if isinstance(exc, ma.ValidationError) else ""
            )
            self.problem(
                "FW403", path, f"default {raw!r} does not fit a {field.type} field: {detail}"
            )
            return field
        return _replace(field, default=value)

    # -- references from lists and forms --------------------------------------------------
    def _check_field_ref(
        self,
        fields: Mapping[str, Field],
        declared: Mapping[str, Any],
        name: str,
        path: DocPath,
        stored: bool = False,
    ) -> Field | None:
        if name not in declared:
            self.problem("FW305", path, f"no field named {name!r}", self._suggest(name, declared))
            return None
        field = fields.get(name)  # None when the field itself is broken: reported already
        if field is not None and stored and not field.stored:
            self.problem("FW308", path, f"{name!r} is a {field.type} field and has no column")
            return None
        return field

    def _list_view(
        self,
        entity: str,
        doc: Mapping[str, Any],
        fields: Mapping[str, Field],
        declared: Mapping[str, Any],
        title: str | None,
    ) -> ListView:
        path: DocPath = ("entities", entity, "list")
        for key in ("columns", "filters", "search"):
            for index, name in enumerate(doc.get(key) or ()):
                field = self._check_field_ref(
                    fields, declared, name, (*path, key, index), stored=True
                )
                if field is None:
                    continue
                if key == "filters" and field.type in ("longtext", "attachment"):
                    self.problem(
                        "FW308", (*path, key, index), f"a {field.type} field cannot be a filter"
                    )
                if key == "search" and not field.kind.searchable:
                    self.problem(
                        "FW308",
                        (*path, key, index),
                        f"a {field.type} field cannot be searched as text",
                        "Search works on text-like fields (text, email, phone, autonumber…).",
                    )
        raw_sort = doc.get("sort") or []
        raw_sort = [raw_sort] if isinstance(raw_sort, str) else raw_sort
        sort = []
        for index, item in enumerate(raw_sort):
            name = item.lstrip("-")
            sort_path = (
                (*path, "sort", index) if isinstance(doc.get("sort"), list) else (*path, "sort")
            )
            if name in SYSTEM_COLUMNS:
                sort.append(SortKey(name, item.startswith("-")))
                continue
            field = self._check_field_ref(fields, declared, name, sort_path, stored=True)
            if field is not None and not field.kind.ordered:
                self.problem("FW308", sort_path, f"a {field.type} field cannot be sorted on")
            sort.append(SortKey(name, item.startswith("-")))
        columns = doc.get("columns") or self._default_columns(fields, title)
        searchable = doc.get("search") or [f.name for f in fields.values() if f.searchable]
        return ListView(
            columns=tuple(columns),
            filters=tuple(doc.get("filters") or ()),
            sort=tuple(sort),
            search=tuple(searchable),
            page_size=int(doc.get("page_size", 50)),
        )

    def _default_columns(self, fields: Mapping[str, Field], title: str | None) -> list[str]:
        stored = [
            f.name for f in fields.values() if f.stored and f.type not in ("longtext", "attachment")
        ]
        if title in stored:
            stored.remove(title)
            stored.insert(0, title)
        return stored[:DEFAULT_LIST_COLUMNS]

    def _form(
        self,
        entity: str,
        doc: Mapping[str, Any] | None,
        fields: Mapping[str, Field],
        declared: Mapping[str, Any],
    ) -> FormView:
        if not doc:
            return FormView((FormSection(None, tuple(fields)),))
        path: DocPath = ("entities", entity, "form", "sections")
        placed: dict[str, DocPath] = {}
        sections = []
        for s_index, section in enumerate(doc["sections"]):
            s_path = (*path, s_index)
            for f_index, name in enumerate(section["fields"]):
                f_path = (*s_path, "fields", f_index)
                self._check_field_ref(fields, declared, name, f_path)
                if name in placed:
                    self.problem(
                        "FW303",
                        f_path,
                        f"{name!r} is already placed in the form",
                        "Each field appears in one section.",
                    )
                placed[name] = f_path
            label = self.label(section["label"], (*s_path, "label")) if "label" in section else None
            sections.append(FormSection(label, tuple(section["fields"])))
        return FormView(tuple(sections))

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

    def _suggest(self, word: str, choices: Any) -> str:
        import difflib

        names = sorted(choices)
        close = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
        listed = ", ".join(names[:25]) or "none declared"
        return f"Did you mean {close[0]!r}? Known: {listed}" if close else f"Known: {listed}"


def _snake(name: str) -> str:
    text = re.sub(r"(?<!^)(?=[A-Z])", "_", str(name)).lower()
    text = re.sub(r"[^a-z0-9_]+", "_", text).strip("_")
    return text if text and text[0].isalpha() else f"f_{text}"


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        return [m for v in messages.values() for m in _flatten(v)]
    return [m for v in messages for m in _flatten(v)]


def _replace(field: Field, **changes: Any) -> Field:
    import dataclasses

    return dataclasses.replace(field, **changes)
