"""Checks and building of single fields: settings, options, defaults, renames."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

import marshmallow as ma

from .checks import RESERVED_FIELD_NAMES, Checks, a
from .model import USER_ENTITY, Field, Option, frozen_map
from .numbering import parse_pattern
from .schema import COMMON_FIELD_KEYS
from .source import DocPath


class FieldChecks(Checks):
    """Builds one field from its spec, reporting what does not fit its type."""

    def check_renames(
        self, entity: str, fields: Mapping[str, Field], declared: Mapping[str, Any]
    ) -> None:
        path: DocPath = ("entities", entity, "fields")
        sources: dict[str, str] = {}
        for field in fields.values():
            old = field.renamed_from
            if old is None:
                continue
            if old in declared:
                self.problem(
                    "FW309",
                    (*path, field.name, "renamed_from"),
                    f"renamed_from {old!r} names a field that still exists",
                    f"Remove the field {old!r} (its data moves to {field.name!r}), "
                    "or drop renamed_from.",
                )
            elif old in sources:
                self.problem(
                    "FW303",
                    (*path, field.name, "renamed_from"),
                    f"{sources[old]!r} is already renamed from {old!r}",
                    "Only one field can take over an old field's data.",
                )
            sources.setdefault(old, field.name)

    def build_field(self, entity: str, name: str, spec: Mapping[str, Any]) -> Field | None:
        path: DocPath = ("entities", entity, "fields", name)
        ok = self.check_name(name, path, "field", RESERVED_FIELD_NAMES)
        kind = self.types[spec["type"]]
        for key in spec:
            not_a_setting = key == "options" and not kind.has_options
            if not_a_setting or (key not in COMMON_FIELD_KEYS and key not in kind.settings):
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
        if spec.get("unique") and (not kind.stored or kind.bulky or kind.name == "multiselect"):
            self.problem(
                "FW308",
                (*path, "unique"),
                f"{a(kind.name)} field cannot be unique",
                "unique works on single-value stored fields (text, number, date, select…).",
            )
            ok = False
        if spec.get("searchable") and not kind.searchable:
            self.problem(
                "FW308",
                (*path, "searchable"),
                f"{a(kind.name)} field cannot be searched as text",
                "Text search works on text-like fields (text, email, phone, autonumber…).",
            )
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
            formula=spec.get("formula"),
            virtual=bool(spec.get("virtual", False)),
            default_formula=spec.get("default_formula"),
            visible_when=spec.get("visible_when"),
            required_when=spec.get("required_when"),
            readonly_when=spec.get("readonly_when"),
        )
        ok &= self._check_computed(field, spec, path)
        if "default" in spec and ok:  # a broken setting (a bad pattern) cannot check a value
            field = self._with_default(field, spec["default"], (*path, "default"))
        return field if ok else None

    def _check_computed(self, field: Field, spec: Mapping[str, Any], path: DocPath) -> bool:
        """What computed fields cannot combine with (their formulas are checked later)."""
        ok = True
        if field.virtual and field.formula is None:
            self.problem(
                "FW308",
                (*path, "virtual"),
                "only a computed field can be virtual",
                "Add a formula, or remove `virtual`.",
            )
            ok = False
        if field.formula is None:
            return ok
        if field.kind.value_type is None or field.type in ("link", "autonumber"):
            self.problem(
                "FW308",
                (*path, "formula"),
                f"{a(field.type)} field cannot be computed",
                "Computed fields hold numbers, text, dates, true/false or choices.",
            )
            return False
        for key in (
            "default",
            "default_formula",
            "required",
            "required_when",
            "readonly_when",
            "unique",
        ):
            if key in spec:
                self.problem(
                    "FW308",
                    (*path, key),
                    f"a computed field cannot have {key}",
                    "Its value always comes from its formula.",
                )
                ok = False
        return ok

    def _options(self, spec: Mapping[str, Any], kind: Any, path: DocPath) -> tuple[Option, ...]:
        raw = spec.get("options")
        if raw is None:
            return ()
        if not kind.has_options:
            return ()  # reported as FW206 already
        if not raw:
            self.problem(
                "FW401",
                (*path, "options"),
                f"{a(kind.name)} field needs options, the list is empty",
                "List the choices: `options: [first, second]`.",
            )
            return ()
        seen: set[str] = set()
        options = []
        for index, item in enumerate(raw):
            value = item if isinstance(item, str) else item["value"]
            if value in seen:
                self.problem(
                    "FW402",
                    (*path, "options", index),
                    f"option {value!r} is listed twice",
                    "Remove the repeated option; each value appears once.",
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
                    "FW406",
                    (*path, low),
                    f"{low} {settings[low]} is above {high} {settings[high]}",
                    f"Make {low} at most {settings[high]}, or raise {high}.",
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
                    self.suggest(target, allowed),
                )
                ok = False
        if type_name == "autonumber" and "format" in settings:
            try:
                parse_pattern(settings["format"])
            except ValueError as exc:
                self.problem(
                    "FW405",
                    (*path, "format"),
                    f"bad numbering pattern {settings['format']!r}: {exc}",
                    "Use text with date parts and one counter, e.g. KH-{YYYY}-{#####}.",
                )
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
            what = "readonly" if field.readonly else field.type
            self.problem(
                "FW308",
                path,
                f"{a(what)} field cannot have a default",
                "Remove the default; this field's value is not entered by people.",
            )
            return field
        try:
            value = field.kind.input_field(field).deserialize(raw)
        except ma.ValidationError as exc:
            detail = " ".join(_flatten(exc.messages)).strip()
            self.problem(
                "FW403",
                path,
                f"default {raw!r} does not fit {a(field.type)} field"
                + (f": {detail}" if detail else ""),
                _default_hint(field),
            )
            return field
        except NotImplementedError:
            self.problem("FW308", path, f"{a(field.type)} field cannot have a default")
            return field
        return dataclasses.replace(field, default=value)


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        return [m for v in messages.values() for m in _flatten(v)]
    return [m for v in messages for m in _flatten(v)]


def _default_hint(field: Field) -> str:
    if field.options:
        return "The default must be one of the options: " + ", ".join(field.option_values()) + "."
    examples = {
        "integer": "a whole number, e.g. 0",
        "decimal": f"a number with at most {field.setting('places', 2)} decimal places",
        "money": "an amount with at most 2 decimal places, e.g. 0 or 12.50",
        "percent": "a number such as 12.5",
        "boolean": "true or false",
        "date": "a date written YYYY-MM-DD",
        "datetime": "a date and time written YYYY-MM-DDTHH:MM:SS",
        "email": "an e-mail address such as name@example.com",
        "url": "an http(s) address such as https://example.com",
        "rating": f"a whole number from 0 to {field.setting('max', 5)}",
    }
    return f"Give {examples.get(field.type, 'a value the field accepts')}."
