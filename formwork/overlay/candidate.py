"""A candidate config: the package merged with an overlay and built by the usual validator.

`build_candidate` is what editors validate against, what publish activates, and what the CLI
diffs. Reading a package's files is by far the slow part (parsing and shape-checking every
file), so the read package is kept per folder and read again only when a file changes;
merging and building take milliseconds.

`fallback` is for starting a site whose overlay no longer fits its package (an upgrade made
it invalid): the package plus the patches that still apply, never a site that cannot start.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..metamodel.fieldtypes import FieldTypeRegistry, default_registry
from ..metamodel.loader import build_model
from ..metamodel.model import App
from ..metamodel.package import CONFIG_SUFFIXES, SECTIONS, RawPackage, read_package
from ..metamodel.problems import ConfigError, Problem
from .merge import Conflict, merge
from .patches import Overlay, Patch


@dataclass(frozen=True)
class Candidate:
    """The package merged with an overlay and built."""

    overlay: Overlay
    #: None when there are problems.
    app: App | None
    problems: tuple[Problem, ...]
    conflicts: tuple[Conflict, ...]
    #: The merged raw document (for editors to show current values).
    document: dict[str, Any]

    @property
    def valid(self) -> bool:
        return self.app is not None

    def require(self) -> App:
        """The model; ConfigError with the problems when there is none."""
        if self.app is None:
            raise ConfigError(self.problems)
        return self.app


def build_candidate(
    package_root: Path,
    overlay: Overlay,
    types: FieldTypeRegistry | None = None,
    *,
    label: str = "site overlay",
) -> Candidate:
    """Merge `overlay` into the package at `package_root` and build the model.

    `label` names the overlay in problem locations (e.g. "config revision 3")."""
    types = types or _default_types()
    package = read_cached(Path(package_root), types)
    merged = merge(package, overlay, types, label)
    app = build_model(merged.package, types)
    return Candidate(
        overlay,
        app,
        tuple(ConfigError(merged.package.problems).problems),
        tuple(merged.conflicts),
        merged.package.document,
    )


@dataclass(frozen=True)
class Fallback:
    """What a site runs on when its overlay makes the config invalid."""

    candidate: Candidate
    #: The patches left out so that the config builds.
    dropped: tuple[Patch, ...]
    #: The problems the whole overlay had.
    problems: tuple[Problem, ...]


def fallback(
    package_root: Path, overlay: Overlay, types: FieldTypeRegistry, label: str
) -> Fallback:
    """The package with as many of the overlay's patches as still build, in order.

    Patches are tried one at a time: each is kept when the config still builds with it. A
    patch that only builds together with a later one is dropped too; the report says which.
    ConfigError when the package itself is invalid.
    """
    whole = build_candidate(package_root, overlay, types, label=label)
    if whole.valid:
        return Fallback(whole, (), ())
    package = build_candidate(package_root, Overlay(), types, label=label)
    package.require()
    kept: list[Patch] = []
    dropped: list[Patch] = []
    best = package
    for patch in overlay.patches:
        trial = build_candidate(package_root, Overlay((*kept, patch)), types, label=label)
        if trial.valid:
            kept.append(patch)
            best = trial
        else:
            dropped.append(patch)
    best = Candidate(overlay, best.app, (), best.conflicts, best.document)
    return Fallback(best, tuple(dropped), whole.problems)


# -- reading the package once --------------------------------------------------------------

#: (folder, id of the registry) → (the files' stamp, the package, the registry: kept so that
#: its id cannot be reused by another).
_cache: dict[tuple[Path, int], tuple[tuple[Any, ...], RawPackage, FieldTypeRegistry]] = {}
_lock = threading.Lock()
_default: list[FieldTypeRegistry] = []


def _default_types() -> FieldTypeRegistry:
    with _lock:
        if not _default:
            _default.append(default_registry())
        return _default[0]


def read_cached(root: Path, types: FieldTypeRegistry) -> RawPackage:
    """The package at `root` as `read_package` reads it, read again only when a file changed.

    The result is shared: never change it (merge works on a copy)."""
    root = root.resolve()
    key = (root, id(types))
    stamp = _stamp(root)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    package = read_package(root, types)
    with _lock:
        _cache[key] = (stamp, package, types)
    return package


def _stamp(root: Path) -> tuple[Any, ...]:
    """The names, sizes and change times of the package's files."""
    files = [root / f"app{suffix}" for suffix in CONFIG_SUFFIXES]
    for folder in SECTIONS:
        if (root / folder).is_dir():
            files.extend(sorted((root / folder).iterdir()))
    stamp = []
    for file in files:
        try:
            info = file.stat()
        except OSError:
            continue
        stamp.append((str(file), info.st_size, info.st_mtime_ns))
    return tuple(stamp)
