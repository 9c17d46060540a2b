"""A widget's figures for the signed-in user: the numbers behind it and where each one links.

The widget's filter is first written as list-page URL parameters (relative dates and `me`
worked out for today and this user), then read back by the list page's own parser
(`list_params.parse_list_args`): the aggregate runs on exactly the filters the list will run,
so each mark's link — the base parameters plus the mark's own value or date range — shows
exactly the records the mark counts. A widget that reads a field the user may not see, or an
entity they may not list, is not available to them; nothing of it is computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ...metamodel.dashboard_model import GROUPED_KINDS, ME, Widget, WidgetFilter
from ...metamodel.model import USER_ENTITY, Entity, Field
from ...metamodel.relative_dates import add_months, is_relative, resolve
from ...store.aggregates import Aggregate, Bucket, ByAge, ByPeriod, ByValue, Grouping
from ...store.errors import RecordError
from ..context import actor, hidden_fields, model, runtime, service, text
from ..display import LinkTitles
from ..records.list_params import parse_list_args, url
from .numbers import Mark, Numbers, period_label

Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class Figures:
    widget: Widget
    title: str
    caption: str
    #: The list of every record the widget counts.
    href: str | None
    marks: tuple[Mark, ...] = ()
    available: bool = True
    #: How the widget's values read (None when it is not available).
    numbers: Numbers | None = None

    @property
    def empty(self) -> bool:
        return not any(m.count for m in self.marks)

    @property
    def total(self) -> Mark | None:
        return self.marks[0] if self.widget.kind == "number" and self.marks else None


def figures(widget: Widget, today: dt.date) -> Figures:
    """The widget's figures for the signed-in user, as of `today`."""
    entity = model().entity(widget.entity)
    title, caption = text(widget.label), text(widget.caption)
    hidden = hidden_fields(entity)
    if any(name in hidden for name in widget.fields()):
        return Figures(widget, title, caption, None, available=False)
    pairs = base_pairs(entity, widget.filters, today)
    params = parse_list_args(entity, MultiDict(pairs), hidden, runtime().settings.timezone)
    if params.problems:
        return Figures(widget, title, caption, None, available=False)
    grouping = _grouping(entity, widget, today)
    aggregate = Aggregate(params.filters, widget.measure.function, widget.measure.field, grouping)
    try:
        buckets = service().aggregate(entity.name, aggregate, actor())
    except RecordError:  # no right to list the entity, or a field out of reach
        return Figures(widget, title, caption, None, available=False)
    numbers = Numbers(entity, widget.measure)
    marks = _marks(entity, widget, buckets, pairs, numbers, today)
    return Figures(widget, title, caption, list_url(entity, pairs), tuple(marks), True, numbers)


def base_pairs(entity: Entity, filters: Sequence[WidgetFilter], today: dt.date) -> Pairs:
    """The widget's filter as list URL parameters, for this user and today."""
    pairs: Pairs = []
    for item in filters:
        field = entity.fields[item.field]
        pairs += [(item.field, _value(field, v, today)) for v in item.values]
        for bound in ("min", "max"):
            raw = getattr(item, bound)
            if raw is not None:
                pairs.append((f"{item.field}.{bound}", _value(field, raw, today)))
    return pairs


def list_url(entity: Entity, pairs: Pairs) -> str:
    return url(url_for("records.list_view", entity=entity.name), pairs)


def _value(field: Field, raw: str, today: dt.date) -> str:
    user = actor()
    if raw == ME and field.type == "link" and field.setting("to") == USER_ENTITY and user:
        return str(user.id)
    if field.kind.value_type in ("date", "datetime") and is_relative(raw):
        return resolve(raw, today).isoformat()
    return raw


def _grouping(entity: Entity, widget: Widget, today: dt.date) -> Grouping | None:
    if widget.kind in GROUPED_KINDS:
        assert widget.group is not None
        link = entity.fields[widget.group].type == "link"
        return ByValue(widget.group, widget.limit if link else None)
    if widget.kind == "line":
        assert widget.date is not None
        return ByPeriod(widget.date, widget.period)
    if widget.kind == "aging":
        assert widget.date is not None
        return ByAge(widget.date, widget.buckets, today)
    return None


# -- marks -----------------------------------------------------------------------------------
def _marks(
    entity: Entity,
    widget: Widget,
    buckets: list[Bucket],
    pairs: Pairs,
    numbers: Numbers,
    today: dt.date,
) -> list[Mark]:
    if widget.kind == "number":
        found = buckets[0] if buckets else Bucket(None, 0, 0)
        return [numbers.mark(text(widget.label), found, list_url(entity, pairs))]
    if widget.kind in GROUPED_KINDS:
        assert widget.group is not None
        return _grouped(entity, entity.fields[widget.group], widget, buckets, pairs, numbers)
    if widget.kind == "line":
        return _periods(entity, widget, buckets, pairs, numbers, today)
    return _ages(entity, widget, buckets, pairs, numbers, today)


def _grouped(
    entity: Entity,
    field: Field,
    widget: Widget,
    buckets: list[Bucket],
    pairs: Pairs,
    numbers: Numbers,
) -> list[Mark]:
    def href(key: Any) -> str:
        return list_url(entity, _with_value(pairs, field.name, str(key)))

    by_key = {b.key: b for b in buckets}
    if field.type == "select":
        # Every option in its order (a funnel shows its empty stages too), then any value the
        # options no longer list.
        wanted = {v for f in widget.filters if f.field == field.name for v in f.values}
        options = [o for o in field.options if not wanted or o.value in wanted]
        marks = [
            numbers.mark(
                text(o.label, o.value),
                by_key.get(o.value, Bucket(o.value, 0, 0)),
                href(o.value),
                o.color,
            )
            for o in options
        ]
        known = {o.value for o in field.options}
        marks += [numbers.mark(str(b.key), b, href(b.key)) for b in buckets if b.key not in known]
        return marks
    titles = LinkTitles(service(), actor()).load([field], [{field.name: b.key} for b in buckets])
    target = field.setting("to")
    return [
        numbers.mark(titles.title(target, b.key) or f"#{b.key}", b, href(b.key)) for b in buckets
    ]


def _periods(
    entity: Entity,
    widget: Widget,
    buckets: list[Bucket],
    pairs: Pairs,
    numbers: Numbers,
    today: dt.date,
) -> list[Mark]:
    """A point for every period from the filter's start (or the first found) to today (or
    the filter's end), empty periods included, so the axis is even."""
    assert widget.date is not None
    low, high = _range(pairs, widget.date)
    by_start = {b.key: b for b in buckets if b.key is not None}
    first = min([*by_start, *([low] if low else [])], default=None)
    last = max([*by_start, high or today], default=today)
    if first is None:
        return []
    marks = []
    start = period_start(first, widget.period)
    while start <= last and len(marks) < 400:
        end = next_period(start, widget.period) - dt.timedelta(days=1)
        found = by_start.get(start, Bucket(start, 0, 0))
        link = _with_range(pairs, widget.date, start, end)
        marks.append(
            numbers.mark(
                period_label(start, widget.period),
                found,
                None if link is None else list_url(entity, link),
                axis_label=period_label(start, widget.period, axis=True),
            )
        )
        start = end + dt.timedelta(days=1)
    return marks


def _ages(
    entity: Entity,
    widget: Widget,
    buckets: list[Bucket],
    pairs: Pairs,
    numbers: Numbers,
    today: dt.date,
) -> list[Mark]:
    """A column per bucket of days, oldest last; each links to its range of dates."""
    assert widget.date is not None
    by_index = {b.key: b for b in buckets}
    starts = widget.buckets
    marks = []
    for index, begin in enumerate(starts):
        newest = today - dt.timedelta(days=begin)
        if index + 1 < len(starts):
            oldest = today - dt.timedelta(days=starts[index + 1] - 1)
            label = _("%(low)s–%(high)s days", low=begin, high=starts[index + 1] - 1)
        else:
            oldest = None
            label = _("%(low)s+ days", low=begin)
        link = _with_range(pairs, widget.date, oldest, newest)
        marks.append(
            numbers.mark(
                label,
                by_index.get(index, Bucket(index, 0, 0)),
                None if link is None else list_url(entity, link),
            )
        )
    return marks


# -- URL parameters --------------------------------------------------------------------------
def _with_value(pairs: Pairs, name: str, value: str) -> Pairs:
    """The filter narrowed to `name` == value (replacing the values it allowed)."""
    return [p for p in pairs if p[0] != name] + [(name, value)]


def _range(pairs: Pairs, name: str) -> tuple[dt.date | None, dt.date | None]:
    found = dict(pairs)
    low, high = found.get(f"{name}.min"), found.get(f"{name}.max")
    return (
        dt.date.fromisoformat(low) if low else None,
        dt.date.fromisoformat(high) if high else None,
    )


def _with_range(pairs: Pairs, name: str, low: dt.date | None, high: dt.date | None) -> Pairs | None:
    """The filter narrowed to dates from `low` to `high` (None: open); None when nothing can
    be in both the filter's own range and this one."""
    own_low, own_high = _range(pairs, name)
    low = max(d for d in (low, own_low) if d) if low or own_low else None
    high = min(d for d in (high, own_high) if d) if high or own_high else None
    if low and high and low > high:
        return None
    kept = [p for p in pairs if p[0] not in (f"{name}.min", f"{name}.max")]
    kept += [(f"{name}.min", low.isoformat())] if low else []
    kept += [(f"{name}.max", high.isoformat())] if high else []
    return kept


def period_start(day: dt.date, period: str) -> dt.date:
    """The first day of the period (week from Monday) that `day` falls in."""
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return dt.date(day.year, 1, 1)


def next_period(start: dt.date, period: str) -> dt.date:
    if period == "day":
        return start + dt.timedelta(days=1)
    if period == "week":
        return start + dt.timedelta(weeks=1)
    return add_months(start, {"month": 1, "quarter": 3, "year": 12}[period])
