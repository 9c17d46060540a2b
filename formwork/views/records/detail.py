"""The detail page of a record, for any entity: `/r/<entity>/<id>` and its history.

The page (see `detail_page`) shows the record's fields by the form's sections, its child
tables and files, its related lists, its grades and the actions the user may take. The
audit history loads when it scrolls into view (htmx) from `/r/<entity>/<id>/history`,
which without htmx is the whole page with the history in it.

Routes that change the record live in `detail_writes`, file downloads in `detail_files`.
"""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_htmx import HTMX

from ..context import actor, entity_or_404, service
from . import records
from .detail_history import PAGE_SIZE, history_page
from .detail_page import render_detail

#: Whether the request came from htmx (reads the request's headers).
htmx = HTMX()


@records.get("/<entity>/<int:id>")
def detail(entity: str, id: int) -> str:
    ent = entity_or_404(entity)
    return render_detail(ent, service().get(ent.name, id, actor()))


@records.get("/<entity>/<int:id>/history")
def history(entity: str, id: int) -> str:
    """The audit history, newest first: `limit` entries (20 unless asked, at most 500) older
    than the entry `before` (the newest when not given). htmx gets the list alone."""
    ent = entity_or_404(entity)
    before = request.args.get("before", type=int)
    limit = request.args.get("limit", PAGE_SIZE, type=int)
    if htmx:
        page = history_page(ent, id, before, limit)
        page_url = url_for("records.detail", entity=ent.name, id=id)
        return render_template("records/_detail_history.html", history=page, page_url=page_url)
    record = service().get(ent.name, id, actor())
    return render_detail(ent, record, history=history_page(ent, id, before, limit))


# The routes of the page's writes and downloads, registered on `records` when imported.
from . import detail_files, detail_writes  # noqa: E402, F401
