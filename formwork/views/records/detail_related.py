"""The related lists of a record's page: records of other entities that link to it.

Each `related:` entry of the entity becomes a short list (the first few records, with the
related entity's list columns), how many there are, a link to all of them on the related
entity's list page and, for users who may create them, a link to a new one already linked.
Lists are read through the record service, so the user's scope and hidden fields apply; an
entity the user may not read is left out altogether.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import url_for

from ...metamodel.model import Entity, Field, Related
from ...store.query import Filter, Page, Query
from ..context import actor, can, hidden_fields, model, readonly_fields, service
from ..display import Display
from .pages import display_for, visible

#: Records shown per related list; the rest are one click away on the list page.
RELATED_LIMIT = 10


@dataclass(frozen=True, slots=True)
class RelatedList:
    related: Related
    entity: Entity
    columns: tuple[Field, ...]
    page: Page
    show: Display
    view_all: str
    #: The new-record form with the link already set, when the user may create one.
    new_url: str | None


def related_lists(entity: Entity, record_id: int) -> list[RelatedList]:
    return [
        found
        for related in entity.related.values()
        if (found := related_list(related, record_id)) is not None
    ]


def related_list(related: Related, record_id: int) -> RelatedList | None:
    """The first records of `related` that link to the record, or None if the user may not
    see them (no read permission, or the linking field is hidden from them)."""
    other = model().entity(related.entity)
    if not can("query", other) or related.via in hidden_fields(other):
        return None
    query = Query(filters=(Filter(related.via, "eq", record_id),), page_size=RELATED_LIMIT)
    page = service().query(other.name, query, actor())
    columns = tuple(f for f in visible(other, other.list.columns) if f.name != related.via)
    list_url = url_for("records.list_view", entity=other.name)
    link = urlencode({related.via: record_id})
    new_url = None
    if can("create", other) and related.via not in readonly_fields(other):
        new_url = f"{list_url}new?{link}"
    return RelatedList(
        related,
        other,
        columns,
        page,
        display_for(columns, [r.values for r in page.records]),
        f"{list_url}?{link}",
        new_url,
    )
