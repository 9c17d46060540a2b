"""Small timing helpers shared by the benchmarks: best-of-N wall time and a result line."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_of(repeat: int, run: Callable[[], Any]) -> float:
    """The fastest of `repeat` runs, in seconds (the least disturbed by the rest of the machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def report(name: str, measured: float, baseline: float, baseline_name: str, unit: str = "s") -> str:
    ratio = measured / baseline if baseline else float("inf")
    line = (
        f"{name}: {measured:.4f} {unit} vs {baseline_name} {baseline:.4f} {unit} "
        f"→ {ratio:.2f}× the baseline's time"
    )
    print(line, flush=True)
    return line
