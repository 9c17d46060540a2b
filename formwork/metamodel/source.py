"""Reading config files into plain data while remembering where every node came from.

ruamel.yaml keeps line numbers on what it parses (and reads JSON too, which is YAML); we turn
its round-trip objects into plain dicts, lists and scalars for validation, and record each
node's file and line in a `SourceMap` keyed by the node's path in the document.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.scalarbool import ScalarBoolean

from .problems import Location, Problem

#: A path into the merged document: keys and list indexes, e.g. ("entities", "order", "fields").
DocPath = tuple[str | int, ...]


def format_path(path: DocPath) -> str:
    """`("entities", "order", "list", "columns", 2)` → `entities.order.list.columns[2]`."""
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
    top; merge it into the package's map under the place the file's content takes. Problems
    carry an empty path: the caller knows where the file's content goes.
    """
    sources = SourceMap()
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        problem = Problem(
            "FW103",
            "",
            f"not UTF-8 text (byte {exc.object[exc.start]:#04x} cannot be decoded)",
            Location(display, line),
            "Save the file as UTF-8 (most editors offer it under 'Save with encoding').",
        )
        return None, sources, [problem]
    except OSError as exc:
        problem = Problem("FW108", "", f"cannot read the file ({exc.strerror})", Location(display))
        return None, sources, [problem]
    if file.suffix == ".json":
        problem = _json_problem(text, display)
        if problem is not None:
            return None, sources, [problem]
    yaml = YAML(typ="rt", pure=True)
    yaml.Constructor = _Constructor
    try:
        raw = yaml.load(text)
    except DuplicateKeyError as exc:
        return None, sources, [_duplicate_problem(exc, display)]
    except MarkedYAMLError as exc:
        return None, sources, [_syntax_problem(exc, display)]
    except (YAMLError, RecursionError) as exc:
        message = str(exc) if isinstance(exc, YAMLError) else "nested too deeply"
        return None, sources, [Problem("FW103", "", message, Location(display))]
    except (TypeError, ValueError):
        # ruamel builds a key that is itself a mapping or list, then cannot hash it.
        line = _complex_key_line(text)
        message = "a key is a mapping or a list; keys are plain names"
        return None, sources, [Problem("FW103", "", message, Location(display, line))]
    sources.add((), Location(display, 1))
    try:
        data = _plain(raw, (), display, sources)
    except _ComplexKey as exc:
        message = "a key is a mapping or a list; keys are plain names"
        return None, SourceMap(), [Problem("FW103", "", message, Location(display, exc.line))]
    except RecursionError:
        problem = Problem("FW103", "", "nested too deeply (or an alias refers to itself)")
        return None, SourceMap(), [_at(problem, Location(display, 1))]
    return data, sources, []


class _ComplexKey(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _complex_key_line(text: str) -> int:
    """The line of the first mapping key that is not a plain scalar (0 if none is found)."""
    try:
        root = YAML(typ="rt", pure=True).compose(text)
    except Exception:
        return 0
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if not isinstance(key, ScalarNode):
                    return key.start_mark.line + 1
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return 0


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that leaves dates as text (2024-02-30 is then a bad value,
    reported at its line by the field that reads it, not a crash inside the parser)."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_str)


def _json_problem(text: str, display: str) -> Problem | None:
    """JSON files are held to JSON's rules (YAML would accept trailing commas and comments)."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return Problem(
            "FW103",
            "",
            f"not valid JSON: {exc.msg} (column {exc.colno})",
            Location(display, exc.lineno),
            "Check commas, quotes and brackets; JSON allows no trailing commas or comments.",
        )
    except RecursionError:
        return Problem("FW103", "", "not valid JSON: nested too deeply", Location(display))
    return None


def _duplicate_problem(exc: DuplicateKeyError, display: str) -> Problem:
    line = exc.problem_mark.line + 1 if exc.problem_mark else 0
    match = re.search(r'duplicate key "(.*?)"', exc.problem or "")
    key = match.group(1) if match else "?"
    first = exc.context_mark.line + 1 if exc.context_mark else 0
    return Problem(
        "FW104",
        "",
        f"key {key!r} appears twice in the mapping that starts on line {first}",
        Location(display, line),
        "Remove or rename one of them; each key may appear once per mapping.",
    )


def _syntax_problem(exc: MarkedYAMLError, display: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    problem = (exc.problem or "").strip()
    if "'\\t'" in problem:
        return Problem(
            "FW103",
            "",
            "a tab character where YAML expects spaces",
            Location(display, line),
            "Indent with spaces only; YAML does not allow tabs for indentation.",
        )
    context = (exc.context or "").strip()
    before, at = exc.context_mark, exc.problem_mark
    if context and before and at and before.line != at.line:
        context += f" that starts on line {before.line + 1}"
    message = problem + (f" ({context})" if context else "")
    hint = "Check indentation, quotes and colons."
    if "block" in message:
        hint = "Keys of one mapping start in the same column; check the indentation here."
    elif "flow" in message:
        hint = "Close every { and [ on the line it belongs to, and separate items with commas."
    return Problem("FW103", "", message or "not valid YAML", Location(display, line), hint)


def _at(problem: Problem, location: Location) -> Problem:
    return Problem(problem.code, problem.path, problem.message, location, problem.hint)


def _plain(node: Any, path: DocPath, display: str, sources: SourceMap) -> Any:
    """Convert ruamel's round-trip node to plain Python, filling `sources` on the way."""
    if isinstance(node, CommentedMap):
        result: dict[str, Any] = {}
        for key, value in node.items():
            # Keys merged in with `<<: *anchor` have no position of their own here.
            line = node.lc.key(key)[0] if key in node.lc.data else node.lc.line
            if not isinstance(key, str | int | float | bool):
                raise _ComplexKey(line + 1)
            child = (*path, str(key))
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
    if value is None:
        return None
    if isinstance(value, str):
        return str(value)
    if isinstance(value, ScalarBoolean | bool):  # an anchored `true` is an int subclass
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.datetime):
        return dt.datetime.fromisoformat(value.isoformat())
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    if isinstance(value, TaggedScalar):  # `!tag text`: the tag means nothing to us
        return str(value.value)
    # Anything else (`!!binary`, `!!set`…) is no config value; text lets the schema say so.
    return str(value)
