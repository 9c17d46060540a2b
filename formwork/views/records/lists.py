"""The list page of an entity: columns, sort, filters, search, keyset pages, bulk actions.

`GET /r/<entity>/` shows one page of the records the user may see, as the URL asks (see
`list_params` for the contract other pages link to). `POST` to the same URL runs a bulk
action on the checked rows and shows the list again with a report. A bulk delete first asks
for confirmation (a second POST with `confirm=1`), with or without JavaScript.
`GET /r/<entity>/pick?q=…&name=…` is the search-as-you-type picker of link filters: the
matching records the user may see, as checkboxes named `name`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape as html_escape
from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from ...metamodel.model import Entity, Field
from ...store.query import Page
from ..context import actor, can, entity_or_404, hidden_fields, locale, runtime, service, text
from ..display import Display, LinkTitles
from . import form_lookup, records
from .list_bulk import (
    ACTIONS,
    Outcome,
    Selected,
    delete_all,
    parse_selection,
    set_all,
    settable_fields,
    titles,
)
from .list_filters import chips, controls, filter_links, offers_people, searchable
from .list_page import (
    count_text,
    open_list,
    problem_list,
    respond,
    run_query,
    select_fields,
)
from .list_params import ListParams, sortable, url
from .pages import visible

PICK_LIMIT = 10
NUM = ' class="num"'
#: A row's checkbox cell (ids and versions are integers; the label comes escaped).
SELECT = (
    '<td class="select"><input type="checkbox" name="ids" value="{id}:{version}"'
    ' id="select-{id}" aria-label="{label}"></td>'
)
LINK = '<a href="{href}" class="record-link">{title}</a>'
#: An id no record has, standing in for each record's id in its detail URL.
ID_MARK = 987654321987654321
PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Column:
    field: Field
    label: str
    numeric: bool
    #: "ascending" / "descending" when the list is sorted by this column first.
    sorted: str | None = None
    #: The list sorted by this column (toggling the direction); None if it cannot sort.
    sort_url: str | None = None


@dataclass(frozen=True)
class Row:
    """One record of the page, its cells rendered (the first one is the link to it)."""

    id: int
    version: int
    #: Its title, or "#id" when it has none: the name of its checkbox.
    name: str
    #: Its <td> cells, one per column.
    cells: Markup


@dataclass(frozen=True)
class Confirm:
    """A bulk delete waiting for confirmation: what is selected, by title."""

    selected: list[Selected]
    names: list[str]


@records.get("/<entity>/")
def list_view(entity: str) -> Response:
    ent, params = open_list(entity)
    return _render(ent, params)


@records.post("/<entity>/")
def list_bulk(entity: str) -> Response:
    ent, params = open_list(entity)
    action = request.form.get("action", "")
    selected = parse_selection(request.form.getlist("ids"))
    if action not in ACTIONS or selected is None:
        abort(400)
    if not selected:
        return _render(ent, params, outcome=Outcome(action))
    if action == "delete":
        service().policy.check(actor(), "delete", ent)
        if request.form.get("confirm") != "1":
            names = titles(ent, [s.id for s in selected])
            confirm = Confirm(selected, [names.get(s.id, f"#{s.id}") for s in selected])
            return _render(ent, params, confirm=confirm)
        return _render(ent, params, outcome=delete_all(ent, selected))
    name, _sep, value = request.form.get("set", "").partition("=")
    fields = {f.name: f for f in settable_fields(ent)}
    if name not in fields or (value and value not in fields[name].option_values()):
        abort(400)
    return _render(ent, params, outcome=set_all(ent, selected, name, value))


@records.get("/<entity>/pick")
def pick(entity: str) -> str:
    ent = entity_or_404(entity)
    name = request.args.get("name", "")
    if not PARAM_NAME.match(name):
        abort(400)
    words = request.args.get("q", "")
    found = form_lookup.find(ent.name, words, PICK_LIMIT) if words.strip() else []
    return render_template("records/_list_pick.html", entity=ent, name=name, found=found)


def _render(
    ent: Entity, params: ListParams, outcome: Outcome | None = None, confirm: Confirm | None = None
) -> Response:
    problems = dict(params.problems)
    columns = visible(ent, ent.list.columns)
    # Only the columns are read (the title, id and version come along): a wide table's other
    # fields would be converted for nothing.
    query = dataclasses.replace(params.query(), fields=tuple(f.name for f in columns))
    page = None if problems else run_query(ent, query, problems)
    rows = [r.values for r in page.records] if page else []
    link_fields, link_rows = filter_links(ent, params)
    titles = LinkTitles(service(), actor())
    if offers_people(ent):
        titles.people()  # first: the names of the people the page links to come with them
    titles.load([*columns, *link_fields], [*rows, *link_rows])
    show = Display(locale(), runtime().settings.timezone, titles)
    base = url_for("records.list_view", entity=ent.name)
    state = params.pairs()
    after = (("after", params.after),) if params.after else ()
    next_page = (("after", page.next_cursor),) if page and page.next_cursor else ()
    settable = settable_fields(ent)
    boards = select_fields(ent)
    heads = _columns(ent, params, columns, base)
    bulk = can("delete", ent) or bool(settable)
    context: dict[str, Any] = {
        "entity": ent,
        "params": params,
        "page": page,
        "columns": heads,
        "rows": _rows(ent, page, heads, show, bulk) if page else [],
        "show": show,
        "controls": controls(ent, params, show),
        "searchable": searchable(ent),
        "chips": chips(ent, params, show),
        "problems": problem_list(problems, ent),
        "count": count_text(page.total, page.total_capped) if page else "",
        "base": base,
        "here": url(base, state + after),
        "first_url": url(base, state) if after else None,
        "next_url": url(base, state + next_page) if next_page else None,
        "clear_url": base,
        "bulk": bulk,
        "can_delete": can("delete", ent),
        "settable": settable,
        "outcome": outcome,
        "confirm": confirm,
        "new_url": url_for("records.new", entity=ent.name) if can("create", ent) else None,
        "board_url": url(url_for("records.board", entity=ent.name), state) if boards else None,
        "target": "#results",
    }
    status = 400 if problems else 200
    return respond("records/list.html", "records/_list_results.html", status, **context)


def _rows(ent: Entity, page: Page, columns: list[Column], show: Display, bulk: bool) -> list[Row]:
    """The page's records with their cells as markup, built here rather than cell by cell in
    the template: each column's cell tag and renderer are made once, so a page costs little
    more than its values. With bulk actions, each row starts with its checkbox; the first
    column's cell links to the record."""
    tags = [f'<td data-label="{html_escape(c.label)}"{NUM if c.numeric else ""}>' for c in columns]
    renderers = [(c.field.name, show.cells(c.field)) for c in columns]
    linked = columns[0].field if columns else None
    detail = _detail_urls(ent)
    # Translated once for all rows; "\x00" stands for each row's name.
    select_label = _("Select %(name)s", name="\x00") if bulk else ""
    rows = []
    for record in page.records:
        values = record.values
        record_id = record.id
        name = record.title or f"#{record_id}"
        parts = []
        if bulk:
            label = html_escape(select_label.replace("\x00", name))
            parts.append(SELECT.format(id=record_id, version=record.version, label=label))
        for tag, (field, render) in zip(tags, renderers, strict=True):
            if linked is not None and field == linked.name:
                title = show.text(linked, values.get(field)) or name
                cell = LINK.format(href=html_escape(detail(record_id)), title=html_escape(title))
            else:
                cell = render(values.get(field))
            parts += (tag, cell, "</td>")
        # Every part is escaped text or markup already: no escaping is left to do.
        rows.append(Row(record_id, record.version, name, Markup("".join(parts))))
    return rows


def _detail_urls(ent: Entity) -> Callable[[int], str]:
    """The detail page URL of a record by id: url_for once, then the id put in its place (with
    url_for for each record if the route ever puts the id where it cannot be found again)."""
    url = url_for("records.detail", entity=ent.name, id=ID_MARK)
    before, mark, after = url.partition(str(ID_MARK))
    if not mark or str(ID_MARK) in after:
        return lambda id: url_for("records.detail", entity=ent.name, id=id)
    return lambda id: f"{before}{id}{after}"


def _columns(ent: Entity, params: ListParams, fields: list[Field], base: str) -> list[Column]:
    hidden = hidden_fields(ent)
    can_sort = sortable(ent, hidden)
    current = params.sort or tuple(k for k in ent.list.sort if k.field not in hidden)
    first = current[0] if current else None
    rest = list(params.pairs(sort=False))
    result = []
    for field in fields:
        state = None
        if first is not None and first.field == field.name:
            state = "descending" if first.descending else "ascending"
        sort_url = None
        if field.name in can_sort:
            key = f"-{field.name}" if state == "ascending" else field.name
            sort_url = url(base, [*rest, ("sort", key)])
        numeric = field.kind.value_type == "number"
        result.append(Column(field, text(field.label, field.name), numeric, state, sort_url))
    return result
