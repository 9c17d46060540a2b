"""Where each mark of a chart goes: the geometry the SVG templates draw.

Templates (`templates/dashboards/_charts.html`) write the SVG; the arithmetic Jinja is not
made for (arcs, scales, axis ticks) is done here. Bars, funnel stages and aging columns are
sized in percent of their track, with their labels and values as HTML text beside them, so
they read the same on a phone and a wide screen; the ring of a pie and the line over time
are drawn in the units of their viewBox and scale with their card. Colours are CSS classes
(an option's named colour, else a palette tone) or, for an option coloured #rrggbb, a `fill`
presentation attribute: nothing needs a style attribute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..display import COLORS
from .numbers import Mark

#: Tones of the palette for marks without a colour of their own (see dashboards.css).
PALETTE_SIZE = 8
#: Tones from calm to alarming, for aging buckets (older is worse).
AGE_TONES = 5


@dataclass(frozen=True)
class Shape:
    """A mark placed in its chart: a rectangle (x, y, width, height) or a path `d`, with the
    points where its texts go."""

    mark: Mark
    tone: str
    fill: str | None = None
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    d: str = ""
    #: Where the mark's label and value are written (x, y).
    label_at: tuple[float, float] = (0, 0)
    value_at: tuple[float, float] = (0, 0)
    #: Whether the axis writes this mark's label (a crowded axis skips some), and whether
    #: it is one of the labels a narrow screen skips too.
    labelled: bool = True
    minor: bool = False
    label: str = ""


@dataclass(frozen=True)
class Chart:
    shapes: tuple[Shape, ...]
    height: float
    width: float
    #: Line charts: the line and the area under it, and the value gridlines (y, text).
    line: str = ""
    area: str = ""
    grid: tuple[tuple[float, str], ...] = ()
    baseline: float = 0


def tone(mark: Mark, index: int) -> tuple[str, str | None]:
    """The CSS class and (for #rrggbb colours) the fill attribute of a mark."""
    if mark.color in COLORS:
        return f"c-{mark.color}", None
    if mark.color and mark.color.startswith("#"):
        return "c-custom", mark.color
    return f"c-p{index % PALETTE_SIZE}", None


def _share(mark: Mark, top: float) -> float:
    return max(mark.value, 0) / top if top > 0 else 0


@dataclass(frozen=True)
class Bar:
    """A mark drawn as a bar whose text is HTML beside it: `offset` and `size` are percent of
    the track (a funnel's bars are centred; a column's offset is the room above it)."""

    mark: Mark
    tone: str
    fill: str | None
    offset: float
    size: float


def bars(marks: Sequence[Mark]) -> tuple[Bar, ...]:
    """Horizontal bars from the left, as long as their share of the largest."""
    top = max((m.value for m in marks), default=0)
    return tuple(_bar(mark, index, top, centred=False) for index, mark in enumerate(marks))


def funnel(marks: Sequence[Mark]) -> tuple[Bar, ...]:
    """Stages as centred bars, each as wide as its share of the largest."""
    top = max((m.value for m in marks), default=0)
    return tuple(_bar(mark, index, top, centred=True) for index, mark in enumerate(marks))


def columns(marks: Sequence[Mark]) -> tuple[Bar, ...]:
    """Columns rising from a baseline (aging buckets), warmer as they get older."""
    top = max((m.value for m in marks), default=0)
    shapes = []
    for index, mark in enumerate(marks):
        size = _size(mark, top)
        grade = round(index * (AGE_TONES - 1) / max(len(marks) - 1, 1))
        shapes.append(Bar(mark, f"age-{grade}", None, round(100 - size, 2), size))
    return tuple(shapes)


def _bar(mark: Mark, index: int, top: float, centred: bool) -> Bar:
    size = _size(mark, top)
    css, fill = tone(mark, index)
    return Bar(mark, css, fill, round((100 - size) / 2, 2) if centred else 0, size)


def _size(mark: Mark, top: float) -> float:
    """Percent of the track; a mark with any value stays visible."""
    size = round(_share(mark, top) * 100, 2)
    return max(size, 1.0) if mark.value > 0 else 0


def donut(marks: Sequence[Mark]) -> Chart:
    """Slices of a ring (viewBox 200 × 200), clockwise from the top."""
    shown = [(i, m) for i, m in enumerate(marks) if m.value > 0]
    total = sum(m.value for _i, m in shown)
    shapes, angle = [], 0.0
    for index, mark in shown:
        sweep = mark.value / total * 2 * math.pi
        css, fill = tone(mark, index)
        shapes.append(Shape(mark, css, fill, d=_ring_slice(angle, sweep)))
        angle += sweep
    return Chart(tuple(shapes), 200, 200)


def _ring_slice(start: float, sweep: float, outer: float = 92, inner: float = 58) -> str:
    if sweep >= 2 * math.pi - 1e-6:  # the whole ring: two half arcs each way
        return (
            f"M100,{100 - outer} A{outer},{outer} 0 1 1 100,{100 + outer} "
            f"A{outer},{outer} 0 1 1 100,{100 - outer} "
            f"M100,{100 - inner} A{inner},{inner} 0 1 0 100,{100 + inner} "
            f"A{inner},{inner} 0 1 0 100,{100 - inner} Z"
        )
    end = start + sweep
    large = 1 if sweep > math.pi else 0

    def at(radius: float, angle: float) -> str:
        return f"{100 + radius * math.sin(angle):.2f},{100 - radius * math.cos(angle):.2f}"

    return (
        f"M{at(outer, start)} A{outer},{outer} 0 {large} 1 {at(outer, end)} "
        f"L{at(inner, end)} A{inner},{inner} 0 {large} 0 {at(inner, start)} Z"
    )


def line(marks: Sequence[Mark], tick: Callable[[float], str]) -> Chart:
    """Points over time joined by a line, each period a full-height column to click;
    `tick` writes the values of the gridlines."""
    width, left, right, top_y, base = 600, 48, 588, 14, 178
    top = _nice(max((m.value for m in marks), default=0))
    count = len(marks)
    step = (right - left) / (count - 1) if count > 1 else 0
    every = max(1, math.ceil(count / 7))
    shapes, points = [], []
    for index, mark in enumerate(marks):
        x = left + index * step if count > 1 else (left + right) / 2
        y = base - _share(mark, top) * (base - top_y)
        points.append(f"{x:.1f},{y:.1f}")
        column = step if count > 1 else right - left
        shapes.append(
            Shape(
                mark,
                "c-p0",
                x=round(x - column / 2, 1),
                y=top_y,
                width=round(column, 1),
                height=base - top_y,
                value_at=(round(x, 1), round(y, 1)),
                label_at=(round(x, 1), base + 20),
                labelled=index % every == 0,
                minor=index // every % 2 == 1,
                label=mark.axis_label or mark.label,
            )
        )
    path = "M" + " L".join(points) if points else ""
    area = f"{path} L{points[-1].split(',')[0]},{base} L{points[0].split(',')[0]},{base} Z"
    grid = tuple((round(base - s * (base - top_y), 1), tick(top * s)) for s in (0, 0.5, 1))
    return Chart(tuple(shapes), 206, width, path, area if points else "", grid, base)


def _nice(value: float) -> float:
    """A round top for an axis at or above `value` (1, 2, 2.5, 5 × a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(n * power for n in (1, 2, 2.5, 5, 10) if n * power >= value)
