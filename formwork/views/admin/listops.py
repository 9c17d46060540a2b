"""The buttons that change a list in an editor: move an item up or down, remove it, add one.

A button posts `op` = "<verb> <list> [<index>]": `up list/columns 2`, `drop overrides 0`,
`add grades`. `<list>` is a path relative to the node the editor edits, resolved in the new
version the editor is building, so the change lands among the other posted edits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort

from ...overlay.paths import MISSING, PathError, find_item

VERBS = ("up", "down", "drop", "add")


@dataclass(frozen=True)
class ListOp:
    verb: str
    list: str
    index: int | None = None


def parse(raw: str | None) -> ListOp | None:
    """The posted `op`, or None; 400 for a malformed one."""
    if not raw:
        return None
    parts = raw.split(" ")
    verb = parts[0]
    if verb not in VERBS or len(parts) < 2:
        abort(400)
    index = None
    if verb != "add":
        if len(parts) < 3 or not parts[-1].isdigit():
            abort(400)
        index, parts = int(parts[-1]), parts[:-1]
    return ListOp(verb, " ".join(parts[1:]), index)


def node_at(root: Any, relative: str) -> Any:
    """The node at a relative path (`dimensions/name=x/bands`), or MISSING."""
    node = root
    for step in relative.split("/") if relative else ():
        if isinstance(node, dict):
            node = node.get(step, MISSING)
        elif isinstance(node, list):
            try:
                index = find_item(node, step)
            except PathError:
                return MISSING
            node = MISSING if index is None else node[index]
        else:
            return MISSING
    return node


def apply(op: ListOp, root: Any, make: Callable[[list[Any]], Any] | None = None) -> None:
    """Apply `op` to the list it names in `root`; `make(items)` gives the item "add" inserts
    (appended, or placed by returning (position, item)). 400 when the list or item is not
    there, or the list cannot grow."""
    items = node_at(root, op.list)
    if not isinstance(items, list):
        abort(400)
    if op.verb == "add":
        if make is None:
            abort(400)
        made = make(items)
        position, item = made if isinstance(made, tuple) else (len(items), made)
        items.insert(position, item)
        return
    index = op.index
    assert index is not None
    if not 0 <= index < len(items):
        abort(400)
    if op.verb == "drop":
        del items[index]
        return
    other = index - 1 if op.verb == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
