"""A config package on disk → one raw document with a source map.

A package is a folder: `app.yaml` at the top and one file per entity in `entities/` (YAML or
JSON). The files merge into one document, `{"app": {...}, "entities": {name: {...}}}`, whose
every node still knows its file and line. Shape checks (JSON Schema) run per file here, since
each file kind has its own schema; the semantic checks run on the merged document later.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from .fieldtypes import FieldTypeRegistry
from .problems import Location, Problem
from .schema import schemas
from .schema_errors import json_type, schema_problems
from .source import DocPath, SourceMap, format_path, read_file

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
#: Folders of a package and the file kind each holds.
SECTIONS = {
    "entities": "entity",
    "gradings": "grading",
    "flows": "flow",
    "tests": "test",
    "dashboards": "dashboard",
    "reminders": "reminder",
}
#: The key that names a file's content, where it is not the kind itself (`suite: …`).
NAME_KEYS = {"test": "suite"}


@dataclass
class RawPackage:
    """The merged, not yet validated document of a package, with where each node came from."""

    root: Path
    document: dict[str, Any] = field(
        default_factory=lambda: {"app": {}, **{folder: {} for folder in SECTIONS}}
    )
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
        package.problems.append(
            Problem("FW101", "", f"no package folder at {root}", Location(str(root)))
        )
        return package
    validators = {kind: jsonschema.Draft202012Validator(s) for kind, s in schemas(types).items()}
    app_file = _first_existing(root, "app")
    if app_file is None:
        package.problems.append(
            Problem(
                "FW102",
                "app",
                "the package has no app.yaml",
                Location(_display(root, root / "app.yaml")),
                f"Create {_display(root, root / 'app.yaml')} with at least `app:` and `title:`.",
            )
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
            Problem(
                "FW106",
                folder,
                f"{file.name} is not a .yaml, .yml or .json file",
                Location(display, 1),
                f"Rename it to .yaml or move it out of {folder}/.",
            )
        )
        return
    data, sources, problems = read_file(file, display)
    # The name inside the file wins; the file name is only the fallback for a broken file.
    name_key = NAME_KEYS.get(kind, kind)
    declared = data.get(name_key) if isinstance(data, dict) else None
    name = declared if isinstance(declared, str) and declared else file.stem
    if name in package.document[folder]:
        first = package.sources.locate((folder, name, name_key)) or package.sources.locate(
            (folder, name)
        )
        package.problems.append(
            Problem(
                "FW107",
                format_path((folder, name, name_key)),
                f"{kind} {name!r} is declared again (first in {first})",
                sources.locate((name_key,)) or Location(display, 1),
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
    for problem in problems:
        package.problems.append(dataclasses.replace(problem, path=format_path(prefix)))
    if problems:
        return None
    package.sources.merge(sources, under=prefix)
    if not isinstance(data, dict):
        package.problems.append(
            Problem(
                "FW105",
                format_path(prefix),
                f"the file holds {json_type(data)}, not a mapping of keys to values",
                package.sources.locate(prefix),
                "Write `key: value` lines at the top level, not a list (- item) or plain text.",
            )
        )
        return None
    seen: set[tuple[str, str, str]] = set()
    for error in validator.iter_errors(data):
        for problem in schema_problems(error, prefix, package.sources):
            # A key checked both by the field schema and by its type's branch errs twice.
            if (problem.code, problem.path, problem.message) not in seen:
                seen.add((problem.code, problem.path, problem.message))
                package.problems.append(problem)
    return data


def _first_existing(root: Path, stem: str) -> Path | None:
    for suffix in CONFIG_SUFFIXES:
        if (root / f"{stem}{suffix}").is_file():
            return root / f"{stem}{suffix}"
    return None


def _display(root: Path, file: Path) -> str:
    """File names in messages: relative to the package's parent, e.g. `my_app/app.yaml`."""
    try:
        return str(file.relative_to(root.parent))
    except ValueError:
        return str(file)
