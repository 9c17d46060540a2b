"""Scorecards: weighted points, thresholds on the rounded score, overrides, explanations —
the same answers from the Python evaluation and from SQL."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formwork.metamodel import App
from formwork.metamodel.model import Band, Dimension, GradeLevel, Grading, Label, Override
from formwork.metamodel.problems import Location
from formwork.rules.functions import FunctionRegistry, SqlContext
from formwork.rules.grade_explanation import Layout, compact, expand
from formwork.rules.grading import CompiledGrading, band_index, band_points
from formwork.rules.grading_sql import graded_select
from formwork.rules.pycompile import MemoryContext
from tests.rules.harness import NOW, TODAY, ThreeWays

HERE = Location("test", 1)


def _label(text: str) -> Label:
    return Label({"zh": text})


def deal_grading(a_min: float = 80, b_min: float = 60) -> Grading:
    return Grading(
        name="deal_grade",
        entity="deal",
        label=_label("交易分级"),
        location=HERE,
        dimensions=(
            Dimension(
                "size",
                _label("规模"),
                40,
                "amount",
                HERE,
                bands=(Band(100, 20_000_000), Band(70, 10_000_000), Band(40, 5_000_000), Band(10)),
            ),
            Dimension("volume", _label("数量"), 20, "qty * 20", HERE),
            Dimension("quality", _label("质量"), 40, "rate * 100", HERE),
        ),
        grades=(
            GradeLevel("A", _label("A"), a_min),
            GradeLevel("B", _label("B"), b_min),
            GradeLevel("C", _label("C"), None),
        ),
        overrides=(
            Override("at_least", "A", "amount >= 5000000 and flag", _label("大单"), HERE),
            Override("at_most", "B", "'cold' in tags", _label("冷淡"), HERE),
        ),
    )


@pytest.fixture
def grading(formula_app: App, functions: FunctionRegistry) -> CompiledGrading:
    return CompiledGrading(formula_app, deal_grading(), functions)


def record(**values: Any) -> dict[str, Any]:
    base = {
        "amount": 0.0,
        "qty": 0,
        "rate": 0.0,
        "flag": False,
        "tags": [],
        "title": None,
        "stage": None,
        "due": None,
        "opened": None,
    }
    return {**base, **values}


@pytest.mark.parametrize(
    ("value", "points"),
    [
        (25_000_000, 100),
        (20_000_000, 100),
        (19_999_999.99, 70),
        (5_000_000, 40),
        (0, 10),
        (None, 10),
    ],
)
def test_bands_first_match_wins(value: float | None, points: float) -> None:
    assert band_points(value, deal_grading().dimensions[0].bands) == points


def test_score_is_the_weighted_average_of_points(grading: CompiledGrading) -> None:
    result = grading.evaluate(record(amount=12_000_000.0, qty=3, rate=0.5), MemoryContext())
    # size 70×0.4 + volume 60×0.2 + quality 50×0.4
    assert result.score == 60.0
    assert result.grade == "B"
    assert [(d.name, d.points, d.contribution) for d in result.dimensions] == [
        ("size", 70, 28.0),
        ("volume", 60, 12.0),
        ("quality", 50, 20.0),
    ]


def test_direct_points_are_clamped_to_0_100(grading: CompiledGrading) -> None:
    result = grading.evaluate(record(qty=50, rate=-3.0), MemoryContext())
    assert [d.points for d in result.dimensions] == [10, 100, 0]


@pytest.mark.parametrize(("rate", "grade"), [(0.7997, "B"), (0.79995, "A"), (0.8, "A")])
def test_thresholds_apply_to_the_rounded_score(
    formula_app: App, functions: FunctionRegistry, rate: float, grade: str
) -> None:
    # size 100×0.4 = 40, volume 40×0.2 = 8, quality rate×100×0.4: 0.79995 → 31.998,
    # total 79.998, shown and graded as 80.00 → A; 0.7997 → 79.988 → 79.99 → B
    compiled = CompiledGrading(formula_app, deal_grading(a_min=80), functions)
    result = compiled.evaluate(record(amount=20_000_000.0, qty=2, rate=rate), MemoryContext())
    assert result.grade == grade, result.score


def test_at_least_lifts_a_big_deal_to_a(grading: CompiledGrading) -> None:
    result = grading.evaluate(record(amount=6_000_000.0, flag=True), MemoryContext())
    assert result.score_grade == "C"
    assert result.grade == "A"
    assert result.override == 0
    assert result.explanation()["override"] == 0


def test_at_most_caps_and_a_non_moving_override_is_not_credited(grading: CompiledGrading) -> None:
    capped = grading.evaluate(
        record(amount=25_000_000.0, qty=5, rate=1.0, tags=["cold"]), MemoryContext()
    )
    assert (capped.score_grade, capped.grade, capped.override) == ("A", "B", 1)
    low = grading.evaluate(record(tags=["cold"]), MemoryContext())
    assert (low.grade, low.override) == ("C", None)


def _sql_result(three_ways: ThreeWays, grading: CompiledGrading, values: dict[str, Any]) -> Any:
    deal = three_ways.tables["deal"]
    ctx = SqlContext(three_ways.db.dialect, TODAY)
    stored = {
        k: Decimal(repr(v)) if isinstance(v, float) else v for k, v in values.items() if k in deal.c
    }
    with three_ways.db.write() as conn:
        row = conn.execute(
            sa.insert(deal).values(created_at=NOW, updated_at=NOW, **stored)
        ).inserted_primary_key[0]
        graded = graded_select(grading, three_ways.tables, ctx, where=[deal.c.id == row])
        result = conn.execute(sa.select(graded)).mappings().one()
        conn.rollback()
    return result


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    amount=st.decimals(0, 30_000_000, places=2, allow_nan=False).map(float),
    qty=st.integers(0, 6),
    rate=st.decimals(0, 1, places=2, allow_nan=False).map(float),
    flag=st.booleans(),
    tags=st.lists(st.sampled_from(["hot", "cold", "key"]), unique=True),
)
def test_sql_grades_like_python(
    three_ways: ThreeWays,
    formula_app: App,
    functions: FunctionRegistry,
    amount: float,
    qty: int,
    rate: float,
    flag: bool,
    tags: list[str],
) -> None:
    grading = CompiledGrading(formula_app, deal_grading(), functions)
    values = record(amount=amount, qty=qty, rate=rate, flag=flag, tags=tags)
    expected = grading.evaluate(values, MemoryContext(today=TODAY))
    row = _sql_result(three_ways, grading, values)
    assert (row["score"], row["grade"], row["base_grade"]) == (
        expected.score,
        expected.grade,
        expected.score_grade,
    )
    assert row["override"] == expected.override
    layout = Layout.of(grading.grading)
    assert expand(row["explanation"], layout, row["score"], row["grade"]) == expected.explanation()
    stored_by_python = json.loads(json.dumps(compact(layout, expected)))
    assert (
        expand(stored_by_python, layout, expected.score, expected.grade) == expected.explanation()
    )


@settings(max_examples=200, deadline=None)
@given(
    amount=st.one_of(st.none(), st.decimals(0, 30_000_000, places=2, allow_nan=False).map(float)),
    qty=st.one_of(st.none(), st.integers(0, 6)),
    rate=st.decimals(-1, 2, places=2, allow_nan=False).map(float),
    flag=st.booleans(),
    tags=st.lists(st.sampled_from(["hot", "cold", "key"]), unique=True),
)
def test_the_scorecard_inputs_are_what_an_explanation_stores(
    formula_app: App,
    functions: FunctionRegistry,
    amount: float | None,
    qty: int | None,
    rate: float,
    flag: bool,
    tags: list[str],
) -> None:
    grading = CompiledGrading(formula_app, deal_grading(), functions)
    values = record(amount=amount, qty=qty, rate=rate, flag=flag, tags=tags)
    result = grading.evaluate(values, MemoryContext())
    for dimension, spec in zip(result.dimensions, grading.grading.dimensions, strict=True):
        expected = band_index(dimension.value, spec.bands) if spec.bands else None
        assert dimension.band == expected
    score, grade, items = grading.inputs(values, MemoryContext())
    layout = Layout.of(grading.grading)
    assert (score, grade) == (result.score, result.grade)
    assert [layout.key, *items] == compact(layout, result)
