"""What a list page shows that depends only on the config, the user's roles and the language:
its columns and their labels, what may be sorted, what bulk actions offer (the choices of
"set" as markup), whether there is a board, a search box, a filter by person, a "new" link,
export and import links.

`layout(entity)` works it out once per entity for each role set and language and keeps it
until the config changes (`memo.per_config`); each request then only adds what depends on
the URL and the records.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup

from ...metamodel.model import Entity, Field
from .. import memo
from ..context import can, hidden_fields, text
from .list_bulk import settable_fields
from .list_filters import offers_people, searchable
from .list_page import select_fields
from .list_params import sortable
from .pages import visible


@dataclass(frozen=True)
class ListLayout:
    #: The list's columns the user may see, with their labels.
    columns: tuple[Field, ...]
    labels: tuple[str, ...]
    #: The fields the list may be sorted by.
    sortable: frozenset[str]
    #: The select fields bulk "set" may set, and its <select> of their choices ("" if none).
    settable: tuple[Field, ...]
    bulk_set: Markup
    can_delete: bool
    can_create: bool
    can_export: bool
    can_import: bool
    #: Whether the entity has a board (a select field to group by).
    boards: bool
    searchable: bool
    offers_people: bool

    @property
    def bulk(self) -> bool:
        """Whether rows have checkboxes (some bulk action is allowed)."""
        return self.can_delete or bool(self.settable)


def layout(entity: Entity) -> ListLayout:
    """The entity's list layout for the signed-in user's roles and the request's language."""
    return memo.per_config("list_layout", entity.name, lambda: _build(entity))


def _build(entity: Entity) -> ListLayout:
    columns = tuple(visible(entity, entity.list.columns))
    settable = tuple(settable_fields(entity))
    return ListLayout(
        columns=columns,
        labels=tuple(text(f.label, f.name) for f in columns),
        sortable=frozenset(sortable(entity, hidden_fields(entity))),
        settable=settable,
        bulk_set=_bulk_set(settable),
        can_delete=can("delete", entity),
        can_create=can("create", entity),
        can_export=can("export", entity),
        can_import=can("import", entity),
        boards=bool(select_fields(entity)),
        searchable=searchable(entity),
        offers_people=offers_people(entity),
    )


def _bulk_set(settable: tuple[Field, ...]) -> Markup:
    if not settable:
        return Markup()
    template = current_app.jinja_env.get_template("records/_list_bulk_set.html")
    return Markup(template.render(settable=settable, t=text))
