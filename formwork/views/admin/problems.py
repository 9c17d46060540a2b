"""Which of the candidate's problems concern which input of an editor.

Problems name a document path (`gradings.g.grades[0].min_score`); inputs are named by their
overlay path (`gradings/g/grades/grade=A/min_score`). Resolving the overlay path in the
merged document gives the input's document path, so each problem finds its input: the one
at its path or the nearest above it. The same document path, written as a DOM id, is the
input's id, so an error summary can link to the input it is about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ...metamodel.problems import Problem
from ...metamodel.source import DocPath, format_path
from ...overlay.paths import PathError, resolve, split_path


class ProblemIndex:
    """The candidate's problems, looked up by the overlay path of an input or a section."""

    def __init__(self, problems: Iterable[Problem], document: dict[str, Any]) -> None:
        self.all = tuple(problems)
        self.document = document

    def doc_path(self, path: str) -> DocPath | None:
        """The document path of `path`; for a node that is not there (a required key left
        out), its parent's document path and the missing steps. None for a name that is not
        a path (an input of the form's own, such as a new item's)."""
        try:
            steps = split_path(path)
        except PathError:
            return None
        for end in range(len(steps), 0, -1):
            found = resolve(self.document, "/".join(path.split("/")[:end]))
            if found is not None:
                rest = tuple(int(s) if s.isdigit() else s for s in steps[end:])
                return (*found, *rest)
        return tuple(steps)

    def at(self, path: str) -> list[Problem]:
        """Problems of the node at `path` and below it."""
        found = self.doc_path(path)
        if found is None:
            return []
        top = format_path(found)
        return [p for p in self.all if _inside(p.path, top)]

    def exactly(self, path: str) -> list[Problem]:
        """Problems of the node at `path` itself."""
        found = self.doc_path(path)
        if found is None:
            return []
        return [p for p in self.all if p.path == format_path(found)]

    def dom_id(self, path: str) -> str:
        """The id of the input that edits `path`."""
        found = self.doc_path(path)
        return dom_id(path if found is None else format_path(found))


def _inside(problem_path: str, top: str) -> bool:
    return problem_path == top or problem_path.startswith((top + ".", top + "["))


def dom_id(doc_path: str) -> str:
    """`gradings.g.grades[0].min_score` → `p-gradings-g-grades-0-min_score`."""
    return "p-" + re.sub(r"[^A-Za-z0-9_]+", "-", doc_path).strip("-")
