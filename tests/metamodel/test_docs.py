"""docs/errors.md is a contract: one section per problem code, and no section for a code
that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

from formwork.metamodel.problems import CODES

ERRORS_MD = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def _sections() -> dict[str, str]:
    """Each `## FWnnn …` section's text, by code."""
    text = ERRORS_MD.read_text(encoding="utf-8")
    parts = re.split(r"^## (FW\d{3})\b.*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_code_has_a_section() -> None:
    missing = sorted(set(CODES) - set(_sections()))
    assert not missing, f"document {missing} in docs/errors.md (a `## FWnnn title` section each)"


def test_no_section_documents_an_unknown_code() -> None:
    unknown = sorted(set(_sections()) - set(CODES))
    assert not unknown, f"docs/errors.md documents codes that are not in CODES: {unknown}"


def test_each_section_gives_the_title_an_example_and_the_fix() -> None:
    text = ERRORS_MD.read_text(encoding="utf-8")
    for code, body in _sections().items():
        heading = re.search(rf"^## {code} (.+)$", text, flags=re.MULTILINE)
        assert heading and heading.group(1).strip() == CODES[code].title, code
        assert "```" in body, f"{code}: give an example snippet"
        assert re.search(r"^\*\*Fix", body, flags=re.MULTILINE), f"{code}: say how to fix it"
