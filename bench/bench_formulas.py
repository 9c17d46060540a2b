"""Per-record evaluation of a realistic scorecard: compiled formulas vs hand-written Python vs
plain simpleeval, on the same generated records.

Goals (issue #3): compiled ≥ 0.7× the hand-written speed, ≥ 15× simpleeval's.
Run: .venv/bin/python -m bench.bench_formulas [records]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

from simpleeval import SimpleEval

from bench.timing import best_of
from formwork.metamodel import load_app
from formwork.metamodel.model import Band, Dimension, GradeLevel, Grading, Label, Override
from formwork.metamodel.problems import Location
from formwork.rules.functions import default_functions
from formwork.rules.grading import CompiledGrading, band_points, direct_points, round_score
from formwork.rules.pycompile import MemoryContext

PACKAGE = Path(__file__).resolve().parent.parent / "configs" / "engineering_crm"
HERE = Location("bench", 0)
L = Label({"zh": "x"})
STABILITY = (
    "min(cooperation_years, 10) * 6 + (40 if payment_record == '良好' else 0)"
    " - (50 if major_dispute else 0)"
)
GRADING = Grading(
    name="customer_grade",
    entity="customer",
    label=L,
    location=HERE,
    dimensions=(
        Dimension(
            "contract_value",
            L,
            40,
            "annual_amount",
            HERE,
            bands=(Band(100, 20_000_000), Band(70, 10_000_000), Band(40, 5_000_000), Band(10)),
        ),
        Dimension("complexity", L, 20, "complexity * 20", HERE),
        Dimension("strategic", L, 25, "strategic_value * 20", HERE),
        Dimension("stability", L, 15, STABILITY, HERE),
    ),
    grades=(GradeLevel("A", L, 80), GradeLevel("B", L, 60), GradeLevel("C", L, None)),
    overrides=(
        Override(
            "at_least", "A", "max_single_contract >= 5000000 or annual_amount >= 20000000", L, HERE
        ),
    ),
)


def make_records(count: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    return [
        {
            "annual_amount": rng.choice([None, rng.uniform(0, 3e7)]),
            "max_single_contract": rng.uniform(0, 8e6),
            "complexity": rng.randint(0, 5),
            "strategic_value": rng.randint(0, 5),
            "cooperation_years": rng.randint(0, 20),
            "payment_record": rng.choice(["良好", "一般", "较差", None]),
            "major_dispute": rng.random() < 0.1,
        }
        for _ in range(count)
    ]


def hand_written(r: dict[str, Any]) -> tuple[float, str]:
    amount = r["annual_amount"]
    if amount is not None and amount >= 20_000_000:
        size = 100
    elif amount is not None and amount >= 10_000_000:
        size = 70
    elif amount is not None and amount >= 5_000_000:
        size = 40
    else:
        size = 10
    complexity = direct_points(r["complexity"] * 20 if r["complexity"] is not None else None)
    strategic = direct_points(
        r["strategic_value"] * 20 if r["strategic_value"] is not None else None
    )
    years = r["cooperation_years"]
    stability = direct_points(
        None
        if years is None
        else min(years, 10) * 6
        + (40 if r["payment_record"] == "良好" else 0)
        - (50 if r["major_dispute"] else 0)
    )
    score = round_score(size * 0.4 + complexity * 0.2 + strategic * 0.25 + stability * 0.15)
    grade = "A" if score >= 80 else "B" if score >= 60 else "C"
    big = r["max_single_contract"] is not None and r["max_single_contract"] >= 5_000_000
    if big or (amount is not None and amount >= 20_000_000):
        grade = "A"
    return score, grade


def simpleeval_grader() -> Any:
    evaluator = SimpleEval(functions={"min": min})

    def grade(r: dict[str, Any]) -> tuple[float, str]:
        evaluator.names = r
        total = 0.0
        for dimension in GRADING.dimensions:
            value = evaluator.eval(dimension.value)
            points = (
                band_points(value, dimension.bands) if dimension.bands else direct_points(value)
            )
            total += points * dimension.weight / 100
        score = round_score(total)
        result = "A" if score >= 80 else "B" if score >= 60 else "C"
        if evaluator.eval(GRADING.overrides[0].when):
            result = "A"
        return score, result

    return grade


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    app = load_app(PACKAGE)
    compiled = CompiledGrading(app, GRADING, default_functions())
    records = [r for r in make_records(count) if r["annual_amount"] is not None]
    ctx = MemoryContext()
    by_simpleeval = simpleeval_grader()

    for r in records[:2000]:  # the three must agree before their speed means anything
        result = compiled.evaluate(r, ctx)
        assert (result.score, result.grade) == hand_written(r) == by_simpleeval(r), r

    t_compiled = best_of(3, lambda: [compiled.score_and_grade(r, ctx) for r in records])
    t_hand = best_of(3, lambda: [hand_written(r) for r in records])
    t_simple = best_of(1, lambda: [by_simpleeval(r) for r in records[: len(records) // 10]]) * 10
    per = 1e6 / len(records)
    print(
        f"scorecard, {len(records):,} records: compiled {t_compiled * per:.2f} µs/record, "
        f"hand-written {t_hand * per:.2f} µs/record, simpleeval {t_simple * per:.2f} µs/record"
    )
    print(
        f"compiled speed = {t_hand / t_compiled:.2f}× hand-written (goal ≥ 0.7), "
        f"{t_simple / t_compiled:.1f}× simpleeval (goal ≥ 15)"
    )


if __name__ == "__main__":
    main()
