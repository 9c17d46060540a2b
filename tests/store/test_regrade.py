"""Bulk re-grading and what-if in the database: the same grades as a record write gives,
history rows with their cause, batches that commit on their own, nothing written by what-if."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import sqlalchemy as sa

from formwork.rules.grading import CompiledGrading
from formwork.rules.rulebook import formula_view
from formwork.store import regrade as regrade_module
from formwork.store.formula_context import StoreContext
from formwork.store.records import RecordService
from formwork.store.regrade import regrade, what_if
from formwork.store.system import GRADE_TABLE
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


def test_regrade_writes_what_a_record_write_would(sales: RecordService) -> None:
    made = accounts(sales)
    grading = lowered(sales)
    result = regrade(sales.db, sales.app, sales.tables, grading, batch_size=2)
    assert (result.total, result.changed) == (4, 3)
    assert result.transitions == {("C", "A"): 2, ("B", "A"): 1}
    history = sales.tables.system(GRADE_TABLE)
    causes = []
    with sales.db.read() as conn:
        ctx = StoreContext(conn, sales.app, sales.tables, sales.clock().date())
        for record in made.values():
            stored = sales.get("account", record.id)
            expected = grading.evaluate(
                formula_view(sales.app.entity("account"), stored.values, record.id), ctx
            )
            assert (float(stored["score"]), stored["grade"]) == (expected.score, expected.grade)
            latest = conn.execute(
                sa.select(history.c.cause, history.c.explanation)
                .where(history.c.record_id == record.id)
                .order_by(history.c.id.desc())
                .limit(1)
            ).one()
            causes.append(latest.cause)
            if record["grade"] != stored["grade"]:
                assert latest.explanation == expected.explanation()
    assert causes.count("bulk_regrade") == 3
    assert regrade(sales.db, sales.app, sales.tables, grading).changed == 0, "idempotent"


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
