"""The typed model of a reminder (`reminders/*.yaml`): dated to-dos from a date field.

A `Reminder` says which records of an entity call for a to-do and on which day: `days` before
the record's date (`before`), once the date is more than `days` days past and `when` still
holds (`overdue`, again every `repeat_days`), or every year on the date's month and day,
`days` ahead (`yearly`). `formwork.reminders` turns the model into to-dos.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from .model import Label
from .problems import Location

KINDS = ("before", "overdue", "yearly")
RECIPIENT_KINDS = ("field", "role")


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who gets a to-do: `kind` field (a path to a link to a user) or role, and its value."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class TemplatePart:
    """A piece of a title: literal text, then the field path whose value follows it (or None)."""

    text: str
    path: str | None


@dataclass(frozen=True, slots=True, repr=False)
class Reminder:
    name: str
    entity: str
    label: Label
    #: The record's date field the reminder counts from.
    date_field: str
    kind: str
    recipients: tuple[Recipient, ...]
    #: The to-do's text per locale, with {field.path} placeholders.
    title: Label
    location: Location
    days: int = 0
    when: str | None = None
    repeat_days: int | None = None
    description: Label | None = None

    def __repr__(self) -> str:
        return f"<Reminder {self.name}: {self.kind} {self.entity}.{self.date_field}>"

    def title_paths(self) -> tuple[str, ...]:
        """Every field path the title names, in any locale, once each."""
        paths: dict[str, None] = {}
        for text in self.title.texts.values():
            for part in template_parts(text):
                if part.path is not None:
                    paths[part.path] = None
        return tuple(paths)


def template_parts(text: str) -> tuple[TemplatePart, ...]:
    """A title split into literal text and placeholders; ValueError for a malformed one
    (an unmatched brace, a format spec or conversion)."""
    parts = []
    for literal, name, spec, conversion in string.Formatter().parse(text):
        if name is not None and (spec or conversion):
            raise ValueError(f"{{{name}}} may not have a format (:…) or a conversion (!…)")
        if name == "":
            raise ValueError("{} names no field")
        parts.append(TemplatePart(literal, name))
    return tuple(parts)
