"""docs/formulas.md lists every function of the registry, as generated."""

from __future__ import annotations

from formwork.rules.docs import DOC, render
from formwork.rules.functions import default_functions


def test_the_function_table_is_up_to_date() -> None:
    current = DOC.read_text(encoding="utf-8")
    assert render(current, default_functions()) == current, (
        "docs/formulas.md is out of date: run .venv/bin/python -m formwork.rules.docs --write"
    )
