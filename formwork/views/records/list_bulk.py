"""Bulk actions on the records selected in a list: delete them, or set a select field.

Every record goes through the record service on its own, with the version the list showed,
so permissions, row scopes, rules, reference checks and optimistic locking apply exactly as
for one record. A refusal is reported for that record with its reason (still referenced,
changed meanwhile, out of scope…) and the others still happen: nothing is lost silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext

from ...metamodel.model import Entity, Field
from ...store.errors import (
    RECORD_KEY,
    Conflict,
    Forbidden,
    NotFound,
    RecordError,
    ValidationFailed,
)
from ...store.query import MAX_PAGE_SIZE, Filter, Query
from ..context import actor, can, readonly_fields, service, text
from ..messages import translate_error
from .list_page import select_fields

ACTIONS = ("delete", "set")


@dataclass(frozen=True)
class Selected:
    id: int
    version: int

    @property
    def token(self) -> str:
        """How a checkbox carries it: "id:version"."""
        return f"{self.id}:{self.version}"


@dataclass
class Outcome:
    """What a bulk action did: the records it changed and those it could not, with why."""

    action: str
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        count = len(self.done)
        if not count and not self.failed:
            return _("No records were selected.")
        if self.action == "delete":
            return ngettext("Deleted %(num)s record.", "Deleted %(num)s records.", count)
        return ngettext("Changed %(num)s record.", "Changed %(num)s records.", count)

    @property
    def failed_summary(self) -> str:
        count = len(self.failed)
        if self.action == "delete":
            return ngettext(
                "%(num)s record was not deleted:", "%(num)s records were not deleted:", count
            )
        return ngettext(
            "%(num)s record was not changed:", "%(num)s records were not changed:", count
        )


def parse_selection(tokens: Iterable[str]) -> list[Selected] | None:
    """The "id:version" tokens of the checked boxes; None if one is not such a token."""
    selected: dict[int, Selected] = {}
    for token in tokens:
        id_text, _sep, version_text = token.partition(":")
        if not (id_text.isdigit() and version_text.isdigit()) or int(id_text) < 1:
            return None
        selected.setdefault(int(id_text), Selected(int(id_text), int(version_text)))
    if len(selected) > MAX_PAGE_SIZE:
        return None
    return list(selected.values())


def settable_fields(entity: Entity) -> list[Field]:
    """Select fields the user may set on many records at once (visible and writable)."""
    if not can("update", entity):
        return []
    readonly = readonly_fields(entity)
    return [f for f in select_fields(entity) if f.writable and f.name not in readonly]


def titles(entity: Entity, ids: Sequence[int]) -> dict[int, str]:
    """The titles of the records among `ids` the user can see."""
    if not ids:
        return {}
    query = Query(filters=(Filter("id", "in", list(ids)),), page_size=len(ids), count=False)
    page = service().query(entity.name, query, actor())
    return {r.id: r.title or f"#{r.id}" for r in page.records}


def delete_all(entity: Entity, selected: Sequence[Selected]) -> Outcome:
    def delete(item: Selected) -> None:
        service().delete(entity.name, item.id, item.version, actor())

    return _each(entity, "delete", selected, delete)


def set_all(entity: Entity, selected: Sequence[Selected], name: str, value: str) -> Outcome:
    def update(item: Selected) -> None:
        data = {name: value or None}
        service().update(entity.name, item.id, data, item.version, actor())

    return _each(entity, "set", selected, update)


def _each(
    entity: Entity, action: str, selected: Sequence[Selected], act: Callable[[Selected], None]
) -> Outcome:
    names = titles(entity, [s.id for s in selected])
    outcome = Outcome(action)
    for item in selected:
        name = names.get(item.id, f"#{item.id}")
        try:
            act(item)
        except RecordError as exc:
            outcome.failed.append((name, reason(entity, exc)))
        else:
            outcome.done.append(name)
    return outcome


def reason(entity: Entity, exc: RecordError) -> str:
    """Why the record service refused one record, for the person who asked."""
    if isinstance(exc, NotFound):
        return _("It no longer exists, or it is not visible to you.")
    if isinstance(exc, Conflict):
        return _("Someone else changed it meanwhile; reload the list and try again.")
    if isinstance(exc, Forbidden):
        return _("Your roles do not allow this for this record.")
    if isinstance(exc, ValidationFailed):
        return " ".join(_field_messages(entity, exc.errors))
    return str(exc)


def _field_messages(entity: Entity, errors: dict[str, list[str]]) -> list[str]:
    """The messages in the user's language, each after the label of its field."""
    messages = []
    for key, texts in errors.items():
        field = entity.fields.get(key)
        prefix = "" if key == RECORD_KEY or field is None else f"{text(field.label, key)}: "
        messages += [prefix + translate_error(entity, t) for t in texts]
    return messages
