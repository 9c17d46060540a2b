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
from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from ...metamodel.model import USER_ENTITY, Entity, Field
from ...store.query import Page
from ..context import actor, entity_or_404, hidden_fields, locale, runtime, service
from ..display import Display, LinkTitles, escape_text
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
from .list_filters import chips, controls, filter_links
from .list_layout import ListLayout, layout
from .list_page import (
    count_text,
    open_list,
    problem_list,
    respond,
    run_query,
)
from .list_params import ListParams, url

PICK_LIMIT = 10
NUM = ' class="num"'
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
    """The records (or, for `user`, the active users) a link filter's picker finds."""
    target = USER_ENTITY if entity == USER_ENTITY else entity_or_404(entity).name
    name = request.args.get("name", "")
    if not PARAM_NAME.match(name):
        abort(400)
    words = request.args.get("q", "")
    found = form_lookup.find(target, words, PICK_LIMIT) if words.strip() else []
    return render_template("records/_list_pick.html", name=name, found=found)


def _render(
    ent: Entity, params: ListParams, outcome: Outcome | None = None, confirm: Confirm | None = None
) -> Response:
    problems = dict(params.problems)
    shape = layout(ent)
    columns = shape.columns
    # Only the columns are read (the title, id and version come along): a wide table's other
    # fields would be converted for nothing.
    query = dataclasses.replace(params.query(), fields=tuple(f.name for f in columns))
    page = None if problems else run_query(ent, query, problems)
    rows = [r.values for r in page.records] if page else []
    link_fields, link_rows = filter_links(ent, params)
    titles = LinkTitles(service(), actor())
    if shape.offers_people:
        titles.people()  # first: the names of the people the page links to come with them
    titles.load([*columns, *link_fields], [*rows, *link_rows])
    show = Display(locale(), runtime().settings.timezone, titles)
    base = url_for("records.list_view", entity=ent.name)
    state = params.pairs()
    after = (("after", params.after),) if params.after else ()
    next_page = (("after", page.next_cursor),) if page and page.next_cursor else ()
    heads = _columns(ent, params, shape, base)
    context: dict[str, Any] = {
        "entity": ent,
        "params": params,
        "page": page,
        "columns": heads,
        "rows": _rows(ent, page, heads, show, shape.bulk) if page else Markup(),
        "show": show,
        "controls": controls(ent, params, show),
        "searchable": shape.searchable,
        "chips": chips(ent, params, show),
        "problems": problem_list(problems, ent),
        "count": count_text(page.total, page.total_capped) if page else "",
        "base": base,
        "here": url(base, state + after),
        "first_url": url(base, state) if after else None,
        "next_url": url(base, state + next_page) if next_page else None,
        "clear_url": base,
        "bulk": shape.bulk,
        "can_delete": shape.can_delete,
        "can_export": shape.can_export,
        "can_import": shape.can_import,
        "settable": shape.settable,
        "bulk_set": shape.bulk_set,
        "outcome": outcome,
        "confirm": confirm,
        "new_url": url_for("records.new", entity=ent.name) if shape.can_create else None,
        "board_url": url(url_for("records.board", entity=ent.name), state)
        if shape.boards
        else None,
        "target": "#results",
    }
    status = 400 if problems else 200
    return respond("records/list.html", "records/_list_results.html", status, **context)


def _rows(ent: Entity, page: Page, columns: list[Column], show: Display, bulk: bool) -> Markup:
    """The page's records as table rows (`<tr id="row-…">`), built here rather than cell by
    cell in the template: each column's cell tag and renderer are made once, so a page costs
    little more than its values. With bulk actions, each row starts with its checkbox; the
    first column's cell links to the record."""
    tags = [f'<td data-label="{escape_text(c.label)}"{NUM if c.numeric else ""}>' for c in columns]
    # The first column links to the record (a config names each column once). Each cell
    # after it: the "</td>" of the one before with its own tag, its field, its renderer.
    linked = columns[0].field if columns else None
    first = tags[0] if tags else ""
    rest = [
        ("</td>" + tag, c.field.name, show.cells(c.field))
        for tag, c in zip(tags[1:], columns[1:], strict=True)
    ]
    detail = _detail_urls(ent)
    # Translated once for all rows; "\x00" stands for each row's name.
    select_label = _("Select %(name)s", name="\x00") if bulk else ""
    parts = []
    append = parts.append
    for record in page.records:
        values = record.values
        record_id = record.id  # ids and versions are integers: nothing to escape
        name = record.title or f"#{record_id}"
        append(f'<tr id="row-{record_id}">')
        if bulk:
            label = escape_text(select_label.replace("\x00", name))
            append(
                f'<td class="select"><input type="checkbox" name="ids"'
                f' value="{record_id}:{record.version}" id="select-{record_id}"'
                f' aria-label="{label}"></td>'
            )
        if linked is None:
            append("</tr>")
            continue
        title = escape_text(show.text(linked, values.get(linked.name)) or name)
        append(f'{first}<a href="{escape_text(detail(record_id))}" class="record-link">{title}</a>')
        for tag, field, render in rest:
            append(tag)
            append(render(values.get(field)))
        append("</td></tr>")
    # Every part is escaped text or markup already: no escaping is left to do.
    return Markup("".join(parts))


def _detail_urls(ent: Entity) -> Callable[[int], str]:
    """The detail page URL of a record by id: url_for once, then the id put in its place (with
    url_for for each record if the route ever puts the id where it cannot be found again)."""
    url = url_for("records.detail", entity=ent.name, id=ID_MARK)
    before, mark, after = url.partition(str(ID_MARK))
    if not mark or str(ID_MARK) in after:
        return lambda id: url_for("records.detail", entity=ent.name, id=id)
    return lambda id: f"{before}{id}{after}"


def _columns(ent: Entity, params: ListParams, shape: ListLayout, base: str) -> list[Column]:
    current = params.sort
    if not current:
        hidden = hidden_fields(ent)
        current = tuple(k for k in ent.list.sort if k.field not in hidden)
    first = current[0] if current else None
    rest = list(params.pairs(sort=False))
    result = []
    for field, label in zip(shape.columns, shape.labels, strict=True):
        state = None
        if first is not None and first.field == field.name:
            state = "descending" if first.descending else "ascending"
        sort_url = None
        if field.name in shape.sortable:
            key = f"-{field.name}" if state == "ascending" else field.name
            sort_url = url(base, [*rest, ("sort", key)])
        numeric = field.kind.value_type == "number"
        result.append(Column(field, label, numeric, state, sort_url))
    return result
