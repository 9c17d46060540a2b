"""Fixtures for the config-language tests: the broken-config corpus and its expectations."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from formwork.metamodel.fieldtypes import FieldTypeRegistry, default_registry

BROKEN = Path(__file__).resolve().parent / "broken"
BROKEN_CASES = sorted(p.name for p in BROKEN.iterdir() if (p / "expect.yaml").is_file())


@dataclass(frozen=True, slots=True)
class Expected:
    """One problem a broken package must report; `hint` is a substring of its hint."""

    code: str
    path: str
    file: str
    line: int
    hint: str = ""

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.code, self.path, self.file, self.line)


def expected_problems(case: str) -> list[Expected]:
    """The problems listed in `broken/<case>/expect.yaml`."""
    data = YAML(typ="safe", pure=True).load(BROKEN / case / "expect.yaml")
    return [Expected(**item) for item in data["problems"]]


@pytest.fixture
def types() -> FieldTypeRegistry:
    """A fresh registry of the built-in field types."""
    return default_registry()


@pytest.fixture(params=BROKEN_CASES)
def broken_case(request: pytest.FixtureRequest) -> str:
    """The name of one package of the broken-config corpus."""
    return request.param
