"""Checks and building of dashboards (`dashboards/*.yaml`).

Every name a dashboard uses must resolve: its roles, each widget's entity and fields. A widget
must suit its kind (a funnel groups by a select or link field, a line and aging buckets read a
date field, a measure sums a number field), and its filter must be one the list page's URL can
say — that is what lets every number and chart segment link to the records behind it — with
values that fit their fields.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import marshmallow as ma

from .checks import Checks, a
from .dashboard_model import (
    COUNT,
    GROUPED_KINDS,
    ME,
    Dashboard,
    Measure,
    Widget,
    WidgetFilter,
)
from .model import USER_ENTITY, Entity, Field
from .relative_dates import is_relative
from .source import DocPath, format_path

#: The kinds of widget each optional key applies to.
KEY_KINDS: dict[str, frozenset[str]] = {
    "group": GROUPED_KINDS,
    "limit": GROUPED_KINDS,
    "date": frozenset({"line", "aging"}),
    "period": frozenset({"line"}),
    "buckets": frozenset({"aging"}),
}
#: Value types a range (`field.min` / `field.max`) applies to, as on the list page.
RANGE_TYPES = frozenset({"number", "date", "datetime"})


class DashboardChecks(Checks):
    def build_dashboards(self, entities: Mapping[str, Entity]) -> dict[str, Dashboard]:
        dashboards: dict[str, Dashboard] = {}
        for name, doc in sorted((self.doc.get("dashboards") or {}).items()):
            path: DocPath = ("dashboards", name)
            if self._dashboard_root_broken(path):
                continue
            self.check_name(name, (*path, "dashboard"), "dashboard")
            for index, role in enumerate(doc.get("roles") or ()):
                self._dashboard_check_role(role, (*path, "roles", index))
            widgets = []
            for index, spec in enumerate(doc["widgets"]):
                where: DocPath = (*path, "widgets", index)
                if not self.is_broken(where):
                    widget = self._widget(spec, where, entities)
                    if widget is not None:
                        widgets.append(widget)
            dashboards[name] = Dashboard(
                name=name,
                label=self.label(doc["label"], (*path, "label")),
                widgets=tuple(widgets),
                location=self.location(path),
                roles=tuple(doc.get("roles") or ()),
                description=self.optional_label(doc, "description", path),
            )
        return dashboards

    def _dashboard_root_broken(self, path: DocPath) -> bool:
        """A dashboard whose name, label or widget list is wrong is not built (a wrong widget
        only drops that widget)."""
        keys = ("dashboard", "label", "widgets")
        exact = {format_path(path), *(format_path((*path, k)) for k in keys)}
        return any(b in exact for b in self.broken)

    def _dashboard_check_role(self, role: str, path: DocPath) -> None:
        if self.is_broken(("app", "roles")):
            return
        roles = set((self.doc.get("app") or {}).get("roles") or {})
        if role not in roles:
            self.problem("FW306", path, f"no role named {role!r}", self.suggest(role, roles))

    # -- widgets ---------------------------------------------------------------------------
    def _widget(
        self, spec: Mapping[str, Any], path: DocPath, entities: Mapping[str, Entity]
    ) -> Widget | None:
        kind = spec["kind"]
        for key, kinds in KEY_KINDS.items():
            if key in spec and kind not in kinds:
                self.problem(
                    "FW905",
                    (*path, key),
                    f"a {kind} widget has no use for {key!r}",
                    f"{key} applies to {', '.join(sorted(kinds))} widgets; remove it here.",
                )
        label = self.label(spec["label"], (*path, "label"))
        caption = self.optional_label(spec, "caption", path)
        entity = self.entity_of(spec, path, entities)
        if entity is None:
            return None
        if entity.child_of:
            self.problem(
                "FW901",
                (*path, "entity"),
                f"{entity.name} is a child entity: its rows have no list page to link to",
                f"Count the records of {entity.child_of} instead.",
            )
            return None
        ok = True
        filters = self._widget_filters(entity, spec.get("filter") or {}, (*path, "filter"))
        measure = self._widget_measure(entity, spec.get("measure", "count"), (*path, "measure"))
        group = spec.get("group") if kind in GROUPED_KINDS else None
        if group is not None:
            ok &= self._widget_field(entity, group, (*path, "group"), _groupable, GROUP_HINT)
        date = spec.get("date") if kind in ("line", "aging") else None
        if date is not None:
            ok &= self._widget_field(entity, date, (*path, "date"), _is_date, DATE_HINT)
        buckets = tuple(spec.get("buckets") or ()) if kind == "aging" else ()
        if any(b >= c for b, c in itertools.pairwise(buckets)):
            ok = False
            self.problem(
                "FW904",
                (*path, "buckets"),
                f"aging buckets {list(buckets)} do not go up",
                "List where each bucket starts, smallest first: [0, 30, 60, 90].",
            )
        if filters is None or measure is None or not ok:
            return None
        return Widget(
            kind=kind,
            label=label,
            entity=entity.name,
            location=self.location(path),
            filters=filters,
            measure=measure,
            group=group,
            date=date,
            period=spec.get("period", "month"),
            buckets=buckets,
            limit=spec.get("limit", 10),
            wide=bool(spec.get("wide", False)),
            caption=caption,
        )

    def _widget_field(
        self, entity: Entity, name: str, path: DocPath, suits: Any, hint: str
    ) -> bool:
        field = self._dashboard_field(entity, name, path)
        if field is None:
            return False
        if not suits(field):
            self.problem(
                "FW901",
                path,
                f"{entity.name}.{name} is {_what(field)}",
                hint,
            )
            return False
        return True

    def _dashboard_field(self, entity: Entity, name: str, path: DocPath) -> Field | None:
        declared = self.doc["entities"][entity.name]["fields"]
        if name not in declared:
            self.problem("FW305", path, f"no field named {name!r}", self.suggest(name, declared))
            return None
        return entity.fields.get(name)  # None when the field itself is broken: reported

    def _widget_measure(self, entity: Entity, raw: Any, path: DocPath) -> Measure | None:
        if raw == "count":
            return COUNT
        function, name = next(iter(raw.items()))
        where: DocPath = (*path, function)
        if not self._widget_field(entity, name, where, _is_number, MEASURE_HINT):
            return None
        return Measure(function, name)

    # -- filters ---------------------------------------------------------------------------
    def _widget_filters(
        self, entity: Entity, doc: Mapping[str, Any], path: DocPath
    ) -> tuple[WidgetFilter, ...] | None:
        by_field: dict[str, dict[str, Any]] = {}
        ok = True
        for key, raw in doc.items():
            name, _dot, bound = key.partition(".")
            where: DocPath = (*path, key)
            field = self._dashboard_field(entity, name, where)
            if field is None or not self._filterable(entity, field, where):
                ok = False
                continue
            if bound and field.kind.value_type not in RANGE_TYPES:
                ok = False
                self.problem(
                    "FW902",
                    where,
                    f"{entity.name}.{name} is {_what(field)}: it has no range",
                    f"Ranges (.min, .max) are for numbers and dates; write `{name}: value`.",
                )
                continue
            values = raw if isinstance(raw, list) else [raw]
            if bound and len(values) != 1:
                ok = False
                self.problem("FW903", where, f"{key} takes one value, not a list", BOUND_HINT)
                continue
            for index, value in enumerate(values):
                item = where if not isinstance(raw, list) else (*where, index)
                problem = _value_problem(field, value)
                if problem is not None:
                    ok = False
                    self.problem("FW903", item, problem[0], problem[1])
            entry = by_field.setdefault(name, {"values": (), "min": None, "max": None})
            if bound:
                entry[bound] = _url_text(values[0])
            else:
                entry["values"] = tuple(_url_text(v) for v in values)
        if not ok:
            return None
        return tuple(WidgetFilter(name, **entry) for name, entry in by_field.items())

    def _filterable(self, entity: Entity, field: Field, path: DocPath) -> bool:
        if field.stored and not field.kind.bulky and field.kind.value_type is not None:
            return True
        why = "computed as records are read" if field.virtual else _what(field)
        self.problem(
            "FW902",
            path,
            f"the list page cannot filter on {entity.name}.{field.name}: it is {why}",
            "Filter on stored fields that hold plain values (not files, rows or long text).",
        )
        return False


GROUP_HINT = "Group by a select field (its options give the order and colours) or a link field."
DATE_HINT = "Name a stored date field."
MEASURE_HINT = "Sum, average, min and max need a stored number field (integer, decimal, money…)."
BOUND_HINT = "Write one value after .min or .max; a list (any of) is for `field: [a, b]`."


def _groupable(field: Field) -> bool:
    return field.stored and field.type in ("select", "link")


def _is_date(field: Field) -> bool:
    return field.stored and field.kind.value_type == "date"


def _is_number(field: Field) -> bool:
    return field.stored and field.kind.value_type == "number"


def _what(field: Field) -> str:
    stored = "" if field.stored else ", not stored"
    return f"{a(field.type)} field{stored}"


def _url_text(value: Any) -> str:
    """A config value as the list URL writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _value_problem(field: Field, value: Any) -> tuple[str, str] | None:
    """What is wrong with a filter value for `field` (message, hint), or None."""
    if field.type == "link" and value == ME:
        if field.setting("to") == USER_ENTITY:
            return None
        return (
            f"`me` names a user, but {field.name} links to {field.setting('to')}",
            "Use `me` on links to users only.",
        )
    if field.kind.value_type in ("date", "datetime") and is_relative(str(value)):
        return None
    if field.kind.has_options:
        if value in field.option_values():
            return None
        return (
            f"{value!r} is not an option of {field.name}",
            f"Known: {', '.join(field.option_values())}.",
        )
    converter = field.kind.input_field(field)
    converter.validators = []
    try:
        converted = converter.deserialize(_url_text(value))
    except ma.ValidationError:
        converted = None
    if converted is None or (field.type == "link" and converted < 1):
        return (
            f"{value!r} does not fit {field.name} ({a(field.type)} field)",
            _VALUE_HINTS.get(field.kind.value_type or "", "Give a value the field accepts."),
        )
    return None


_VALUE_HINTS = {
    "date": "Write a date as 2024-12-31, or relative to today: today, -30d, +2w, -12m, -1y.",
    "datetime": "Write a date as 2024-12-31, or relative to today: today, -30d, -12m.",
    "number": "Write a number.",
    "bool": "Write true or false.",
    "link": "Write a record number, or `me` for a link to a user.",
}
