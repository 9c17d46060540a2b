"""The smallest set of edits that turns one part of the document into another.

Editors read a posted form into a new version of the part they edit (a grading, a field, a
list layout) and hand both versions to `changes`: unchanged keys give no edit, a changed
key gives an edit of that key alone, and a list keeps per-item edits while its items stay
the same ones in the same order (`grades/grade=A/min_score`); a list whose items were
added, removed or reordered is set whole. Small edits are what makes a patch reviewable and
lets a new package version change the properties the admin did not touch.
"""

from __future__ import annotations

from typing import Any

from ...overlay.paths import MISSING, item_step, join_path
from .drafting import Edit, same


def changes(path: str, old: Any, new: Any) -> list[Edit]:
    """Edits that turn `old` (the value at `path`) into `new`; MISSING means absent."""
    if same(old, new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[Edit] = []
        for key, value in new.items():
            found += changes(child(path, key), old.get(key, MISSING), value)
        found += [Edit(child(path, key)) for key in old if key not in new]
        return found
    if _same_items(old, new):
        found = []
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            found += changes(child(path, item_step(old, index)), before, after)
        return found
    return [Edit(path, new)]


def _same_items(old: Any, new: Any) -> bool:
    """Lists of mappings with the same items in the same places (by key, or by position)."""
    if not (isinstance(old, list) and isinstance(new, list) and len(old) == len(new)):
        return False
    if not all(isinstance(item, dict) for item in (*old, *new)):
        return False
    return all(item_step(old, i) == item_step(new, i) for i in range(len(old)))


def child(path: str, step: str | int) -> str:
    """The path of `step` below `path` (a key or an item step, escaped)."""
    return f"{path}/{join_path(step)}"
