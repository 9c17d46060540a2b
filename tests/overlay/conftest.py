"""A small graded app for overlay tests: accounts with a size, graded A/B/C on it.

`package` writes it to a folder a test may change (a package upgrade); `site` opens a runtime
over a migrated database of it, with the overlay tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from formwork.runtime import Runtime, open_runtime
from formwork.store.schema_sync import apply_sync

APP = """\
app: accounts
title: {en: Accounts}
default_locale: en
locales: [en]
"""
ACCOUNT = """\
entity: account
label: {en: Account}
title: name
fields:
  name: {type: text, label: {en: Name}, required: true}
  size: {type: integer, label: {en: Size}, min: 0}
  region:
    type: select
    label: {en: Region}
    options:
      - {value: north, label: {en: North}}
      - {value: south, label: {en: South}}
  notes: {type: text, label: {en: Notes}}
  score: {type: decimal, label: {en: Score}, readonly: true}
  grade: {type: select, label: {en: Grade}, readonly: true, options: [A, B, C]}
"""
GRADING = """\
grading: account_grade
entity: account
label: {en: Account grade}
dimensions:
  - {name: size, weight: 100, value: "coalesce(size, 0)"}
grades:
  - {grade: A, min_score: 80}
  - {grade: B, min_score: 50}
  - {grade: C}
"""

A_MIN = "gradings/account_grade/grades/grade=A/min_score"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return write(
        tmp_path / "accounts",
        {"app.yaml": APP, "entities/account.yaml": ACCOUNT, "gradings/account_grade.yaml": GRADING},
    )


@pytest.fixture
def open_site(tmp_path: Path, package: Path) -> Iterator[Callable[[], Runtime]]:
    """Opens a runtime of the package over the test's database (migrated on first open)."""
    opened: list[Runtime] = []

    def open_one() -> Runtime:
        runtime = open_runtime({"instance": tmp_path / "instance", "package": package})
        if not opened:
            apply_sync(runtime.db, runtime.model, runtime.tables)
        opened.append(runtime)
        return runtime

    yield open_one
    for runtime in opened:
        runtime.close()


@pytest.fixture
def site(open_site: Callable[[], Runtime]) -> Runtime:
    return open_site()
