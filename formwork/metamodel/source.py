"""Reading config files into plain data while remembering where every node came from.

ruamel.yaml keeps line numbers on what it parses (and reads JSON too, which is YAML); we turn
its round-trip objects into plain dicts, lists and scalars for validation, and record each
node's file and line in a `SourceMap` keyed by the node's path in the document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .problems import Location, Problem

#: A path into the merged document: keys and list indexes, e.g. ("entities", "customer", "fields").
DocPath = tuple[str | int, ...]


def format_path(path: DocPath) -> str:
    """`("entities", "customer", "list", "columns", 2)` → `entities.customer.list.columns[2]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class SourceMap:
    """Where each node of the merged document was written (file and line)."""

    def __init__(self) -> None:
        self._locations: dict[DocPath, Location] = {}

    def add(self, path: DocPath, location: Location) -> None:
        self._locations[path] = location

    def locate(self, path: DocPath) -> Location | None:
        """The location of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            found = self._locations.get(path[:end])
            if found is not None:
                return found
        return None

    def merge(self, other: SourceMap, under: DocPath = ()) -> None:
        """Take in `other`'s locations, their paths placed under `under`."""
        for path, location in other._locations.items():
            self._locations[(*under, *path)] = location

    def __iter__(self) -> Iterator[tuple[DocPath, Location]]:
        return iter(self._locations.items())


def read_file(file: Path, display: str) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse one YAML or JSON file. Returns (data, source map, problems); data is None on failure.

    `display` is the file name shown in messages. Paths in the source map start at the file's
    top; merge it into the package's map under the place the file's content takes.
    """
    sources = SourceMap()
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problem = Problem("FW103", "", f"not UTF-8 text ({exc.reason})", Location(display))
        return None, sources, [problem]
    yaml = YAML(typ="rt", pure=True)
    try:
        raw = yaml.load(text)
    except DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        return (
            None,
            sources,
            [Problem("FW104", "", _first_line(exc.problem), Location(display, line))],
        )
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        message = " ".join(filter(None, [exc.context, exc.problem]))
        return None, sources, [Problem("FW103", "", message, Location(display, line))]
    except YAMLError as exc:
        return None, sources, [Problem("FW103", "", str(exc), Location(display))]
    sources.add((), Location(display, 1))
    data = _plain(raw, (), display, sources)
    return data, sources, []


def _first_line(text: str | None) -> str:
    return (text or "duplicate key").strip().splitlines()[0]


def _plain(node: Any, path: DocPath, display: str, sources: SourceMap) -> Any:
    """Convert ruamel's round-trip node to plain Python, filling `sources` on the way."""
    if isinstance(node, CommentedMap):
        result: dict[str, Any] = {}
        for key, value in node.items():
            child = (*path, str(key))
            line, _col = node.lc.key(key)
            sources.add(child, Location(display, line + 1))
            result[str(key)] = _plain(value, child, display, sources)
        return result
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            line, _col = node.lc.item(index)
            sources.add(child, Location(display, line + 1))
            items.append(_plain(value, child, display, sources))
        return items
    return _scalar(node)


def _scalar(value: Any) -> Any:
    # ruamel returns subclasses (ScalarFloat, TimeStamp…); downstream wants plain types.
    if value is None or isinstance(value, str):
        return None if value is None else str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.datetime):
        return dt.datetime.fromisoformat(value.isoformat())
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    return value
