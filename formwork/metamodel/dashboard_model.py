"""The typed model of dashboards (`dashboards/*.yaml`): who sees them and their widgets.

A `Dashboard` is an ordered list of `Widget`s, each a number or a chart over one entity's
records. A widget's filters are written in the terms of the list page's URL (`field` equal to
one of some values, `field.min` / `field.max` ranges), so every number and every chart segment
can link to the list of exactly the records behind it. What the widgets compute is in
`formwork.store.aggregates`; the pages are `formwork.views.dashboards`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .model import Label
from .problems import Location

#: Every kind of widget, in the order the docs present them.
WIDGET_KINDS = ("number", "bar", "pie", "funnel", "line", "aging")
#: Kinds that group records by the value of a select or link field.
GROUPED_KINDS = frozenset({"bar", "pie", "funnel"})
#: What a widget measures per group: how many records, or a number field summed up.
MEASURE_FUNCTIONS = ("count", "sum", "avg", "min", "max")
#: How a line chart buckets its date field.
PERIODS = ("day", "week", "month", "quarter", "year")
#: The value a link-to-user filter may name to mean the person looking at the dashboard.
ME = "me"


@dataclass(frozen=True, slots=True)
class WidgetFilter:
    """One condition, as the list URL writes it: the field equals one of `values`, and/or lies
    between `min` and `max` (as written: dates may be relative, `-30d`)."""

    field: str
    values: tuple[str, ...] = ()
    min: str | None = None
    max: str | None = None


@dataclass(frozen=True, slots=True)
class Measure:
    """`count` of records, or `function` (sum, avg, min, max) of a number field."""

    function: str = "count"
    field: str | None = None


COUNT = Measure()


@dataclass(frozen=True, slots=True)
class Widget:
    """A number card or a chart over the records of `entity` that match `filters`.

    bar, pie and funnel group by `group` (a select or link field); line buckets `date` by
    `period`; aging buckets the days from `date` to today at `buckets` (e.g. 0, 30, 60, 90).
    """

    kind: str
    label: Label
    entity: str
    location: Location
    filters: tuple[WidgetFilter, ...] = ()
    measure: Measure = COUNT
    group: str | None = None
    date: str | None = None
    period: str = "month"
    buckets: tuple[int, ...] = ()
    #: The most groups a chart grouped by a link field shows (the largest ones).
    limit: int = 10
    #: Spans two columns of the dashboard's grid.
    wide: bool = False
    #: A line under the figure, e.g. what the number counts.
    caption: Label | None = None

    def fields(self) -> tuple[str, ...]:
        """Every field the widget reads: it needs them all to be visible to the viewer."""
        used = [f.field for f in self.filters]
        used += [name for name in (self.group, self.date, self.measure.field) if name]
        return tuple(dict.fromkeys(used))


@dataclass(frozen=True, slots=True, repr=False)
class Dashboard:
    """Widgets for the people holding one of `roles` (no roles: everyone signed in)."""

    name: str
    label: Label
    widgets: tuple[Widget, ...]
    location: Location
    roles: tuple[str, ...] = ()
    description: Label | None = None

    def __repr__(self) -> str:
        return f"<Dashboard {self.name}: {len(self.widgets)} widgets>"

    def visible_to(self, roles: Iterable[str]) -> bool:
        return not self.roles or any(role in self.roles for role in roles)


__all__ = [
    "COUNT",
    "GROUPED_KINDS",
    "ME",
    "MEASURE_FUNCTIONS",
    "PERIODS",
    "WIDGET_KINDS",
    "Dashboard",
    "Measure",
    "Widget",
    "WidgetFilter",
]
