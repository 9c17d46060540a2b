"""The package's files with an overlay folded in, for a consultant to commit.

Each file a patch changed is read again with ruamel's round-trip loader, patched in place and
written back, so its comments, key order and layout survive; files no patch touched are
returned as they are. A unit the overlay added (a new entity) gets a file of its own; a unit
it removed is left out. Conflicting patches are not folded in (the model would not apply
them either).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from ..metamodel.fieldtypes import FieldTypeRegistry
from ..metamodel.package import CONFIG_SUFFIXES, SECTIONS
from .candidate import build_candidate, read_cached
from .patches import Overlay, Patch
from .paths import find_item, split_path


def merged_files(root: Path, overlay: Overlay, types: FieldTypeRegistry) -> dict[str, str]:
    """Relative file path → text of every config file of the package with `overlay` applied."""
    package = read_cached(root, types)
    files = _unit_files(root, package.sources)
    conflicting = {c.patch.path for c in build_candidate(root, overlay, types).conflicts}
    texts = {path: (root / path).read_text(encoding="utf-8") for path in files.values()}
    documents: dict[tuple[str, ...], Any] = {}
    for patch in overlay.patches:
        if patch.op == "reset" or patch.path in conflicting:
            continue
        steps = split_path(patch.path)
        unit = ("app",) if steps[0] == "app" else (steps[0], steps[1])
        inner = steps[1:] if steps[0] == "app" else steps[2:]
        if unit not in documents:
            file = files.get(unit)
            documents[unit] = _yaml().load(texts[file]) if file is not None else None
        if not inner:  # the whole unit
            documents[unit] = patch.value if patch.op == "set" else None
            continue
        _apply(documents[unit], inner, patch)
    for unit, document in documents.items():
        file = files.get(unit) or f"{unit[0]}/{unit[1]}.yaml"
        if document is None:
            texts.pop(file, None)
        else:
            texts[file] = _dump(document, file)
    return dict(sorted(texts.items()))


def _unit_files(root: Path, sources: Any) -> dict[tuple[str, ...], str]:
    """(section, name) or ("app",) → the file (relative to the package) it was read from."""
    files: dict[tuple[str, ...], str] = {}
    for suffix in CONFIG_SUFFIXES:
        if (root / f"app{suffix}").is_file():
            files[("app",)] = f"app{suffix}"
            break
    prefix = root.name + "/"
    for path, location in sources:
        if len(path) == 2 and path[0] in SECTIONS and location.file.startswith(prefix):
            files[(str(path[0]), str(path[1]))] = location.file[len(prefix) :]
    return files


def _apply(document: Any, steps: list[str], patch: Patch) -> None:
    node = document
    for step in steps[:-1]:
        node = node[step] if isinstance(node, dict) else node[find_item(node, step)]
    last = steps[-1]
    if isinstance(node, dict):
        if patch.op == "set":
            node[last] = patch.value
        else:
            node.pop(last, None)
        return
    index = find_item(node, last)
    if patch.op == "remove":
        if index is not None:
            del node[index]
    elif index is None:
        node.append(patch.value)
    else:
        node[index] = patch.value


def _dump(document: Any, file: str) -> str:
    if file.endswith(".json"):
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    _yaml().dump(document, out)
    return out.getvalue()


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_unicode = True
    yaml.width = 4096  # never re-wrap the package's lines
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml
