"""Helpers for import and export tests: files written in a temp folder, an importer set up the
way the CLI and the web set one up (columns guessed, then the caller's choices)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from formwork.runtime import Runtime
from formwork.store.actor import Actor
from formwork.transfer import mapping
from formwork.transfer.pipeline import Importer, ImportResult
from formwork.transfer.sources import Source, open_source
from formwork.transfer.writers import write_xlsx
from tests.views.conftest import as_role  # noqa: F401 (the signed-in clients of page tests)


def write_csv(folder: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def write_workbook(folder: Path, rows: Sequence[Sequence[Any]], name: str = "data.xlsx") -> Path:
    path = folder / name
    write_xlsx(path, rows[0], rows[1:])
    return path


def make_importer(
    runtime: Runtime,
    entity: str,
    source: Source,
    user: Actor | None = None,
    key: str | None = None,
    **choices: str,
) -> Importer:
    ent = runtime.model.entity(entity)
    policy = runtime.records.policy
    label = lambda f: f.label.get("en", f.name)  # noqa: E731
    allowed = mapping.targets(ent, policy.hidden(user, ent), policy.readonly(user, ent), label)
    fields = {**mapping.guess(ent, source.columns, allowed), **choices}
    columns = mapping.check(source.columns, fields, key, allowed)
    assert not columns.problems, columns.problems
    return Importer(runtime.records, ent, user, source.columns, columns, label=label)


def run_import(
    runtime: Runtime,
    entity: str,
    path: Path,
    *,
    dry_run: bool = False,
    user: Actor | None = None,
    key: str | None = None,
    batch_size: int = 500,
    skip_invalid: bool = False,
) -> ImportResult:
    source = open_source(path)
    importer = make_importer(runtime, entity, source, user, key)
    return importer.run(source, dry_run=dry_run, batch_size=batch_size, skip_invalid=skip_invalid)


def names(runtime: Runtime, entity: str = "customer") -> list[str]:
    import sqlalchemy as sa

    table = runtime.tables[entity]
    with runtime.db.read() as conn:
        return sorted(conn.execute(sa.select(table.c.name)).scalars())


def messages(result: ImportResult) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in result.errors]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path
