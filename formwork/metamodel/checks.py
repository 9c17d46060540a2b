"""What every step of the model builder shares: the package, broken nodes, names, labels.

`Checks` holds the raw document and reports problems into it; the builder's parts
(`FieldChecks`, `LayoutChecks`, `ModelBuilder`) extend it. Nodes with shape errors are not
built (they may hold anything), everything else is, so one typo does not hide the others.
"""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Mapping
from typing import Any

from .fieldtypes import FieldTypeRegistry
from .model import CHILD_COLUMNS, SYSTEM_COLUMNS, USER_ENTITY, Entity, Label, frozen_map
from .package import RawPackage
from .problems import Location
from .source import DocPath, format_path

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RESERVED_ENTITY_NAMES = frozenset({USER_ENTITY, "alembic_version"})
#: System columns, Python keywords and words formulas give a meaning.
RESERVED_FIELD_NAMES = (
    frozenset(SYSTEM_COLUMNS + CHILD_COLUMNS)
    | frozenset(keyword.kwlist)
    | {"true", "false", "none", "null", "self", "record", "today", "now"}
)


class Checks:
    """The state the builder's checks share, and how they report problems."""

    def __init__(self, package: RawPackage, types: FieldTypeRegistry) -> None:
        self.package = package
        self.types = types
        self.doc = package.document
        # Broken names still count as declared, so references to them add no noise. A name
        # declared twice (FW107) is still built from its first file.
        self.broken = [p.path for p in package.problems if p.code != "FW107"]
        app = self.doc.get("app") or {}
        locale = app.get("default_locale", "zh")
        locales = app.get("locales") or ["zh", "en"]
        self.default_locale: str = locale if isinstance(locale, str) else "zh"
        self.locales_known = not self.is_broken(("app", "locales"))
        self.locales: tuple[str, ...] = (
            tuple(locales) if self.locales_known else (self.default_locale,)
        )
        # With a broken locale setup every label would be reported; report the setup once.
        self.locales_ok = (
            not self.is_broken(("app", "default_locale"))
            and not self.is_broken(("app", "locales"))
            and self.default_locale in self.locales
        )
        self.entity_names = set(self.doc.get("entities", {}))
        self.buildable = sorted(n for n in self.entity_names if not self._entity_broken(n))

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
            why = ": the fw_ prefix belongs to Formwork" if name.startswith("fw_") else ""
            self.problem(
                "FW302",
                path,
                f"{what} name {name!r} is reserved{why}",
                f"Pick another name, e.g. {_alternative(name, what)!r}.",
            )
            return False
        return True

    def label(self, raw: Any, path: DocPath, required: bool = True) -> Label:
        # Plain text is in the default locale, whose own validity is checked once, in app.yaml.
        texts = {self.default_locale: raw} if isinstance(raw, str) else dict(raw or {})
        for locale in () if isinstance(raw, str) else texts:
            if self.locales_known and locale not in self.locales:
                self.problem(
                    "FW407",
                    (*path, locale),
                    f"locale {locale!r} is not one of the app's locales {list(self.locales)}",
                    f"Add {locale!r} to locales in app.yaml, or use one of {list(self.locales)}.",
                )
        if required and self.locales_ok and self.default_locale not in texts:
            self.problem(
                "FW404",
                path,
                f"no label in the default locale {self.default_locale!r}",
                f"Add `{self.default_locale}: …`.",
            )
        return Label(frozen_map(texts))

    def optional_label(
        self, doc: Mapping[str, Any], key: str, path: DocPath, required: bool = True
    ) -> Label | None:
        """The label `doc[key]` (a description, a caption…), or None when it is absent or its
        shape is broken (the schema check reported that already)."""
        if key not in doc or self.is_broken((*path, key)):
            return None
        return self.label(doc[key], (*path, key), required)

    def entity_of(
        self, doc: Mapping[str, Any], path: DocPath, entities: Mapping[str, Entity]
    ) -> Entity | None:
        """The built entity a file's `entity:` names; None (reported, unless the entity is
        declared but broken — reported already) when there is none."""
        entity = entities.get(doc["entity"])
        if entity is None and doc["entity"] not in self.entity_names:
            self.problem(
                "FW304",
                (*path, "entity"),
                f"no entity named {doc['entity']!r}",
                self.suggest(doc["entity"], self.entity_names),
            )
        return entity

    def suggest(self, word: str, choices: Any) -> str:
        names = sorted(choices)
        close = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
        listed = ", ".join(names[:25]) or "none declared"
        return f"Did you mean {close[0]!r}? Known: {listed}." if close else f"Known: {listed}."


def a(word: str) -> str:
    """`a text`, `an integer`: the type name with its article."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _snake(name: str) -> str:
    text = re.sub(r"(?<!^)(?=[A-Z])", "_", str(name)).lower()
    text = re.sub(r"[^a-z0-9_]+", "_", text)
    text = re.sub(r"_+", "_", text).strip("_")
    return text if text and text[0].isalpha() else f"f_{text}"


def _alternative(name: str, what: str) -> str:
    if name.startswith("fw_") and NAME.match(name[3:]) and name[3:] not in RESERVED_FIELD_NAMES:
        return name[3:]
    return f"{name}_{what}" if what in ("field", "entity") else f"my_{name}"
