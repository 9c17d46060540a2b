"""Write small config packages for tests from Python dicts.

`write_package(tmp_path, {"customer": {...fields...}})` writes `app.yaml` and one file per
entity (as JSON, which the YAML reader reads too) and returns the folder for `load_app`.
An entity's value is either its fields alone or a whole entity document (with a `fields` key).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEFAULT_APP: dict[str, Any] = {
    "app": "test_app",
    "title": {"en": "Test"},
    "default_locale": "en",
    "locales": ["en"],
}


def write_package(
    tmp_path: Path,
    entities: dict[str, dict[str, Any]],
    app: dict[str, Any] | None = None,
    folder: str = "package",
) -> Path:
    """A package folder under `tmp_path` holding the app and entities; returns its path.

    Writing again into the same folder replaces it, so a test can evolve one package.
    Fields without a label get their name as label.
    """
    root = tmp_path / folder
    (root / "entities").mkdir(parents=True, exist_ok=True)
    for old in (root / "entities").iterdir():
        old.unlink()
    _dump(root / "app.yaml", {**DEFAULT_APP, **(app or {})})
    for name, spec in entities.items():
        doc = dict(spec) if "fields" in spec else {"fields": dict(spec)}
        doc = {"entity": name, "label": name.capitalize(), **doc}
        doc["fields"] = {
            field: {"label": field, **field_spec} for field, field_spec in doc["fields"].items()
        }
        _dump(root / "entities" / f"{name}.yaml", doc)
    return root


def _dump(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
