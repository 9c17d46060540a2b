"""The records of a list as the user sees them, row after row, for any number of records.

Columns are the list's columns (or those asked for) less the fields the user may not see;
rows are the records the list's query matches within the user's read *and export* scopes
(`RecordService.query(export=True)`), fetched a keyset page at a time so memory stays bounded.
Values read as on the page (option labels, link titles the user may see, local times: the
caller passes its `Display`) except numbers, which stay numbers so a spreadsheet can add them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from ..metamodel.model import Entity, Field
from ..store.actor import Actor
from ..store.query import MAX_PAGE_SIZE, Page, Query
from ..store.records import RecordService


class Texts(Protocol):
    """How values read as text (`views.display.Display` is one)."""

    def text(self, field: Field, value: Any) -> str: ...


#: Makes the `Texts` for one page of rows (it may look up the titles they link to).
TextsFor = Callable[[Sequence[Field], Sequence[Mapping[str, Any]]], Texts]

NUMBER_TYPES = {"integer", "decimal", "money", "percent", "rating"}
#: Field types that have no cell form (child tables are rows of their own).
NOT_EXPORTED = {"table"}


def export_fields(
    entity: Entity, hidden: Iterable[str], names: Iterable[str] | None = None
) -> list[Field]:
    """The columns of an export: `names` (default: the list's columns) the user may see."""
    hidden = frozenset(hidden)
    wanted = entity.list.columns if names is None else names
    return [
        entity.fields[n]
        for n in dict.fromkeys(wanted)
        if n in entity.fields and n not in hidden and entity.fields[n].type not in NOT_EXPORTED
    ]


def export_rows(
    service: RecordService,
    entity: Entity,
    user: Actor | int | None,
    fields: list[Field],
    query: Query,
    texts_for: TextsFor,
    progress: Callable[[int], Any] | None = None,
) -> Iterator[list[Any]]:
    """The cells of every record `query` matches, page by page (its page size and cursor
    are replaced). Forbidden or QueryError are raised at once, before any row is read."""
    hidden = service.policy.hidden(user, entity)
    fields = [f for f in fields if f.name not in hidden]
    page_query = dataclasses.replace(query, page_size=MAX_PAGE_SIZE, after=None, count=False)
    first = service.query(entity.name, page_query, user, export=True)  # refusals raise now
    return _pages(service, entity, user, fields, page_query, first, texts_for, progress)


def _pages(
    service: RecordService,
    entity: Entity,
    user: Actor | int | None,
    fields: list[Field],
    query: Query,
    page: Page,
    texts_for: TextsFor,
    progress: Callable[[int], Any] | None,
) -> Iterator[list[Any]]:
    done = 0
    while True:
        rows = [r.values for r in page.records]
        texts = texts_for(fields, rows)  # one per page: what is kept never grows with the table
        for values in rows:
            yield [cell(texts, f, values.get(f.name)) for f in fields]
        done += len(rows)
        if progress:
            progress(done)
        if page.next_cursor is None:
            return
        query = dataclasses.replace(query, after=page.next_cursor)
        page = service.query(entity.name, query, user, export=True)


def cell(texts: Texts, field: Field, value: Any) -> Any:
    """One exported cell: numbers as numbers, the rest as text the way pages show it."""
    if value is None:
        return None
    if field.type in NUMBER_TYPES:
        return value
    return texts.text(field, value)
