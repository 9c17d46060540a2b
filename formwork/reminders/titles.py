"""A to-do's title: the reminder's template with the record's values put in, in each locale.

Each `{path}` of a template is read in the same query that finds the records (see the
generator); a link shows the linked record's title (a user's display name), every other value
shows as its field type formats it (a select's option label in the locale, money with its
currency). Titles are written when a to-do is made: a snapshot of the record at that time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..metamodel.model import USER_ENTITY, App, Field, Reminder
from ..metamodel.reminder_model import template_parts
from ..rules.scope import MAX_LINK_HOPS

#: What an empty value shows as.
EMPTY = "—"


@dataclass(frozen=True, slots=True)
class Shown:
    """A placeholder: the path read from the database and the field whose value it is
    (None: a user's own field, or a record id when the linked entity has no title)."""

    placeholder: str
    path: tuple[str, ...]
    field: Field | None


def shown_fields(app: App, reminder: Reminder) -> tuple[Shown, ...]:
    """What each placeholder of the reminder's title reads."""
    return tuple(_shown(app, reminder.entity, path) for path in reminder.title_paths())


def _shown(app: App, entity_name: str, placeholder: str) -> Shown:
    names = placeholder.split(".")
    entity = app.entity(entity_name)
    field: Field | None = None
    for name in names:
        if entity is None:  # a user's own field
            return Shown(placeholder, tuple(names), None)
        field = entity.fields[name]
        target = field.setting("to") if field.type == "link" else None
        entity = None if target in (None, USER_ENTITY) else app.entity(target)
    assert field is not None
    if field.type == "link" and len(names) < MAX_LINK_HOPS:
        # A link shows what it points at: the user's name or the record's title field.
        if field.setting("to") == USER_ENTITY:
            return Shown(placeholder, (*names, "display_name"), None)
        target_entity = app.entity(field.setting("to"))
        if target_entity.title_field:
            inner = _shown(app, entity_name, f"{placeholder}.{target_entity.title_field}")
            return Shown(placeholder, inner.path, inner.field)
    return Shown(placeholder, tuple(names), field)


def render(
    template: str, values: Mapping[str, Any], shown: Mapping[str, Shown], locale: str
) -> str:
    """The template with each placeholder's value as text in `locale`."""
    out = []
    for part in template_parts(template):
        out.append(part.text)
        if part.path is not None:
            out.append(as_text(values.get(part.path), shown[part.path].field, locale))
    return "".join(out)


def render_all(
    reminder: Reminder, values: Mapping[str, Any], shown: Mapping[str, Shown]
) -> dict[str, str]:
    """The title in every locale the reminder's title is written in."""
    return {
        locale: render(text, values, shown, locale) for locale, text in reminder.title.texts.items()
    }


def as_text(value: Any, field: Field | None, locale: str) -> str:
    """A value as the field's type formats it (lists and detail pages show the same)."""
    if value is None or value == "" or value == []:
        return EMPTY
    if field is None:
        return str(value)
    return field.kind.format(value, field, locale) or EMPTY
