"""A config package on disk → one raw document with a source map.

A package is a folder: `app.yaml` at the top and one file per entity in `entities/` (YAML or
JSON). The files merge into one document, `{"app": {...}, "entities": {name: {...}}}`, whose
every node still knows its file and line. Shape checks (JSON Schema) run per file here, since
each file kind has its own schema; the semantic checks run on the merged document later.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from .fieldtypes import FieldTypeRegistry
from .problems import Location, Problem
from .schema import LOCALE_PATTERN, NAME_PATTERN, schemas
from .source import DocPath, SourceMap, format_path, read_file

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
#: Folders of a package and the file kind each holds; later issues add gradings/, flows/, …
SECTIONS = {"entities": "entity"}


@dataclass
class RawPackage:
    """The merged, not yet validated document of a package, with where each node came from."""

    root: Path
    document: dict[str, Any] = field(default_factory=lambda: {"app": {}, "entities": {}})
    sources: SourceMap = field(default_factory=SourceMap)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, code: str, path: DocPath, message: str, hint: str = "") -> None:
        self.problems.append(
            Problem(code, format_path(path), message, self.sources.locate(path), hint)
        )


def read_package(root: Path, types: FieldTypeRegistry) -> RawPackage:
    """Read every file of the package at `root`, checking each against its schema."""
    package = RawPackage(root)
    if not root.is_dir():
        package.problems.append(Problem("FW101", "", f"no folder at {root}", Location(str(root))))
        return package
    validators = {kind: jsonschema.Draft202012Validator(s) for kind, s in schemas(types).items()}
    app_file = _first_existing(root, "app")
    if app_file is None:
        package.problems.append(
            Problem("FW102", "app", f"no app.yaml in {root}", Location(str(root)))
        )
    else:
        data = _read_one(package, app_file, ("app",), validators["app"])
        if isinstance(data, dict):
            package.document["app"] = data
    for folder, kind in SECTIONS.items():
        for file in sorted((root / folder).glob("*")) if (root / folder).is_dir() else ():
            _read_section_file(package, file, folder, kind, validators[kind])
    return package


def _read_section_file(
    package: RawPackage,
    file: Path,
    folder: str,
    kind: str,
    validator: jsonschema.protocols.Validator,
) -> None:
    display = _display(package.root, file)
    if file.is_dir() or file.name.startswith("."):
        return
    if file.suffix not in CONFIG_SUFFIXES:
        package.problems.append(
            Problem("FW106", folder, f"{file.name} is not YAML or JSON", Location(display))
        )
        return
    data, sources, problems = read_file(file, display)
    # The name inside the file wins; the file name is only the fallback for a broken file.
    declared = data.get(kind) if isinstance(data, dict) else None
    name = declared if isinstance(declared, str) and declared else file.stem
    if name in package.document[folder]:
        first = package.sources.locate((folder, name))
        package.problems.append(
            Problem(
                "FW107",
                f"{folder}.{name}",
                f"{kind} {name!r} is declared again (first in {first})",
                Location(display, 1),
                "Rename one of them, or merge the two files.",
            )
        )
        return
    checked = _check_file(package, data, sources, problems, (folder, name), validator)
    if checked is not None:
        package.document[folder][name] = checked


def _read_one(
    package: RawPackage, file: Path, prefix: DocPath, validator: jsonschema.protocols.Validator
) -> Any:
    data, sources, problems = read_file(file, _display(package.root, file))
    return _check_file(package, data, sources, problems, prefix, validator)


def _check_file(
    package: RawPackage,
    data: Any,
    sources: SourceMap,
    problems: list[Problem],
    prefix: DocPath,
    validator: jsonschema.protocols.Validator,
) -> dict[str, Any] | None:
    package.problems.extend(problems)
    if problems:
        return None
    package.sources.merge(sources, under=prefix)
    if not isinstance(data, dict):
        package.problems.append(
            Problem(
                "FW105",
                format_path(prefix),
                f"expected a mapping, found {_json_type(data)}",
                package.sources.locate(prefix),
            )
        )
        return None
    for error in validator.iter_errors(data):
        package.problems.append(_schema_problem(error, prefix, package.sources))
    return data


def _schema_problem(error: ValidationError, prefix: DocPath, sources: SourceMap) -> Problem:
    """Turn a jsonschema error into a Problem a person can act on."""
    error = _best_leaf(error)
    path: DocPath = (*prefix, *error.absolute_path)
    where = sources.locate(path)
    validator, value, instance = error.validator, error.validator_value, error.instance
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(value)
        return Problem(
            "FW201",
            format_path(path),
            f"missing required key {missing!r}",
            where,
            f"Add `{missing}:` here.",
        )
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in instance if k not in allowed] if isinstance(instance, dict) else []
        key = extra[0] if extra else "?"
        key_where = sources.locate((*path, key)) or where
        return Problem(
            "FW202",
            format_path((*path, key)),
            f"unknown key {key!r}",
            key_where,
            _did_you_mean(key, allowed),
        )
    if validator == "type":
        return Problem(
            "FW203",
            format_path(path),
            f"expected {_type_words(value)}, found {_json_type(instance)}",
            where,
        )
    if validator in ("enum", "const"):
        choices = value if isinstance(value, list) else [value]
        return Problem(
            "FW204",
            format_path(path),
            f"{instance!r} is not allowed",
            where,
            _did_you_mean(str(instance), [str(c) for c in choices]),
        )
    return Problem("FW205", format_path(path), error.message, where, _shape_hint(validator, value))


def _best_leaf(error: ValidationError) -> ValidationError:
    """For oneOf/anyOf errors, report why the branch meant for this kind of value failed.

    A branch whose top-level `type` does not match the value was not meant for it; among the
    others, jsonschema's `best_match` picks the most relevant error.
    """
    if not error.context:
        return error
    wrong_type = {
        e.relative_schema_path[0]
        for e in error.context
        if e.validator == "type" and not e.relative_path
    }
    meant = [e for e in error.context if e.relative_schema_path[0] not in wrong_type]
    best = jsonschema.exceptions.best_match(meant) if meant else None
    return _best_leaf(best) if best is not None else error


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    listed = ", ".join(choices[:25])
    return f"Did you mean {close[0]!r}? Allowed: {listed}" if close else f"Allowed: {listed}"


def _shape_hint(validator: str, value: Any) -> str:
    if validator == "pattern":
        if value == LOCALE_PATTERN:
            return "Locales look like zh, en or zh-CN."
        if value == NAME_PATTERN:
            return "Names are lower_snake_case: a letter, then letters, digits and _."
        return f"The value must match {value}."
    hints = {
        "minItems": f"Give at least {value} item(s).",
        "minProperties": f"Give at least {value} entry(ies).",
        "uniqueItems": "Remove the repeated item.",
        "minimum": f"The smallest allowed value is {value}.",
        "maximum": f"The largest allowed value is {value}.",
        "minLength": "It may not be empty.",
    }
    return hints.get(validator, "See docs/config-reference.md for this key.")


def _type_words(value: Any) -> str:
    kinds = value if isinstance(value, list) else [value]
    words = {
        "object": "a mapping",
        "array": "a list",
        "string": "text",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "null": "nothing",
    }
    return " or ".join(words.get(k, k) for k in kinds)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text {value!r}"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def _first_existing(root: Path, stem: str) -> Path | None:
    for suffix in CONFIG_SUFFIXES:
        if (root / f"{stem}{suffix}").is_file():
            return root / f"{stem}{suffix}"
    return None


def _display(root: Path, file: Path) -> str:
    """File names in messages: relative to the package's parent, e.g. `engineering_crm/app.yaml`."""
    try:
        return str(file.relative_to(root.parent))
    except ValueError:
        return str(file)
