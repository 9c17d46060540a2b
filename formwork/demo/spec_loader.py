"""Reading a package's `demo.yaml` into a `DemoSpec`, or a ConfigError listing every problem.

The file is read and reported on exactly like the package's other files (`source.read_file`,
JSON Schema with `schema_problems`, `Problem`s with file:line and a hint), then checked against
the loaded app: the entities, fields, options and roles it names, whether each generator suits
its field's type, the Faker providers it asks for, and fields that read each other in a cycle.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping
from functools import cached_property
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import jsonschema
import marshmallow as ma
from faker import Faker
from faker.config import AVAILABLE_LOCALES

from ..metamodel.model import USER_ENTITY, App, Entity, Field
from ..metamodel.problems import ConfigError, Location, Problem
from ..metamodel.schema_errors import schema_problems
from ..metamodel.source import DocPath, SourceMap, format_path, read_file
from .plan import faker_locale
from .spec import DEFAULT_DAYS, DemoSpec, Edits, EntitySpec, FieldSpec, Profile
from .spec_schema import DEMO_SCHEMA, GENERATOR_KEYS
from .values import (
    CREATED,
    TODAY,
    Chance,
    Constant,
    Days,
    EachChance,
    FakerText,
    FractionOf,
    Generator,
    LogNormal,
    Ranges,
    SameLink,
    Uniform,
    UserLink,
    Weighted,
)

DEMO_STEM = "demo"
SUFFIXES = (".yaml", ".yml", ".json")
TEXTUAL = frozenset({"text", "longtext", "richtext", "email", "phone", "url"})
NUMERIC = frozenset({"integer", "decimal", "money", "percent", "rating"})
FAKER_TOKEN = re.compile(r"\{\{\s*(\w+)\s*\}\}")
#: What each generator key draws, for the message when it does not suit a field.
DRAWS = {
    "faker": "text",
    "chance": "yes/no or several choices",
    "between": "numbers",
    "lognormal": "numbers",
    "ranges": "numbers",
    "fraction_of": "numbers",
    "days": "dates",
    "role": "links to users",
    "same": "links to records",
}


def demo_file(package: Path) -> Path | None:
    """The package's demo spec file, if it has one."""
    for suffix in SUFFIXES:
        if (package / f"{DEMO_STEM}{suffix}").is_file():
            return package / f"{DEMO_STEM}{suffix}"
    return None


def load_demo_spec(package: Path, app: App) -> DemoSpec:
    """The package's demo spec (`DemoSpec()` when it has none); ConfigError if it is wrong."""
    file = demo_file(package)
    if file is None:
        return DemoSpec()
    display = _display(package, file)
    data, file_sources, problems = read_file(file, display)
    if problems:
        raise ConfigError(dataclasses.replace(p, path=DEMO_STEM) for p in problems)
    sources = SourceMap()
    sources.merge(file_sources, under=(DEMO_STEM,))
    if not isinstance(data, dict):
        raise ConfigError(
            [
                Problem(
                    "FW105",
                    DEMO_STEM,
                    "the file holds no mapping of keys to values",
                    Location(display, 1),
                    "Write `key: value` lines at the top level (see docs/demo-data.md).",
                )
            ]
        )
    validator = jsonschema.Draft202012Validator(DEMO_SCHEMA)
    shape = [
        problem
        for error in validator.iter_errors(data)
        for problem in schema_problems(error, (DEMO_STEM,), sources)
    ]
    if shape:
        raise ConfigError(shape)
    builder = _SpecBuilder(app, sources)
    spec = builder.build(data)
    if builder.problems:
        raise ConfigError(builder.problems)
    return spec


class _SpecBuilder:
    """Checks the (well-shaped) document against the app while building the spec."""

    def __init__(self, app: App, sources: SourceMap) -> None:
        self.app = app
        self.sources = sources
        self.problems: list[Problem] = []
        self.locale = app.default_locale

    def problem(self, code: str, path: DocPath, message: str, hint: str = "") -> None:
        full = (DEMO_STEM, *path)
        self.problems.append(
            Problem(code, format_path(full), message, self.sources.locate(full), hint)
        )

    @cached_property
    def fake(self) -> Faker:
        return Faker(self.locale)

    @cached_property
    def providers(self) -> list[str]:
        return sorted(name for name in dir(self.fake) if _is_provider(self.fake, name))

    def build(self, doc: Mapping[str, Any]) -> DemoSpec:
        locale = doc.get("locale")
        if locale is not None and locale not in AVAILABLE_LOCALES:
            self.problem(
                "FW204",
                ("locale",),
                f"Faker has no locale {locale!r}",
                _close(locale, AVAILABLE_LOCALES),
            )
            locale = None
        self.locale = faker_locale(self.app, DemoSpec(locale=locale))
        if self.locale not in AVAILABLE_LOCALES:
            self.locale = "en_US"
        users = doc.get("users", {})
        for role in users:
            if role not in self.app.roles:
                self.problem(
                    "FW306", ("users", role), f"no role {role!r}", _close(role, self.app.roles)
                )
        entities = {}
        for name, raw in doc.get("entities", {}).items():
            ent = self.app.entities.get(name)
            if ent is None:
                self.problem(
                    "FW304",
                    ("entities", name),
                    f"no entity {name!r}",
                    _close(name, self.app.entities),
                )
                continue
            entities[name] = self._entity(ent, raw, ("entities", name))
        return DemoSpec(
            locale=locale,
            days=doc.get("days", DEFAULT_DAYS),
            users={role: n for role, n in users.items() if role in self.app.roles},
            teams=tuple(doc.get("teams", ())),
            entities=entities,
        )

    # -- entities ------------------------------------------------------------------------
    def _entity(self, ent: Entity, raw: Mapping[str, Any], path: DocPath) -> EntitySpec:
        belongs_to = raw.get("belongs_to")
        if belongs_to is not None:
            belongs_to = self._belongs_to(ent, belongs_to, (*path, "belongs_to"))
        fields = self._fields(ent, raw.get("fields", {}), (*path, "fields"))
        profiles = tuple(
            Profile(
                name,
                p["weight"],
                self._fields(ent, p.get("fields", {}), (*path, "profiles", name, "fields")),
            )
            for name, p in raw.get("profiles", {}).items()
        )
        edits = None
        if "edits" in raw:
            edits = self._edits(ent, raw["edits"], (*path, "edits"))
        self._check_reads(ent, [fields, *(p.fields for p in profiles)], (*path, "fields"))
        return EntitySpec(raw.get("count", 1.0), belongs_to, fields, profiles, edits)

    def _belongs_to(self, ent: Entity, name: str, path: DocPath) -> str | None:
        if ent.child_of:
            self.problem(
                "FW308",
                path,
                f"{ent.name} is a child table: its rows belong to their {ent.child_of} already",
                "Remove `belongs_to:`.",
            )
            return None
        f = self._known_field(ent, name, path)
        if f is None:
            return None
        target = f.setting("to") if f.type == "link" else None
        if target is None or target == USER_ENTITY:
            self.problem(
                "FW308",
                path,
                f"{name} is not a link to another entity's records",
                "Name a link field such as `account` (to: account).",
            )
            return None
        return name

    def _edits(self, ent: Entity, raw: Mapping[str, Any], path: DocPath) -> Edits | None:
        names = []
        for index, name in enumerate(raw["fields"]):
            f = self._known_field(ent, name, (*path, "fields", index))
            if f is not None and self._drawable(f, (*path, "fields", index)):
                names.append(name)
        low, high = raw.get("times", [1, 3])
        if low > high:
            self.problem(
                "FW406",
                (*path, "times"),
                f"times goes from {low} down to {high}",
                "Write [fewest, most].",
            )
        return Edits(raw.get("share", 0.3), (low, high), tuple(names))

    # -- fields --------------------------------------------------------------------------
    def _fields(
        self, ent: Entity, raw: Mapping[str, Any], path: DocPath
    ) -> Mapping[str, FieldSpec]:
        specs = {}
        for name, value in raw.items():
            spec = self._field(ent, name, value, (*path, name))
            if spec is not None:
                specs[name] = spec
        return specs

    def _known_field(self, ent: Entity, name: str, path: DocPath) -> Field | None:
        f = ent.fields.get(name)
        if f is None:
            self.problem(
                "FW305", path, f"{ent.name} has no field {name!r}", _close(name, ent.fields)
            )
        return f

    def _drawable(self, f: Field, path: DocPath) -> bool:
        if f.type == "table":
            why = (
                "its rows are drawn from the child entity's own spec (entities: "
                + f.setting("to")
                + ")"
            )
        elif not f.kind.writable:
            why = f"a {f.type} field is filled in by Formwork"
        elif f.computed or f.readonly:
            why = "it is computed or read-only"
        elif f.type == "attachment":
            why = "demo data has no files"
        else:
            return True
        self.problem("FW308", path, f"{f.name} cannot be drawn: {why}", "Remove it from demo.yaml.")
        return False

    def _field(
        self, ent: Entity, name: str, raw: Mapping[str, Any], path: DocPath
    ) -> FieldSpec | None:
        f = self._known_field(ent, name, path)
        if f is None or not self._drawable(f, path):
            return None
        kinds = [
            k for k in GENERATOR_KEYS if k in raw and not (k == "between" and "fraction_of" in raw)
        ]
        if len(kinds) > 1:
            self.problem(
                "FW205",
                path,
                f"gives {len(kinds)} ways to draw the value ({', '.join(kinds)})",
                "Keep one of them.",
            )
            return None
        empty = raw.get("empty")
        if empty and f.required:
            self.problem(
                "FW308",
                (*path, "empty"),
                f"{name} is required, so it is never left empty",
                "Remove `empty:`.",
            )
        for key in ("min", "max"):
            if key in raw and "lognormal" not in raw:
                self.problem(
                    "FW308",
                    (*path, key),
                    f"`{key}` bounds a `lognormal` only",
                    "Remove it, or use `between`.",
                )
        generator = self._generator(ent, f, kinds[0], raw, path) if kinds else None
        if kinds and generator is None:
            return None
        return FieldSpec(generator, empty)

    def _generator(
        self, ent: Entity, f: Field, kind: str, raw: Mapping[str, Any], path: DocPath
    ) -> Generator | None:
        here = (*path, kind)
        if not self._suits(f, kind, raw[kind], here):
            return None
        value = raw[kind]
        if kind == "faker":
            return self._faker(f, value, here)
        if kind == "value":
            converted = self._convert(f, value, here)
            return None if converted is _BAD else Constant(converted)
        if kind == "weights":
            return self._weights(f, value, here)
        if kind == "chance":
            if isinstance(value, dict):
                options = [o for o in value if self._option(f, o, (*here, o))]
                return EachChance(tuple((o, value[o]) for o in options), f.setting("max_items"))
            return Chance(value)
        if kind == "between":
            low, high = self._pair(value, here)
            return Uniform(f, low, high)
        if kind == "lognormal":
            low, high = raw.get("min"), raw.get("max")
            if low is not None and high is not None and low > high:
                self.problem("FW406", (*path, "min"), f"min {low} is above max {high}")
            return LogNormal(f, value["median"], value.get("sigma", 1.0), low, high)
        if kind == "ranges":
            pairs = tuple(
                self._pair(r["between"], (*here, i, "between")) for i, r in enumerate(value)
            )
            return self._weighted_total(Ranges(f, pairs, tuple(r["weight"] for r in value)), here)
        if kind == "fraction_of":
            source = self._known_field(ent, value, here)
            if source is not None and source.type not in NUMERIC:
                self.problem("FW308", here, f"{value} is a {source.type} field, not a number")
            low, high = self._pair(raw.get("between", [0, 1]), (*path, "between"))
            return FractionOf(f, value, low, high, reads=(value,))
        if kind == "days":
            low, high = self._pair(value, here)
            origin = raw.get("from", TODAY)
            reads: tuple[str, ...] = ()
            if origin not in (TODAY, CREATED):
                source = self._known_field(ent, origin, (*path, "from"))
                if source is not None and source.type not in ("date", "datetime"):
                    self.problem(
                        "FW308", (*path, "from"), f"{origin} is a {source.type} field, not a date"
                    )
                reads = (origin,)
            return Days(f, int(low), int(high), origin, reads=reads)
        if kind == "same":
            return self._same(ent, f, value, here)
        if value not in self.app.roles:  # role
            self.problem("FW306", here, f"no role {value!r}", _close(value, self.app.roles))
            return None
        return UserLink(value)

    def _same(self, ent: Entity, f: Field, via: str, path: DocPath) -> Generator | None:
        """`same: account` on a link to projects: the project's account must be the
        record's account, so both need a link field `account` to the same entity."""
        target = self.app.entity(f.setting("to"))
        own = self._known_field(ent, via, path)
        theirs = target.fields.get(via)
        if own is None:
            return None
        if own.type != "link" or theirs is None or theirs.type != "link":
            self.problem(
                "FW308",
                path,
                f"{ent.name}.{via} and {target.name}.{via} must both be links",
                f"Name a link field that {ent.name} and {target.name} both have.",
            )
            return None
        if own.setting("to") != theirs.setting("to"):
            self.problem(
                "FW308",
                path,
                f"{ent.name}.{via} links to {own.setting('to')}, "
                f"{target.name}.{via} to {theirs.setting('to')}",
                "Name link fields to the same entity.",
            )
            return None
        return SameLink(target.name, via, reads=(via,))

    def _suits(self, f: Field, kind: str, value: Any, path: DocPath) -> bool:
        """Whether generator `kind` can draw values of `f`'s type (a problem if not)."""
        to_user = f.type == "link" and f.setting("to") == USER_ENTITY
        suits = {
            "faker": f.type in TEXTUAL,
            "value": f.type != "link",
            "weights": f.type in TEXTUAL | NUMERIC | {"select"},
            "chance": f.type == ("multiselect" if isinstance(value, dict) else "boolean"),
            "days": f.type in ("date", "datetime"),
            "role": to_user,
            "same": f.type == "link" and not to_user,
        }.get(kind, f.type in NUMERIC)
        if not suits:
            what = DRAWS.get(kind, "values")
            if kind == "chance":
                what = "several choices" if isinstance(value, dict) else "yes/no"
            hint = "Links to records are drawn from the records made before; use `belongs_to:`."
            if to_user:
                hint = "Use `role: <role>` for a link to a user."
            elif f.type != "link":
                hint = "See docs/demo-data.md for the generators of each field type."
            self.problem(
                "FW308", path, f"`{kind}` draws {what}; {f.name} is a {f.type} field", hint
            )
        return suits

    def _faker(self, f: Field, provider: str, path: DocPath) -> Generator | None:
        tokens = FAKER_TOKEN.findall(provider) if "{{" in provider else [provider]
        if not tokens:
            self.problem(
                "FW205",
                path,
                f"{provider!r} names no Faker provider",
                "Write e.g. {{city_name}}{{company}}.",
            )
            return None
        unknown = [t for t in tokens if t not in self.providers]
        for token in unknown:
            self.problem(
                "FW204",
                path,
                f"Faker ({self.locale}) has no provider {token!r}",
                _close(token, self.providers),
            )
        return None if unknown else FakerText(f, provider)

    def _convert(self, f: Field, value: Any, path: DocPath) -> Any:
        try:
            return f.kind.input_field(f).deserialize(value)
        except ma.ValidationError as exc:
            text = " ".join(_texts(exc.messages))
            hint = (
                _close(str(value), f.option_values())
                if f.options
                else "Give a value the field accepts."
            )
            self.problem("FW204", path, f"{value!r} does not fit {f.name} ({f.type}): {text}", hint)
            return _BAD

    def _option(self, f: Field, value: str, path: DocPath) -> bool:
        if value in f.option_values():
            return True
        self.problem(
            "FW204",
            path,
            f"{value!r} is not an option of {f.name}",
            _close(value, f.option_values()),
        )
        return False

    def _weights(self, f: Field, weights: Mapping[str, float], path: DocPath) -> Generator | None:
        choices, counts = [], []
        for key, weight in weights.items():
            converted = self._convert(f, key, (*path, key))
            if converted is not _BAD:
                choices.append(converted)
                counts.append(float(weight))
        if not choices:
            return None
        return self._weighted_total(Weighted(tuple(choices), tuple(counts)), path)

    def _weighted_total(self, generator: Weighted | Ranges, path: DocPath) -> Generator | None:
        if sum(generator.weights) <= 0:
            self.problem("FW205", path, "every weight is 0", "Give at least one a weight above 0.")
            return None
        return generator

    def _pair(self, pair: list[float], path: DocPath) -> tuple[float, float]:
        low, high = pair
        if low > high:
            self.problem(
                "FW406",
                path,
                f"the range goes from {low} down to {high}",
                "Write [lowest, highest].",
            )
        return low, high

    def _check_reads(
        self, ent: Entity, specs: Iterable[Mapping[str, FieldSpec]], path: DocPath
    ) -> None:
        graph: dict[str, set[str]] = {}
        for fields in specs:
            for name, spec in fields.items():
                if spec.generator is not None:
                    graph.setdefault(name, set()).update(spec.generator.reads)
        try:
            TopologicalSorter(graph).prepare()
        except CycleError as exc:
            cycle = " → ".join(exc.args[1])
            self.problem(
                "FW308",
                path,
                f"fields of {ent.name} are drawn from each other in a cycle: {cycle}",
                "Let one of them be drawn on its own.",
            )


_BAD = object()
#: Methods of Faker itself, not providers of values.
NOT_PROVIDERS = frozenset({"seed", "seed_instance", "seed_locale", "add_provider", "get_providers"})


def _is_provider(fake: Faker, name: str) -> bool:
    if name.startswith("_") or name in NOT_PROVIDERS:
        return False
    try:
        return callable(getattr(fake, name))
    except (AttributeError, TypeError):
        return False


def _texts(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        return [t for v in messages.values() for t in _texts(v)]
    return [t for v in messages for t in _texts(v)]


def _close(word: str, choices: Iterable[str]) -> str:
    names = [str(c) for c in choices]
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    listed = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
    return f"Did you mean {close[0]!r}? Allowed: {listed}." if close else f"Allowed: {listed}."


def _display(package: Path, file: Path) -> str:
    """As the package loader names files: relative to the package's parent."""
    try:
        return str(file.resolve().relative_to(package.resolve().parent))
    except ValueError:
        return str(file)
