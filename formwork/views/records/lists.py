"""The list page of an entity: columns, sort, filters, search, keyset pages, bulk actions.

`GET /r/<entity>/` shows one page of the records the user may see, as the URL asks (see
`list_params` for the contract other pages link to). `POST` to the same URL runs a bulk
action on the checked rows and shows the list again with a report. A bulk delete first asks
for confirmation (a second POST with `confirm=1`), with or without JavaScript.
`GET /r/<entity>/pick?q=…&name=…` is the search-as-you-type picker of link filters: the
matching records the user may see, as checkboxes named `name`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import abort, render_template, request, url_for
from werkzeug.wrappers import Response

from ...metamodel.model import Entity, Field
from ..context import actor, can, entity_or_404, hidden_fields, service, text
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
from .list_filters import chips, controls, filter_links, searchable
from .list_page import (
    count_text,
    open_list,
    problem_list,
    respond,
    run_query,
    select_fields,
)
from .list_params import ListParams, sortable, url
from .pages import display_for, visible

PICK_LIMIT = 10
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
    page = None if problems else run_query(ent, params.query(), problems)
    columns = visible(ent, ent.list.columns)
    rows = [r.values for r in page.records] if page else []
    link_fields, link_rows = filter_links(ent, params)
    show = display_for([*columns, *link_fields], [*rows, *link_rows])
    base = url_for("records.list_view", entity=ent.name)
    state = params.pairs()
    after = (("after", params.after),) if params.after else ()
    next_page = (("after", page.next_cursor),) if page and page.next_cursor else ()
    settable = settable_fields(ent)
    boards = select_fields(ent)
    context: dict[str, Any] = {
        "entity": ent,
        "params": params,
        "page": page,
        "columns": _columns(ent, params, columns, base),
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
        "bulk": can("delete", ent) or bool(settable),
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
