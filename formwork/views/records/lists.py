"""The list page of an entity: its configured columns, one page of records at a time."""

from __future__ import annotations

from flask import render_template, request

from ...store.query import Query
from ..context import actor, entity_or_404, service
from . import records
from .pages import display_for, visible


@records.get("/<entity>/")
def list_view(entity: str) -> str:
    ent = entity_or_404(entity)
    query = Query(search=request.args.get("q") or None, after=request.args.get("after") or None)
    page = service().query(entity, query, actor())
    columns = visible(ent, ent.list.columns)
    show = display_for(columns, [r.values for r in page.records])
    return render_template("records/list.html", entity=ent, page=page, columns=columns, show=show)
