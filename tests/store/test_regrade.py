"""Bulk re-grading and what-if in the database: the same grades and explanations as a record
write gives, history rows with their cause whenever a grade, score or explanation changes (and
only then), explanations readable after the grading changes, batches that commit on their own,
nothing written by what-if."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.rules.grading import CompiledGrading
from formwork.rules.rulebook import formula_view
from formwork.store import grade_rows
from formwork.store import regrade as regrade_module
from formwork.store.formula_context import StoreContext
from formwork.store.grade_rows import explanation_of, latest_explanation
from formwork.store.records import RecordService
from formwork.store.regrade import regrade, what_if
from formwork.store.schema_sync import apply_sync
from formwork.store.sync_ops import CreateTable
from formwork.store.system import GRADE_LAYOUT_TABLE, GRADE_TABLE
from tests.store.conftest import take_snapshot


def lowered(sales: RecordService, a_min: float = 40, b_min: float = 20) -> CompiledGrading:
    """The account grading with lower thresholds: an admin's pending change."""
    spec = sales.app.gradings["account_grade"]
    grades = (
        dataclasses.replace(spec.grades[0], min_score=a_min),
        dataclasses.replace(spec.grades[1], min_score=b_min),
        spec.grades[2],
    )
    return CompiledGrading(
        sales.app, dataclasses.replace(spec, grades=grades), sales.rules.functions
    )


def accounts(sales: RecordService) -> dict[str, Any]:
    """Four accounts: with won deals of 0, 1×300k, 2×100k and 1×900k."""
    made = {}
    for name, amounts in (
        ("none", []),
        ("one", [300_000]),
        ("two", [100_000, 100_000]),
        ("big", [900_000]),
    ):
        account = sales.create("account", {"name": name})
        for amount in amounts:
            sales.create(
                "deal",
                {"title": f"{name} deal", "amount": amount, "stage": "won", "account": account.id},
            )
        made[name] = sales.get("account", account.id)
    return made


def test_what_if_reports_transitions_and_movers_and_writes_nothing(sales: RecordService) -> None:
    made = accounts(sales)
    assert {n: r["grade"] for n, r in made.items()} == {
        "none": "C",
        "one": "C",
        "two": "B",
        "big": "C",
    }
    before = take_snapshot(sales)
    result = what_if(sales.db, sales.app, sales.tables, lowered(sales))
    assert take_snapshot(sales) == before
    # scores: none 7, one 49.5, two 57, big 49.5 → with A ≥ 40, B ≥ 20
    assert result.transitions == {("C", "C"): 1, ("C", "A"): 2, ("B", "A"): 1}
    assert result.moving == 3
    assert [(m.title, m.old_grade, m.new_grade) for m in result.movers] == [
        ("one", "C", "A"),
        ("two", "B", "A"),
        ("big", "C", "A"),
    ]


def history_rows(sales: RecordService, record_id: int | None = None) -> list[Any]:
    table = sales.tables.system(GRADE_TABLE)
    query = sa.select(table).order_by(table.c.id)
    if record_id is not None:
        query = query.where(table.c.record_id == record_id)
    with sales.db.read() as conn:
        return list(conn.execute(query).mappings())


def explained(sales: RecordService, record_id: int) -> Any:
    with sales.db.read() as conn:
        return latest_explanation(conn, sales.tables, "account_grade", "account", record_id)


def evaluated(sales: RecordService, grading: CompiledGrading, record_id: int) -> Any:
    stored = sales.get("account", record_id)
    with sales.db.read() as conn:
        ctx = StoreContext(conn, sales.app, sales.tables, sales.clock().date())
        view = formula_view(sales.app.entity("account"), stored.values, record_id)
        return grading.evaluate(view, ctx)


def test_regrade_writes_what_a_record_write_would(sales: RecordService) -> None:
    made = accounts(sales)
    grading = lowered(sales)
    result = regrade(sales.db, sales.app, sales.tables, grading, batch_size=2)
    assert (result.total, result.changed) == (4, 3)
    assert result.transitions == {("C", "A"): 2, ("B", "A"): 1}
    for record in made.values():
        stored = sales.get("account", record.id)
        expected = evaluated(sales, grading, record.id)
        assert (float(stored["score"]), stored["grade"]) == (expected.score, expected.grade)
        assert explained(sales, record.id) == expected.explanation()
        assert history_rows(sales, record.id)[-1]["cause"] == "bulk_regrade"
    # "none" keeps C, but its explanation names the new thresholds: its row says C → C.
    (last,) = [r for r in history_rows(sales, made["none"].id) if r["cause"] == "bulk_regrade"]
    assert (last["old_grade"], last["new_grade"]) == ("C", "C")


def test_a_rerun_changes_nothing_and_writes_nothing(sales: RecordService) -> None:
    accounts(sales)
    grading = lowered(sales)
    regrade(sales.db, sales.app, sales.tables, grading)
    before = take_snapshot(sales)
    assert regrade(sales.db, sales.app, sales.tables, grading).changed == 0
    assert take_snapshot(sales) == before


def test_grades_written_by_record_edits_are_not_rewritten_by_the_same_grading(
    sales: RecordService,
) -> None:
    """Explanations written in Python (10000000.0) and in SQL (10000000) compare by value."""
    made = accounts(sales)
    before = take_snapshot(sales)
    grading = sales.rules["account"].gradings[0]
    assert regrade(sales.db, sales.app, sales.tables, grading).changed == 0
    assert take_snapshot(sales) == before
    assert {n: explained(sales, r.id)["score"] for n, r in made.items()} == {
        "none": 7.0,
        "one": 49.5,
        "two": 57.0,
        "big": 49.5,
    }


def test_a_grading_change_that_moves_no_grade_still_renews_the_explanations(
    sales: RecordService,
) -> None:
    made = accounts(sales)
    spec = sales.app.gradings["account_grade"]
    # No account reaches 1,000,000, so new points for that band move no score.
    size = spec.dimensions[0]
    bands = (dataclasses.replace(size.bands[0], points=90), *size.bands[1:])
    changed_spec = dataclasses.replace(
        spec, dimensions=(dataclasses.replace(size, bands=bands), *spec.dimensions[1:])
    )
    grading = CompiledGrading(sales.app, changed_spec, sales.rules.functions)
    result = regrade(sales.db, sales.app, sales.tables, grading)
    assert (result.changed, result.transitions) == (0, {})
    for record in made.values():
        rows = history_rows(sales, record.id)
        assert (rows[-1]["old_grade"], rows[-1]["cause"]) == (rows[-1]["new_grade"], "bulk_regrade")
        assert explained(sales, record.id) == evaluated(sales, grading, record.id).explanation()


def test_explanations_stay_readable_after_the_grading_changes(
    sales: RecordService, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = accounts(sales)
    two = made["two"].id
    first = history_rows(sales, two)[-1]
    regrade(sales.db, sales.app, sales.tables, lowered(sales))
    monkeypatch.setattr(grade_rows, "_layouts", {})  # read the layouts from the database
    with sales.db.read() as conn:
        old = explanation_of(
            conn, sales.tables, first["explanation"], first["new_score"], first["new_grade"]
        )
    assert (old["score"], old["score_grade"]) == (57.0, "B"), "read with the thresholds of then"
    assert explained(sales, two)["score_grade"] == "A", "and the newest with those of now"


def test_a_database_from_before_compact_explanations_keeps_its_explanations(
    sales: RecordService, tmp_path: Path
) -> None:
    """Schema sync adds the layout table; rows holding the full explanation read as they are."""
    account = sales.create("account", {"name": "Old"}).id
    full = {"score": 7.0, "grade": "C", "score_grade": "C", "override": None, "dimensions": []}
    history = sales.tables.system(GRADE_TABLE)
    with sales.db.write() as conn:
        conn.execute(history.delete())
        conn.execute(
            history.insert(),
            {
                "grading": "account_grade",
                "entity": "account",
                "record_id": account,
                "at": sales.clock(),
                "old_grade": None,
                "new_grade": "C",
                "new_score": 7.0,
                "cause": "record_edit",
                "explanation": full,
            },
        )
        sales.tables.system(GRADE_LAYOUT_TABLE).drop(conn)
    synced = apply_sync(sales.db, sales.app, sales.tables, backup_dir=tmp_path)
    assert CreateTable(GRADE_LAYOUT_TABLE, entity=False) in synced.plan.operations
    assert explained(sales, account) == full
    grading = sales.rules["account"].gradings[0]
    regrade(sales.db, sales.app, sales.tables, grading)
    assert explained(sales, account) == evaluated(sales, grading, account).explanation(), (
        "a re-grade writes the current form"
    )


def test_each_batch_commits_alone_and_a_rerun_finishes(
    sales: RecordService, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts(sales)
    grading = lowered(sales)
    real = regrade_module.graded_select
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("where"):  # a batch's query (not the up-front check that it compiles)
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("killed mid-way")
        return real(*args, **kwargs)

    monkeypatch.setattr(regrade_module, "graded_select", failing)
    with pytest.raises(RuntimeError):
        regrade(sales.db, sales.app, sales.tables, grading, batch_size=2)
    monkeypatch.setattr(regrade_module, "graded_select", real)
    grades = [sales.get("account", i)["grade"] for i in range(1, 5)]
    assert grades == ["C", "A", "B", "C"], "the first batch (ids 1–2) committed, the second did not"
    finished = regrade(sales.db, sales.app, sales.tables, grading, batch_size=2)
    assert finished.changed == 2
    assert [sales.get("account", i)["grade"] for i in range(1, 5)] == ["C", "A", "A", "A"]


def test_progress_is_reported_per_batch(sales: RecordService) -> None:
    accounts(sales)
    seen: list[tuple[int, int]] = []
    regrade(
        sales.db,
        sales.app,
        sales.tables,
        lowered(sales),
        batch_size=3,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(3, 4), (4, 4)]


def test_a_grading_without_an_sql_form_is_regraded_in_python(sales: RecordService) -> None:
    made = accounts(sales)
    spec = sales.app.gradings["account_grade"]
    # len() has no SQL form: the whole grading falls back to evaluation in Python.
    dimension = dataclasses.replace(spec.dimensions[1], value="deal_count * 25 + len(name) * 0")
    grading = CompiledGrading(
        sales.app,
        dataclasses.replace(lowered(sales).grading, dimensions=(spec.dimensions[0], dimension)),
        sales.rules.functions,
    )
    preview = what_if(sales.db, sales.app, sales.tables, grading)
    assert preview.transitions == {("C", "C"): 1, ("C", "A"): 2, ("B", "A"): 1}
    assert [m.title for m in preview.movers] == ["one", "two", "big"]
    result = regrade(sales.db, sales.app, sales.tables, grading, batch_size=3)
    assert result.transitions == {("C", "A"): 2, ("B", "A"): 1}
    assert [sales.get("account", r.id)["grade"] for r in made.values()] == ["C", "A", "A", "A"]
