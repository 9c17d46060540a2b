"""The reference package loads cleanly, and each of its YAML files names its published schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from formwork.metamodel import load_app
from formwork.metamodel.fieldtypes import FieldTypeRegistry
from formwork.metamodel.package import SECTIONS
from formwork.metamodel.schema import SCHEMA_DIR
from tests.conftest import CRM_PACKAGE

SCHEMA_LINE = re.compile(r"# yaml-language-server: \$schema=(\S+)")
YAML_FILES = sorted(CRM_PACKAGE.rglob("*.yaml"))


def test_the_reference_package_loads_without_problems(types: FieldTypeRegistry) -> None:
    app = load_app(CRM_PACKAGE, types)
    assert {"customer", "contact"} <= set(app.entities)


@pytest.mark.parametrize("file", YAML_FILES, ids=lambda p: str(p.relative_to(CRM_PACKAGE)))
def test_each_yaml_file_points_at_its_published_schema(file: Path) -> None:
    first = file.read_text(encoding="utf-8").splitlines()[0]
    match = SCHEMA_LINE.fullmatch(first)
    assert match, f"{file.name} must start with `# yaml-language-server: $schema=<path>`"
    target = match.group(1)
    assert not Path(target).is_absolute() and "://" not in target, "use a relative path"
    resolved = (file.parent / target).resolve()
    assert resolved.parent == SCHEMA_DIR.resolve(), f"{target} is not a published schema"
    assert resolved.is_file(), f"{target} does not exist"
    if file.parent == CRM_PACKAGE:
        kind = "demo" if file.name == "demo.yaml" else "app"
    else:
        kind = SECTIONS.get(file.parent.name)
    if kind is not None:
        assert resolved.name == f"{kind}.schema.json", f"{file.name} is {_a(kind)} file"


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
