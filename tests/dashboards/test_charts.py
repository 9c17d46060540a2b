"""Chart geometry: bars sized by their share of the largest, funnel stages centred, a ring
split by share of the total, a line over an even axis with a round top."""

from __future__ import annotations

import pytest

from formwork.views.dashboards import charts
from formwork.views.dashboards.numbers import Mark


def mark(value: float, color: str | None = None) -> Mark:
    return Mark(f"m{value}", value, int(value), str(value), str(value), "/r/x/", "", color)


def test_bars_are_sized_by_their_share_of_the_largest() -> None:
    bars = charts.bars([mark(50), mark(200), mark(0), mark(0.5)])
    assert [(b.offset, b.size) for b in bars] == [(0, 25.0), (0, 100.0), (0, 0), (0, 1.0)]


def test_funnel_stages_are_centred() -> None:
    stages = charts.funnel([mark(100), mark(40)])
    assert [(s.offset, s.size) for s in stages] == [(0.0, 100.0), (30.0, 40.0)]


@pytest.mark.parametrize(
    ("color", "tone", "fill"),
    [("green", "c-green", None), ("#3366cc", "c-custom", "#3366cc"), (None, "c-p2", None)],
)
def test_marks_take_their_options_colour_or_a_palette_tone(
    color: str | None, tone: str, fill: str | None
) -> None:
    assert charts.tone(mark(1, color), 2) == (tone, fill)


def test_aging_columns_warm_up_as_they_get_older() -> None:
    columns = charts.columns([mark(10), mark(20), mark(5)])
    assert [c.tone for c in columns] == ["age-0", "age-2", "age-4"]
    assert [(c.offset, c.size) for c in columns] == [(50.0, 50.0), (0.0, 100.0), (75.0, 25.0)]


def test_a_ring_leaves_out_empty_slices_and_closes_on_one() -> None:
    ring = charts.donut([mark(1), mark(0), mark(3)])
    assert [s.mark.value for s in ring.shapes] == [1, 3]
    assert " 0 0 1 " in ring.shapes[0].d and " 0 1 1 " in ring.shapes[1].d  # 90° and 270°
    (whole,) = charts.donut([mark(7)]).shapes
    assert whole.d.count("A") == 4  # a full ring: two half arcs outside, two inside


def test_a_line_has_an_even_axis_and_a_round_top() -> None:
    line = charts.line([mark(0), mark(3), mark(7)], lambda v: f"{v:g}")
    assert [s.value_at[0] for s in line.shapes] == [48, 318, 588]
    assert [tick for _y, tick in line.grid] == ["0", "5", "10"]
    assert line.line.startswith("M48.0,178.0 L318.0,")
