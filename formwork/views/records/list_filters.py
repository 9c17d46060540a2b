"""The filter panel of list and board pages, and the chips of the filters in use.

The panel offers the list's configured filters the user may see: choice chips for selects,
multiselects and yes/no fields, min/max inputs for numbers, dates and times, a choice of
people for a link to users (when there are more than `display.PEOPLE_LISTED`, the chosen ones
and a picker, as for records), and for a link to another entity the chosen records by title
with a search-as-you-type picker. The chips name every filter in use, configured or only
given in the URL, each with a link that removes it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from ...metamodel.model import USER_ENTITY, Entity, Field
from .. import memo
from ..context import actor, can, hidden_fields, locale, model, service, text
from ..display import COLORS, Display, LinkTitles, Person
from . import records
from .list_params import ListParams, Pairs, filterable, is_range

INPUT_TYPES = {"number": "number", "date": "date", "datetime": "date"}
#: Kinds of control whose markup is kept (see `control_html`): made of the config's labels
#: and the choices alone. Ranges show free text from the URL (kept only while empty); record
#: filters hold a URL.
KEPT_KINDS = ("choices", "users")


class Choice(NamedTuple):
    """One choice of a control. A named tuple, not a dataclass: the memo of the panel's
    markup (`control_html`) hashes and compares every choice of a page on every request."""

    value: str
    label: str
    checked: bool
    color: str = "none"


@dataclass(frozen=True)
class Control:
    """One filter of the panel. `kind`: choices, range, users or records."""

    field: Field
    kind: str
    label: str
    choices: tuple[Choice, ...] = ()
    low: str = ""
    high: str = ""
    input_type: str = "text"
    problem: str | None = None
    #: For a link to records: whether the user may search them (the picker).
    pickable: bool = False

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def target(self) -> str | None:
        return self.field.setting("to")


class Controls(list[Control]):
    """The controls of a panel; `key`, when they were kept (see `controls`), is what they
    were made of besides the config, roles and language, so their markup can be kept too."""

    key: Hashable | None = None


@dataclass(frozen=True)
class Chip:
    """A filter in use: what it is, and the list state without it."""

    name: str
    label: str
    text: str
    rest: Pairs
    problem: bool = False


def _filterable(entity: Entity) -> dict[str, Field]:
    """The fields the user may filter on (`list_params.filterable`), per roles and config."""
    return memo.per_config(
        "filterable", entity.name, lambda: filterable(entity, hidden_fields(entity))
    )


def filter_links(entity: Entity, params: ListParams) -> tuple[list[Field], list[dict[str, int]]]:
    """The link fields the URL filters on and rows of the records it names, so that a
    `Display` loads their titles along with the page's."""
    fields = [entity.fields[n] for n in params.values if entity.fields[n].type == "link"]
    rows = [{f.name: int(v)} for f in fields for v in params.values[f.name] if v.isdigit()]
    return fields, rows


def searchable(entity: Entity) -> bool:
    """Whether the list has search fields the user may see (else no search box)."""
    hidden = hidden_fields(entity)
    return any(name not in hidden for name in entity.list.search)


def controls(entity: Entity, params: ListParams, show: Display) -> Controls:
    """The configured filters the user may see, as the URL has set them. Made once (`memo`)
    per config, roles, language, the URL's choices and problems for them and the people read
    for this request (`_panel_state`), unless the URL bounds a range or names records."""
    fields = _filterable(entity)
    shown = [fields[name] for name in entity.list.filters if name in fields]
    state = _panel_state(shown, params, show)
    if state is None:
        return Controls(_controls(shown, params, show))
    key = (entity.name, state)
    made = Controls(
        memo.per_config("filter_panel", key, lambda: tuple(_controls(shown, params, show)))
    )
    made.key = key
    return made


def _controls(fields: list[Field], params: ListParams, show: Display) -> list[Control]:
    return [
        control
        for field in fields
        for control in [_control(field, params, show)]
        if control is not None
    ]


def _panel_state(fields: list[Field], params: ListParams, show: Display) -> Hashable | None:
    """All that the controls of `fields` take from the request besides the config, roles
    and language (`_control`): the URL's choices and problems for them, and the people
    (id, name, active) if one filters by person, as read for this request. None when they
    take more: a range's bounds (free text from the URL, never kept) or chosen records
    (titles that the viewer's row scope decides)."""
    state: list[Any] = []
    for field in fields:
        name = field.name
        if name in params.ranges:
            return None
        if field.type == "link":
            if field.setting("to") != USER_ENTITY:
                if name in params.values:
                    return None
            elif show.titles is None:
                return None
            elif (people := show.titles.people()) is not None:
                state.append(tuple(people))
            elif name in params.values:  # too many to list: the chosen ones, as for records
                return None
        state.append((params.values.get(name), params.problems.get(name)))
    return tuple(state)


def chips(entity: Entity, params: ListParams, show: Display) -> list[Chip]:
    result = []
    for name in dict.fromkeys([*params.values, *params.ranges]):
        field = entity.fields[name]
        parts = []
        if name in params.values:
            parts.append(", ".join(_value_text(field, v, show) for v in params.values[name]))
        if name in params.ranges:
            parts.append(_range_text(*params.ranges[name]))
        label = text(field.label, name)
        problem = name in params.problems
        result.append(Chip(name, label, "; ".join(parts), params.without(name), problem))
    return result


def _control(field: Field, params: ListParams, show: Display) -> Control | None:
    chosen = params.values.get(field.name, ())
    label = text(field.label, field.name)
    problem = params.problems.get(field.name)
    if field.kind.has_options or field.type == "boolean":
        return Control(field, "choices", label, _choices(field, chosen), problem=problem)
    if is_range(field):
        low, high = params.ranges.get(field.name, ("", ""))
        kind = INPUT_TYPES[field.kind.value_type or "number"]
        return Control(field, "range", label, low=low, high=high, input_type=kind, problem=problem)
    if field.type != "link":
        return None
    if field.setting("to") == USER_ENTITY:
        people = (show.titles or LinkTitles(service(), actor())).people()
        if people is not None:
            return Control(field, "users", label, _people(chosen, people), problem=problem)
        pickable = True  # too many to list: found as one types, as records are
    else:
        target = model().entities.get(field.setting("to"))
        pickable = target is not None and not target.child_of and can("read", target)
    records = tuple(Choice(v, _value_text(field, v, show), True) for v in chosen)
    return Control(field, "records", label, records, problem=problem, pickable=pickable)


def _choices(field: Field, chosen: Sequence[str]) -> tuple[Choice, ...]:
    """The field's choices, those in `chosen` checked. Their labels depend only on the config
    and the language: made once (`memo`), then checked as the URL says."""
    key = (field.entity, field.name)
    offered = memo.per_config("filter_choices", key, lambda: _unchecked(field))
    if not chosen:
        return offered
    return tuple(Choice(c.value, c.label, c.value in chosen, c.color) for c in offered)


def _unchecked(field: Field) -> tuple[Choice, ...]:
    if field.type == "boolean":
        return (Choice("true", _("Yes"), False), Choice("false", _("No"), False))
    here = locale()
    return tuple(
        Choice(o.value, o.label.get(here, o.value), False, o.color if o.color in COLORS else "none")
        for o in field.options
    )


def _people(chosen: Sequence[str], people: Sequence[Person]) -> tuple[Choice, ...]:
    """Active users (and any inactive one the URL names), by display name."""
    return tuple(
        Choice(str(p.id), p.name, str(p.id) in chosen)
        for p in sorted(people, key=lambda p: p.name.lower())
        if p.active or str(p.id) in chosen
    )


def offers_people(entity: Entity) -> bool:
    """Whether the panel has a filter by person (which reads the users: `LinkTitles.people`)."""
    fields = _filterable(entity)
    return any(
        fields[n].type == "link" and fields[n].setting("to") == USER_ENTITY
        for n in entity.list.filters
        if n in fields
    )


def _value_text(field: Field, raw: str, show: Display) -> str:
    if field.type == "boolean":
        return _("Yes") if raw.lower() in ("true", "1", "yes", "on") else _("No")
    if field.type == "link":
        return show.text(field, int(raw)) if raw.isdigit() else raw
    if field.kind.has_options:
        value: Any = [raw] if field.type == "multiselect" else raw
        return field.kind.format(value, field, locale()) or raw
    return raw


def _range_text(low: str, high: str) -> str:
    if low and high:
        return f"{low} – {high}"
    return f"≥ {low}" if low else f"≤ {high}"


@records.app_template_global("filter_controls")
def controls_html(controls: Sequence[Control]) -> Markup:
    """The markup of a panel's controls one after the other (`control_html`), kept as a
    whole with the controls when they were kept."""
    key = getattr(controls, "key", None)

    def joined() -> Markup:
        return Markup("").join(control_html(control) for control in controls)

    return joined() if key is None else memo.per_config("filter_controls", key, joined)


@records.app_template_global("filter_control")
def control_html(control: Control) -> Markup:
    """The control's markup (the `control` macro of `records/_filter_control.html`). For a
    control of choices (or an empty range) it is worked out once per config, roles and
    language and the exact choices, checked ones and problem (`memo`): a page shows the same
    few again and again."""
    if control.kind not in KEPT_KINDS and not _empty_range(control):
        return _render(control)
    key = (
        control.field.entity,
        control.name,
        control.kind,
        control.label,
        control.choices,
        control.problem,
        control.input_type,
    )
    return memo.per_config("filter_control", key, lambda: _render(control))


def _empty_range(control: Control) -> bool:
    """A range control with no bounds (as most pages show them): made of the config alone,
    so kept too (bounds are free text from the URL, which is not kept)."""
    return control.kind == "range" and not control.low and not control.high


def _render(control: Control) -> Markup:
    template = current_app.jinja_env.get_template("records/_filter_control.html")
    return Markup(template.module.control(control))  # type: ignore[attr-defined]
