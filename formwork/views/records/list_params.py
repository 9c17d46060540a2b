"""The URL contract of list and board pages: query parameters in, a store `Query` out.

    ?q=words                      search the list's search fields
    ?sort=-score,name             sort keys, "-" for descending (default: the list's sort)
    ?after=<cursor>               the page after a `Page.next_cursor`
    ?<field>=<value>              repeat the parameter for "any of"; empty means no filter
    ?<field>.min=…&<field>.max=…  a range, for numbers, dates and times

Any visible stored field may be filtered from the URL (other pages link to `?project=12`);
the configured filters are only the ones a page offers. A parameter that names no field the
user may see is ignored: a hidden field behaves exactly like an unknown one, so a URL cannot
probe for it. Sort keys that cannot be used are dropped the same way. A value that does not
fit its field is a *problem* kept by field name, for the page to show next to the filter
(and answer 400) instead of running a query that means something else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ...metamodel.model import Entity, Field, SortKey
from ...store.query import Filter, Query

#: Parameters that are not field filters.
RESERVED = frozenset({"q", "sort", "after", "by"})
RANGE_SUFFIXES = (".min", ".max")
#: Value types a range (min/max) applies to.
RANGE_TYPES = frozenset({"number", "date", "datetime"})

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ListParams:
    """What a list URL asks for, cleaned: the raw values (to show again) and the filters."""

    search: str = ""
    #: The sort asked for; None means the list's configured sort.
    sort: tuple[SortKey, ...] | None = None
    after: str | None = None
    #: Field → the values chosen (non-empty, in URL order).
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Field → (min, max) as typed ("" for an open end).
    ranges: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    filters: tuple[Filter, ...] = ()
    #: Field name (or "after") → what is wrong with its value.
    problems: Mapping[str, str] = field(default_factory=dict)

    @property
    def sort_text(self) -> str:
        """The sort as the `sort` parameter spells it ("" for the default)."""
        if self.sort is None:
            return ""
        return ",".join(("-" if k.descending else "") + k.field for k in self.sort)

    @property
    def filtered(self) -> bool:
        return bool(self.values or self.ranges or self.search)

    def query(self, *extra: Filter, page_size: int | None = None, count: bool = True) -> Query:
        return Query(
            filters=(*self.filters, *extra),
            search=self.search or None,
            sort=None if self.sort is None else tuple(self.sort_text.split(",")),
            page_size=page_size,
            after=self.after,
            count=count,
        )

    def pairs(self, *, sort: bool = True) -> Pairs:
        """The state as URL parameters, without `after` (links start on a first page)."""
        pairs: list[tuple[str, str]] = []
        if self.search:
            pairs.append(("q", self.search))
        if sort and self.sort is not None:
            pairs.append(("sort", self.sort_text))
        for name, values in self.values.items():
            pairs += [(name, v) for v in values]
        for name, (low, high) in self.ranges.items():
            pairs += [(f"{name}.min", low)] if low else []
            pairs += [(f"{name}.max", high)] if high else []
        return tuple(pairs)

    def without(self, name: str) -> Pairs:
        """The state less the filter on `name` (its values and range)."""
        dropped = {name, *(name + s for s in RANGE_SUFFIXES)}
        return tuple(p for p in self.pairs() if p[0] not in dropped)


def url(base: str, pairs: Iterable[tuple[str, str]]) -> str:
    query = urlencode(list(pairs))
    return f"{base}?{query}" if query else base


def filterable(entity: Entity, hidden: frozenset[str]) -> dict[str, Field]:
    """The fields `hidden` leaves that a URL may filter on: stored, not files or long text."""
    return {
        name: f
        for name, f in entity.fields.items()
        if f.stored and not f.kind.bulky and name not in hidden
    }


def sortable(entity: Entity, hidden: frozenset[str]) -> dict[str, Field]:
    return {
        name: f
        for name, f in entity.fields.items()
        if f.stored and f.kind.ordered and name not in hidden
    }


def is_range(field: Field) -> bool:
    return field.kind.value_type in RANGE_TYPES


def parse_list_args(
    entity: Entity,
    args: MultiDict[str, str],
    hidden: frozenset[str],
    zone: str = "UTC",
    *,
    fields: Mapping[str, Field] | None = None,
    sorts: Mapping[str, Field] | None = None,
) -> ListParams:
    """The list state a URL asks for; problems by field instead of exceptions. `fields` and
    `sorts`, when the caller has them, are `filterable` and `sortable` of `hidden`."""
    if fields is None:
        fields = filterable(entity, hidden)
    values: dict[str, tuple[str, ...]] = {}
    ranges: dict[str, tuple[str, str]] = {}
    for key in args:
        name, suffix = _split(key)
        if name in RESERVED or name not in fields:
            continue
        if suffix:
            if is_range(fields[name]):
                low, high = (args.get(name + s, "").strip() for s in RANGE_SUFFIXES)
                ranges[name] = (low, high)
        else:
            chosen = tuple(dict.fromkeys(v.strip() for v in args.getlist(key) if v.strip()))
            if chosen:
                values[name] = chosen
    ranges = {name: r for name, r in ranges.items() if any(r)}
    filters: list[Filter] = []
    problems: dict[str, str] = {}
    for name, chosen in values.items():
        try:
            filters += _value_filters(fields[name], chosen)
        except _Problem as problem:
            problems[name] = str(problem)
    for name, (low, high) in ranges.items():
        try:
            filters.append(_range_filter(fields[name], low, high, ZoneInfo(zone)))
        except _Problem as problem:
            problems.setdefault(name, str(problem))
    return ListParams(
        search=" ".join(args.get("q", "").split()),
        sort=_sort(args.get("sort", ""), sortable(entity, hidden) if sorts is None else sorts),
        after=args.get("after", "").strip() or None,
        values=values,
        ranges=ranges,
        filters=tuple(filters),
        problems=problems,
    )


class _Problem(ValueError):
    pass


def _split(key: str) -> tuple[str, str]:
    for suffix in RANGE_SUFFIXES:
        if key.endswith(suffix):
            return key[: -len(suffix)], suffix
    return key, ""


def _sort(text: str, fields: Mapping[str, Field]) -> tuple[SortKey, ...] | None:
    keys: list[SortKey] = []
    for part in text.split(","):
        name = part.strip().lstrip("-")
        if name in fields and all(k.field != name for k in keys):
            keys.append(SortKey(name, part.strip().startswith("-")))
    return tuple(keys) or None


def _value_filters(field: Field, chosen: tuple[str, ...]) -> list[Filter]:
    if field.kind.has_options:
        unknown = [v for v in chosen if v not in field.option_values()]
        if unknown:
            raise _Problem(_("Not an option: %(value)s.", value=", ".join(unknown)))
        if field.type == "multiselect":  # a record has all of the chosen tags
            return [Filter(field.name, "contains", v) for v in chosen]
        converted: list[Any] = list(chosen)
    else:
        converted = [_convert(field, v) for v in chosen]
    if len(converted) == 1:
        return [Filter(field.name, "eq", converted[0])]
    return [Filter(field.name, "in", converted)]


def _range_filter(field: Field, low: str, high: str, zone: ZoneInfo) -> Filter:
    bounds = [
        _bound(field, low, zone, end=False) if low else None,
        _bound(field, high, zone, end=True) if high else None,
    ]
    if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        raise _Problem(_("The minimum is above the maximum."))
    return Filter(field.name, "between", bounds)


def _bound(field: Field, raw: str, zone: ZoneInfo, end: bool) -> Any:
    """A range bound; for a date-and-time field a bare date means the start (or end) of that
    day where the user is."""
    if field.kind.value_type == "datetime":
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            pass
        else:
            moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min, zone)
            return moment.astimezone(dt.UTC)
    return _convert(field, raw)


def _convert(field: Field, raw: str) -> Any:
    """`raw` as a value of the field, checked for its type but not for its limits (a filter
    may well look for values a form would refuse today)."""
    converter = field.kind.input_field(field)
    converter.validators = []
    try:
        value = converter.deserialize(raw)
    except ma.ValidationError:
        value = None
    if value is None:
        raise _Problem(_type_problem(field, raw))
    if field.type == "link" and value < 1:
        raise _Problem(_type_problem(field, raw))
    return value


def _type_problem(field: Field, raw: str) -> str:
    kind = field.kind.value_type
    if kind == "number":
        return _("Not a number: %(value)s.", value=raw)
    if kind == "date":
        return _("Not a date (YYYY-MM-DD): %(value)s.", value=raw)
    if kind == "datetime":
        return _("Not a date or time: %(value)s.", value=raw)
    if kind == "bool":
        return _("Not yes or no: %(value)s.", value=raw)
    if kind == "link":
        return _("Not a record number: %(value)s.", value=raw)
    return _("Not a valid value: %(value)s.", value=raw)
