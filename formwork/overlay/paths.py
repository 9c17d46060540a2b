"""Paths into a package's raw document: `gradings/g/grades/grade=A/min_score`.

A path is `/`-separated steps. In a mapping a step is a key. In a list a step is either
`key=value` (the item whose `key` equals `value`, for lists of mappings such as options,
grades or dimensions) or an index. A `/` or `~` inside a step is written `~1` / `~0`, as in
JSON Pointer. `resolve` turns a path into the document path of the node (keys and indexes),
which is what source maps and problems use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from ..metamodel.package import SECTIONS
from ..metamodel.source import DocPath


class _Missing:
    """The sentinel for "no value there" (distinct from a YAML null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
#: The document's top-level sections; every path starts with one of them.
ROOTS = ("app", *SECTIONS)
#: Keys that name the items of a list, tried in this order when a path to an item is made.
ITEM_KEYS = ("name", "grade", "value", "field", "role", "state", "step", "key", "suite")


class PathError(ValueError):
    """A path that is badly written or does not lead anywhere in the document."""


def split_path(path: str) -> list[str]:
    """The steps of a path, unescaped; PathError when it is empty or has an empty step."""
    if not isinstance(path, str) or not path.strip("/"):
        raise PathError("a path needs at least one step, e.g. app/title")
    steps = path.split("/")
    if any(step == "" for step in steps):
        raise PathError(f"{path!r} has an empty step (two / in a row, or / at an end)")
    if steps[0] not in ROOTS:
        raise PathError(f"{path!r} must start with one of: {', '.join(ROOTS)}")
    return [step.replace("~1", "/").replace("~0", "~") for step in steps]


def join_path(*steps: str | int) -> str:
    """The path of `steps`, escaping `/` and `~` inside them."""
    return "/".join(str(s).replace("~", "~0").replace("/", "~1") for s in steps)


def item_step(items: list[Any], index: int) -> str:
    """The step that addresses `items[index]`: `key=value` when the item has a key field whose
    value is unique in the list, else the index."""
    item = items[index]
    if isinstance(item, dict):
        for key in ITEM_KEYS:
            value = item.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                same = [i for i in items if isinstance(i, dict) and i.get(key) == value]
                if len(same) == 1:
                    return f"{key}={value}"
    return str(index)


def find_item(items: list[Any], step: str) -> int | None:
    """The index `step` addresses in `items`, or None when there is no such item."""
    if step.isdigit():
        index = int(step)
        return index if index < len(items) else None
    key, sep, wanted = step.partition("=")
    if not sep:
        raise PathError(f"{step!r} addresses a list: write key=value (e.g. name=x) or an index")
    for index, item in enumerate(items):
        if isinstance(item, dict) and key in item and _same(item[key], wanted):
            return index
    return None


def _same(value: Any, step_value: str) -> bool:
    if isinstance(value, bool):
        return str(value).lower() == step_value.lower()
    return str(value) == step_value


def walk(document: Any, path: str) -> Iterator[tuple[Any, str, DocPath]]:
    """(container, step, document path so far) for each step of `path`, stopping at the first
    step whose container is missing or not a container (it is still yielded)."""
    node = document
    doc_path: DocPath = ()
    for step in split_path(path):
        yield node, step, doc_path
        if isinstance(node, dict):
            if step not in node:
                return
            node, doc_path = node[step], (*doc_path, step)
        elif isinstance(node, list):
            index = find_item(node, step)
            if index is None:
                return
            node, doc_path = node[index], (*doc_path, index)
        else:
            return


def value_at(document: dict[str, Any], path: str) -> Any:
    """The value at `path`, or MISSING when there is none. PathError for a malformed path."""
    node: Any = document
    for step in split_path(path):
        if isinstance(node, dict):
            node = node.get(step, MISSING)
        elif isinstance(node, list):
            index = find_item(node, step)
            node = MISSING if index is None else node[index]
        else:
            return MISSING
        if node is MISSING:
            return MISSING
    return node


def resolve(document: dict[str, Any], path: str) -> DocPath | None:
    """The document path (keys and indexes) of the node at `path`; None when it is absent."""
    last: DocPath | None = None
    steps = split_path(path)
    for depth, (node, step, so_far) in enumerate(walk(document, path)):
        if depth == len(steps) - 1:
            if isinstance(node, dict) and step in node:
                last = (*so_far, step)
            elif isinstance(node, list):
                index = find_item(node, step)
                last = None if index is None else (*so_far, index)
    return last
