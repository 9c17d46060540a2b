"""Patches and overlays: the site's changes to a package, as plain, ordered, reviewable data.

A `Patch` sets or removes the node at one path and remembers the package's value there when
it was made (`base`), so a later package version that changed the same property can be told
from one that did not. An `Overlay` is an ordered tuple of patches with at most one patch per
path; editing it returns a new overlay. Overlays are written as YAML (`to_yaml`/`from_yaml`):

    patches:
      - set: gradings/score/grades/grade=A/min_score
        value: 75
        base: 80
      - remove: entities/item/fields/fax

A patch without `base` was made where the package had no value.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .paths import MISSING, PathError, find_item, split_path

Op = Literal["set", "remove", "reset"]


class OverlayError(ValueError):
    """A bad patch, path or overlay file; `line` is the 1-based line in the YAML, if known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message, self.line = message, line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class Patch:
    """Set or remove one node; `base` is the package's value when the patch was made.

    In a `Revision.diff`, op "reset" marks a patch the revision dropped (back to the package).
    """

    op: Op
    path: str
    value: Any = None
    base: Any = MISSING

    def __post_init__(self) -> None:
        if self.op not in ("set", "remove", "reset"):
            raise OverlayError(f"unknown patch operation {self.op!r}; use set or remove")
        try:
            steps = split_path(self.path)
        except PathError as exc:
            raise OverlayError(str(exc)) from None
        if len(steps) < 2:
            raise OverlayError(
                f"{self.path!r} is a whole section; patch a node inside it, e.g. {self.path}/…"
            )

    def covers(self, path: str) -> bool:
        """Whether `path` is this patch's path or lies below it."""
        return path == self.path or path.startswith(self.path + "/")


@dataclass(frozen=True)
class Overlay:
    """The site's patches, in the order they apply; at most one per path."""

    patches: tuple[Patch, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not self.patches

    def __iter__(self) -> Iterator[Patch]:
        return iter(self.patches)

    def patch_at(self, path: str) -> Patch | None:
        return next((p for p in self.patches if p.path == path), None)

    def set(self, path: str, value: Any, base: Any = MISSING) -> Overlay:
        """Set `path` to `value`. A patch already on the path is replaced in place and keeps its
        base (the package's value when the property was first changed); patches below the path
        are dropped, since the new value replaces them; inside a node the overlay itself added
        (a new field), the value is written into that patch."""
        return self._put(Patch("set", path, copy.deepcopy(value), base))

    def remove(self, path: str, base: Any = MISSING) -> Overlay:
        """Remove the node at `path` (a key, a list item)."""
        return self._put(Patch("remove", path, None, base))

    def reset(self, path: str) -> Overlay:
        """Drop the patches on `path` and below: those properties get the package's value."""
        return Overlay(tuple(p for p in self.patches if not _below_or_at(p.path, path)))

    def _put(self, patch: Patch) -> Overlay:
        owner = next(
            (p for p in self.patches if p.op == "set" and patch.path.startswith(p.path + "/")),
            None,
        )
        if owner is not None:
            folded = _fold(owner, patch)
            if folded is not None:
                return Overlay(tuple(folded if p is owner else p for p in self.patches))
        existing = self.patch_at(patch.path)
        if existing is not None:
            patch = replace(patch, base=existing.base)
        kept: list[Patch] = []
        placed = False
        for p in self.patches:
            if p.path == patch.path:
                kept.append(patch)
                placed = True
            elif not _below_or_at(p.path, patch.path):
                kept.append(p)
        if not placed:
            kept.append(patch)
        return Overlay(tuple(kept))

    # -- YAML --------------------------------------------------------------------------------

    def to_yaml(self) -> str:
        items = []
        for patch in self.patches:
            item: dict[str, Any] = {patch.op: patch.path}
            if patch.op == "set":
                item["value"] = patch.value
            if patch.base is not MISSING:
                item["base"] = patch.base
            items.append(item)
        out = io.StringIO()
        out.write("# Site overlay: changes to the config package, applied in order.\n")
        _yaml().dump({"patches": items}, out)
        return out.getvalue()

    @classmethod
    def from_yaml(cls, text: str) -> Overlay:
        return cls(tuple(patch for patch, _has_base in parse_patches(text)))


def diff(old: Overlay, new: Overlay) -> tuple[Patch, ...]:
    """What `new` changes against `old`: its new or changed patches, then a "reset" patch for
    each path `old` patched and `new` no longer does."""
    changed = tuple(p for p in new.patches if old.patch_at(p.path) != p)
    dropped = tuple(
        Patch("reset", p.path, base=p.base) for p in old.patches if new.patch_at(p.path) is None
    )
    return changed + dropped


def parse_patches(text: str) -> list[tuple[Patch, bool]]:
    """The patches of an overlay file, each with whether it gave a `base`; OverlayError (with
    the line) on anything that is not a well-formed overlay."""
    try:
        data = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise OverlayError(
            f"not valid YAML: {(exc.problem or exc.context or '').strip()}",
            mark.line + 1 if mark else None,
        ) from None
    except (YAMLError, RecursionError, TypeError, ValueError) as exc:
        raise OverlayError(f"not valid YAML: {exc}") from None
    if data is None:
        return []
    if not isinstance(data, CommentedMap) or set(data) - {"patches"}:
        raise OverlayError("an overlay file holds one key, `patches:`, with a list of patches", 1)
    items = data.get("patches")
    if items is None:
        return []
    if not isinstance(items, CommentedSeq):
        raise OverlayError(
            "`patches:` must be a list (- set: … / - remove: …)", _line(data, "patches")
        )
    result = []
    for index, item in enumerate(items):
        line = items.lc.item(index)[0] + 1
        result.append(_patch(item, line))
    paths = [p.path for p, _ in result]
    for index, path in enumerate(paths):
        if path in paths[:index]:
            raise OverlayError(f"two patches on {path}: keep one", items.lc.item(index)[0] + 1)
    return result


def _patch(item: Any, line: int) -> tuple[Patch, bool]:
    if not isinstance(item, CommentedMap):
        raise OverlayError(
            "each patch is a mapping: `- set: path` with `value:`, or `- remove: path`", line
        )
    ops = [op for op in ("set", "remove") if op in item]
    if len(ops) != 1:
        raise OverlayError("each patch has exactly one of `set:` or `remove:`", line)
    op = ops[0]
    allowed = {op, "base"} | ({"value"} if op == "set" else set())
    extra = sorted(str(k) for k in item if k not in allowed)
    if extra:
        raise OverlayError(
            f"unknown key {extra[0]!r} in a {op} patch (allowed: {', '.join(sorted(allowed))})",
            line,
        )
    if op == "set" and "value" not in item:
        raise OverlayError("a set patch needs `value:`", line)
    path = item[op]
    if not isinstance(path, str):
        raise OverlayError(f"the path of a {op} patch must be text", line)
    try:
        return Patch(
            op,
            path,
            plain(item.get("value")),
            plain(item["base"]) if "base" in item else MISSING,
        ), "base" in item
    except OverlayError as exc:
        raise OverlayError(exc.message, line) from None


def plain(value: Any) -> Any:
    """ruamel's round-trip data as plain dicts, lists and scalars."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _line(data: CommentedMap, key: str) -> int | None:
    try:
        return data.lc.key(key)[0] + 1
    except (KeyError, TypeError):
        return None


def _below_or_at(path: str, top: str) -> bool:
    return path == top or path.startswith(top + "/")


def _fold(owner: Patch, patch: Patch) -> Patch | None:
    """`owner` (a set patch above `patch`) with `patch` written into its value, or None when
    the place `patch` names is not inside that value."""
    steps = split_path(patch.path)[len(split_path(owner.path)) :]
    value = copy.deepcopy(owner.value)
    node = value
    for step in steps[:-1]:
        node = _child(node, step)
        if node is MISSING:
            return None
    last = steps[-1]
    if isinstance(node, dict):
        if patch.op == "set":
            node[last] = patch.value
        elif last in node:
            del node[last]
        else:
            return None
    elif isinstance(node, list):
        try:
            index = find_item(node, last)
        except PathError:
            return None
        if patch.op == "remove":
            if index is None:
                return None
            del node[index]
        elif index is None:
            return None
        else:
            node[index] = patch.value
    else:
        return None
    return replace(owner, value=value)


def _child(node: Any, step: str) -> Any:
    if isinstance(node, dict):
        return node.get(step, MISSING)
    if isinstance(node, list):
        try:
            index = find_item(node, step)
        except PathError:
            return MISSING
        return MISSING if index is None else node[index]
    return MISSING


class _Constructor(RoundTripConstructor):
    """Dates stay text, as in package files."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_str)


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.Constructor = _Constructor
    yaml.allow_unicode = True
    yaml.default_flow_style = False
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml
