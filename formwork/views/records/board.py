"""The board (kanban) view: a column per option of a select field, a card per record.

`GET /r/<entity>/board?by=<field>` groups the records the user may see by any select field
they may see (default: the list's `board` field), with the list's filters and search, at most
`CARDS_PER_COLUMN` cards per column and the count of the rest. `POST /r/<entity>/<id>/move`
sets the field through the record service — every rule, validation, permission and version
check applies — and answers with the board as it now is and a message saying what happened
or why not. Cards are dragged with `static/js/board.js`; every card also carries a small
"move to" form, which is what the script submits and what works without it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from flask import abort, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...metamodel.model import Entity, Field
from ...store.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ...store.query import Filter, Page
from ...store.record import Record
from ..context import actor, can, locale, readonly_fields, service
from ..display import COLORS
from . import records
from .list_bulk import reason
from .list_filters import chips, controls, filter_links, searchable
from .list_page import (
    count_text,
    open_list,
    problem_list,
    respond,
    run_query,
    select_fields,
)
from .list_params import ListParams, url
from .pages import display_for, visible

CARDS_PER_COLUMN = 20
#: How many of the list's columns a card shows besides its title.
CARD_FIELDS = 3


@dataclass(frozen=True)
class BoardColumn:
    #: The option's value; "" for the column of records without one.
    value: str
    label: str
    color: str
    page: Page | None
    #: The list filtered to this column (None for the column without a value).
    list_url: str | None = None

    @property
    def records(self) -> tuple[Record, ...]:
        return self.page.records if self.page else ()

    @property
    def total(self) -> int:
        return (self.page.total or 0) if self.page else 0

    @property
    def more(self) -> int:
        """How many matching records the column does not show."""
        return max(self.total - len(self.records), 0)


@dataclass(frozen=True)
class Message:
    text: str
    ok: bool


@records.get("/<entity>/board")
def board(entity: str) -> Response:
    ent, params = open_list(entity)
    return _render(ent, params, _group_field(ent, request.args.get("by")))


@records.post("/<entity>/<int:id>/move")
def move(entity: str, id: int) -> Response:
    ent, params = open_list(entity)
    name = request.form.get("field", "")
    if not name:
        abort(400)
    by = _group_field(ent, name)
    value = request.form.get("value", "")
    status, message = 200, None
    try:
        record = service().update(
            ent.name, id, {by.name: value or None}, request.form.get("version", ""), actor()
        )
    except NotFound:
        status, message = 404, _("This record no longer exists, or it is not visible to you.")
    except Conflict:
        status = 409
        message = _("Someone else changed this record meanwhile; the board shows it as it is now.")
    except Forbidden:
        status, message = 403, _("Your roles do not allow changing this record.")
    except ValidationFailed as exc:
        status, message = 422, reason(ent, exc)
    else:
        if not request.headers.get("HX-Request"):
            return redirect(_board_url(ent, params, by), 303)
        label = by.kind.format(record.get(by.name), by, locale()) or _("no value")
        title = record.title or f"#{record.id}"
        message = _("Moved %(title)s to %(column)s.", title=title, column=label)
    if status != 200:
        title = _title(ent, id)
        message = _("%(title)s was not moved: %(reason)s", title=title, reason=message)
    return _render(ent, params, by, Message(message, status == 200), status)


def _group_field(ent: Entity, name: str | None) -> Field:
    """The select field to group by: the one named (400 if the user cannot group by it), else
    the list's board field, else the first select field (404 if there is none)."""
    fields = {f.name: f for f in select_fields(ent)}
    if not fields:
        abort(404)
    if name:
        if name not in fields:
            abort(400)
        return fields[name]
    default = ent.list.board
    return fields[default] if default in fields else next(iter(fields.values()))


def _render(
    ent: Entity, params: ListParams, by: Field, message: Message | None = None, status: int = 200
) -> Response:
    problems = dict(params.problems)
    columns = [] if problems else _columns(ent, params, by, problems)
    shown = [f for f in visible(ent, ent.list.columns) if f.name not in (by.name, ent.title_field)]
    card_fields = shown[:CARD_FIELDS]
    rows = [r.values for c in columns for r in c.records]
    link_fields, link_rows = filter_links(ent, params)
    show = display_for([*card_fields, *link_fields], [*rows, *link_rows])
    base = url_for("records.board", entity=ent.name)
    state = params.pairs()
    context: dict[str, Any] = {
        "entity": ent,
        "params": params,
        "by": by.name,
        "by_field": by,
        "groupings": [
            (f, url(base, (*state, ("by", f.name))), f.name == by.name) for f in select_fields(ent)
        ],
        "columns": columns,
        "card_fields": card_fields,
        "movable": can("update", ent) and by.writable and by.name not in readonly_fields(ent),
        "show": show,
        "controls": controls(ent, params, show),
        "searchable": searchable(ent),
        "chips": chips(ent, params, show),
        "problems": problem_list(problems, ent),
        "count": _count_text(columns),
        "base": base,
        "state": (*state, ("by", by.name)),
        "clear_url": url(base, (("by", by.name),)),
        "list_url": url(url_for("records.list_view", entity=ent.name), state),
        "new_url": url_for("records.new", entity=ent.name) if can("create", ent) else None,
        "message": message,
        "target": "#board",
    }
    if problems:
        status = 400
    return respond("records/board.html", "records/_board_columns.html", status, **context)


def _columns(
    ent: Entity, params: ListParams, by: Field, problems: dict[str, str]
) -> list[BoardColumn]:
    here = locale()
    options = [(o.value, o.label.get(here, o.value), o.color) for o in by.options]
    list_base = url_for("records.list_view", entity=ent.name)
    result = []
    for value, label, color in [*options, ("", _("No value"), None)]:
        condition = Filter(by.name, "eq", value) if value else Filter(by.name, "empty")
        query = dataclasses.replace(params.query(condition, page_size=CARDS_PER_COLUMN), after=None)
        page = run_query(ent, query, problems)
        if problems:
            return []
        if value or not by.required or (page and page.records):
            link = url(list_base, (*params.without(by.name), (by.name, value))) if value else None
            color = color if color in COLORS else "none"
            result.append(BoardColumn(value, label, color, page, link))
    return result


def _count_text(columns: list[BoardColumn]) -> str:
    capped = any(c.page is not None and c.page.total_capped for c in columns)
    return count_text(sum(c.total for c in columns), capped)


def _board_url(ent: Entity, params: ListParams, by: Field) -> str:
    return url(url_for("records.board", entity=ent.name), (*params.pairs(), ("by", by.name)))


def _title(ent: Entity, id: int) -> str:
    """The record's title if the user may still see it, else its number."""
    try:
        record = service().get(ent.name, id, actor())
    except (NotFound, Forbidden):
        return f"#{id}"
    return record.title or f"#{id}"
