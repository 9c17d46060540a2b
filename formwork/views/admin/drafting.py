"""The site's draft as the editors see it: its overlay, its candidate, and edits to it.

An editor turns a posted form into `Edit`s (set a path to a value, or remove it); `apply`
writes them into the draft as patches that remember the package's value (`base`) and saves
the draft. An edit back to the package's value drops the patch instead, so the draft holds
only real changes and "reset to the package's value" is the same operation. The draft is
saved whatever the validator says: nothing the admin typed is lost, its problems are shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from flask import g

from ...overlay.candidate import Candidate, read_cached
from ...overlay.patches import Overlay
from ...overlay.paths import MISSING, split_path, value_at
from ..context import actor, runtime
from .problems import ProblemIndex


@dataclass(frozen=True)
class Edit:
    """Set `path` to `value`, or remove what is there (`value` is MISSING)."""

    path: str
    value: Any = MISSING


@dataclass
class Draft:
    """The draft overlay with its candidate (the package merged with it, built and checked)."""

    overlay: Overlay
    candidate: Candidate
    package: dict[str, Any]

    @property
    def document(self) -> dict[str, Any]:
        """The merged raw document: what the editors show."""
        return self.candidate.document

    @cached_property
    def problems(self) -> ProblemIndex:
        return ProblemIndex(self.candidate.problems, self.document)

    def value(self, path: str, default: Any = MISSING) -> Any:
        found = value_at(self.document, path)
        return default if found is MISSING else found

    def package_value(self, path: str) -> Any:
        return value_at(self.package, path)

    def package_text(self, path: str) -> str | None:
        """The package's value at `path` as short text, None for a mapping or a list."""
        return scalar_text(self.package_value(path))

    def changed(self, path: str) -> bool:
        """Whether the draft patches `path`, something below it, or a node above it."""
        return any(
            p.path == path or p.path.startswith(path + "/") or path.startswith(p.path + "/")
            for p in self.overlay.patches
        )

    @property
    def locales(self) -> list[str]:
        """The app's locales, the default first (labels are edited in each)."""
        app = self.document.get("app") or {}
        locales = app.get("locales") or list(runtime().model.locales)
        default = app.get("default_locale") or runtime().model.default_locale
        return [default, *(code for code in locales if code != default)]


def current() -> Draft:
    """The draft of this request (built once per request)."""
    if "fw_draft" not in g:
        site = runtime().site
        overlay = site.draft()
        g.fw_draft = Draft(overlay, site.candidate(overlay), package_document())
    draft: Draft = g.fw_draft
    return draft


def package_document() -> dict[str, Any]:
    """The package's own raw document, without any overlay (for patch bases)."""
    site = runtime().site
    return read_cached(site.package_root, site.types).document


def apply(edits: Iterable[Edit]) -> Draft:
    """Write `edits` into the draft and save it; the new draft (unchanged when they change
    nothing)."""
    draft = current()
    overlay = draft.overlay
    for edit in edits:
        overlay = _put(overlay, draft.package, edit)
    return _save(draft, overlay)


def reset(paths: Iterable[str]) -> Draft:
    """Drop the draft's patches on `paths` and below: back to the package's values."""
    draft = current()
    overlay = draft.overlay
    for path in paths:
        overlay = overlay.reset(path)
    return _save(draft, overlay)


def _put(overlay: Overlay, package: dict[str, Any], edit: Edit) -> Overlay:
    base = value_at(package, edit.path)
    inside_new_node = any(
        p.op == "set" and edit.path.startswith(p.path + "/") for p in overlay.patches
    )
    if same(edit.value, base) and not inside_new_node:
        return overlay.reset(edit.path)
    if edit.value is MISSING:
        return overlay.remove(edit.path, base=base)
    return overlay.set(edit.path, edit.value, base=base)


def _save(draft: Draft, overlay: Overlay) -> Draft:
    if overlay == draft.overlay:
        return draft
    site = runtime().site
    user = actor()
    site.save_draft(overlay, user.username if user is not None else None)
    g.fw_draft = Draft(overlay, site.candidate(overlay), draft.package)
    return g.fw_draft


def scalar_text(value: Any) -> str | None:
    """A plain value as the pages show it: "—" for none, None for a mapping or a list."""
    if value is MISSING or value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def same(a: Any, b: Any) -> bool:
    """Equal as config values: 60 and 60.0 are, True and 1 are not."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def under(path: str, top: str) -> bool:
    """Whether `path` is `top` or lies below it (both well-formed paths)."""
    return path == top or path.startswith(top + "/")


def valid_path(path: str) -> bool:
    try:
        split_path(path)
    except ValueError:
        return False
    return True
