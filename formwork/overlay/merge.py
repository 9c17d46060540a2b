"""Merging an overlay into a package's raw document, before the model is built.

`merge` applies the patches in order to a copy of the package (`RawPackage`): a patch whose
place is gone, or whose property the package changed since the patch was made (its `base`
differs from the package's value, which also differs from the patch's), is a `Conflict`:
reported, not applied, kept in the overlay. Patched nodes get source locations that name the
patch, so any problem the validator finds in them points at the overlay, not at a file line;
the units a patch touched (the app, an entity, a grading…) are shape-checked again against
their JSON Schema, as `read_package` checked the files.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jsonschema

from ..metamodel.fieldtypes import FieldTypeRegistry
from ..metamodel.package import SECTIONS, RawPackage
from ..metamodel.problems import Location
from ..metamodel.schema import schemas
from ..metamodel.schema_errors import schema_problems
from ..metamodel.source import DocPath, SourceMap, format_path
from .patches import Overlay, Patch
from .paths import MISSING, find_item, resolve, split_path, value_at

#: Problem codes that come from the shape check (redone for the units a patch touched).
SHAPE_CODES = frozenset({"FW201", "FW202", "FW203", "FW204", "FW205", "FW206", "FW301"})


@dataclass(frozen=True)
class Conflict:
    """A patch that was not applied, and why."""

    patch: Patch
    reason: str


@dataclass
class Merged:
    """The package with the overlay applied: a RawPackage ready for the model builder."""

    package: RawPackage
    conflicts: list[Conflict] = field(default_factory=list)
    applied: list[Patch] = field(default_factory=list)


def merge(
    package: RawPackage, overlay: Overlay, types: FieldTypeRegistry, label: str = "site overlay"
) -> Merged:
    """A copy of `package` with `overlay` applied; the package itself is left untouched."""
    merged = RawPackage(
        package.root,
        copy.deepcopy(package.document),
        _copy_sources(package.sources),
        list(package.problems),
    )
    result = Merged(merged)
    touched: set[DocPath] = set()
    for patch in overlay.patches:
        if patch.op == "reset":
            continue
        conflict = _apply(merged, patch, label)
        if conflict is None:
            result.applied.append(patch)
            touched |= _units(patch.path)
        else:
            result.conflicts.append(Conflict(patch, conflict))
    _recheck_shape(merged, touched, types)
    return result


def describe(value: Any) -> str:
    """A value in a conflict message."""
    if value is MISSING:
        return "no value"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _apply(package: RawPackage, patch: Patch, label: str) -> str | None:
    """Apply one patch to the package; the reason it conflicts, or None when it applied."""
    doc = package.document
    steps = split_path(patch.path)
    parent_path = "/".join(patch.path.split("/")[:-1])
    parent = value_at(doc, parent_path)
    if not isinstance(parent, dict | list):
        return f"the place it changes is gone: the package has no {parent_path or patch.path}"
    current = value_at(doc, patch.path)
    wanted = patch.value if patch.op == "set" else MISSING
    if current == wanted:
        return None  # the package says the same already
    if current != patch.base:
        return (
            f"the package now has {describe(current)} here "
            f"(it had {describe(patch.base)} when the patch was made)"
        )
    parent_doc = resolve(doc, parent_path)
    assert parent_doc is not None  # the parent was found above
    last = steps[-1]
    location = Location(f"{label}: {patch.path}")
    if isinstance(parent, dict):
        target: DocPath = (*parent_doc, last)
        _forget(package, target)
        if patch.op == "set":
            parent[last] = copy.deepcopy(patch.value)
            _locate(package.sources, target, parent[last], location)
        else:
            del parent[last]
        return None
    index = find_item(parent, last)
    if patch.op == "remove":
        assert index is not None
        _forget(package, (*parent_doc, index))
        del parent[index]
        _shift(package, parent_doc, index)
        return None
    if index is None:
        if last.isdigit() and int(last) != len(parent):
            return f"the list has no item {last} (it has {len(parent)})"
        key, _, key_value = last.partition("=")
        if key_value and not (
            isinstance(patch.value, dict) and str(patch.value.get(key)) == key_value
        ):
            return f"the new item's {key} is not {key_value!r}, as its path says"
        index = len(parent)
        parent.append(None)
    _forget(package, (*parent_doc, index))
    parent[index] = copy.deepcopy(patch.value)
    _locate(package.sources, (*parent_doc, index), parent[index], location)
    return None


def _units(path: str) -> set[DocPath]:
    """The units (the app, one entity, one grading…) a patch on `path` may have changed."""
    steps = split_path(path)
    return {("app",)} if steps[0] == "app" else {(steps[0], steps[1])}


def _recheck_shape(package: RawPackage, units: Iterable[DocPath], types: FieldTypeRegistry) -> None:
    units = set(units)
    if not units:
        return

    def inside(problem_path: str, unit: DocPath) -> bool:
        top = format_path(unit)
        return problem_path == top or problem_path.startswith((top + ".", top + "["))

    package.problems = [
        p
        for p in package.problems
        if not (p.code in SHAPE_CODES and any(inside(p.path, u) for u in units))
    ]
    validators = _validators(types)
    for unit in sorted(units, key=format_path):
        node: Any = package.document
        for step in unit:
            node = node.get(step) if isinstance(node, dict) else None
        if node is None:
            continue
        kind = "app" if unit == ("app",) else SECTIONS[str(unit[0])]
        seen = {(p.code, p.path, p.message) for p in package.problems}
        for error in validators[kind].iter_errors(node):
            for problem in schema_problems(error, unit, package.sources):
                if (problem.code, problem.path, problem.message) not in seen:
                    seen.add((problem.code, problem.path, problem.message))
                    package.problems.append(problem)


@lru_cache(maxsize=8)
def _validators(types: FieldTypeRegistry) -> dict[str, jsonschema.protocols.Validator]:
    return {kind: jsonschema.Draft202012Validator(s) for kind, s in schemas(types).items()}


# -- the source map ---------------------------------------------------------------------------


def _copy_sources(sources: SourceMap) -> SourceMap:
    copied = SourceMap()
    for path, location in sources:
        copied.add(path, location)
    return copied


def _rebuild(package: RawPackage, entries: Iterable[tuple[DocPath, Location]]) -> None:
    sources = SourceMap()
    for path, location in entries:
        sources.add(path, location)
    package.sources = sources


def _forget(package: RawPackage, top: DocPath) -> None:
    """Drop the locations of `top` and below: that node is being replaced or removed."""
    n = len(top)
    _rebuild(package, ((p, loc) for p, loc in package.sources if p[:n] != top))


def _shift(package: RawPackage, list_path: DocPath, removed: int) -> None:
    """After removing item `removed` of the list at `list_path`, later items move up one."""
    n = len(list_path)

    def moved(path: DocPath) -> DocPath:
        if len(path) > n and path[:n] == list_path:
            index = path[n]
            if isinstance(index, int) and index > removed:
                return (*list_path, index - 1, *path[n + 1 :])
        return path

    _rebuild(package, ((moved(p), loc) for p, loc in package.sources))


def _locate(sources: SourceMap, path: DocPath, value: Any, location: Location) -> None:
    sources.add(path, location)
    if isinstance(value, dict):
        for key, child in value.items():
            _locate(sources, (*path, key), child, location)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            _locate(sources, (*path, index), child, location)
