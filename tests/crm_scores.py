"""Customers of the reference app whose grading inputs give known scores with the package's
scorecard, for the tests that lower the A threshold and watch who moves."""

from __future__ import annotations

from typing import Any

A_THRESHOLD = "gradings/customer_grade/grades/grade=A/min_score"
GRADING_INPUTS: dict[str, dict[str, Any]] = {
    "Alder": {  # 77.25: B
        "complexity": 5,
        "strategic_value": 5,
        "potential": 5,
        "cooperation_years": 10,
        "payment_record": "良好",
        "annual_amount": 1_000_000,
    },
    "Birch": {  # 62.75: B
        "complexity": 4,
        "strategic_value": 4,
        "potential": 4,
        "cooperation_years": 5,
        "payment_record": "良好",
        "annual_amount": 1_000_000,
    },
    "Cedar": {  # 51: C
        "complexity": 3,
        "strategic_value": 4,
        "potential": 4,
        "cooperation_years": 5,
        "payment_record": "良好",
    },
}
