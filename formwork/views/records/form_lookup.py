"""Finding records (and users) to link to: the link picker's search, with scopes applied.

`GET /r/<target>/lookup?q=` answers the picker's search-as-you-type with a listbox of matches:
records of the target entity the user may read (through the record service's query, so row
scopes and hidden fields apply), or active users by display name or username for links to
`user`. `find` is the same search for a form posted without JS, where a link is typed as text.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import render_template, request

from ...metamodel.model import USER_ENTITY
from ...store.query import Filter, Query
from ...store.system import USER_TABLE
from ..context import actor, entity_or_404, runtime, service
from . import records
from .form_view import dom_id

MATCHES = 10
MAX_QUERY = 200


@dataclass(frozen=True, slots=True)
class Match:
    id: int
    title: str
    detail: str = ""


def find(target: str, text: str, limit: int = MATCHES) -> list[Match]:
    """Records of `target` (or users) whose title matches `text`, best first."""
    text = " ".join(text.split())[:MAX_QUERY]
    if target == USER_ENTITY:
        return _users(text, limit)
    entity = entity_or_404(target)
    filters: tuple[Filter, ...] = ()
    search: str | None = text or None
    if text and not entity.list.search and entity.title_field:
        filters, search = (Filter(entity.title_field, "contains", text),), None
    page = service().query(
        target, Query(filters=filters, search=search, page_size=limit, count=False), actor()
    )
    return [Match(r.id, r.title or f"#{r.id}") for r in page.records]


def _users(text: str, limit: int) -> list[Match]:
    users = runtime().tables.system(USER_TABLE)
    query = sa.select(users.c.id, users.c.display_name, users.c.username).where(users.c.active)
    for word in text.split():
        like = f"%{_escape(word)}%"
        query = query.where(
            sa.or_(
                users.c.display_name.ilike(like, escape="\\"),
                users.c.username.ilike(like, escape="\\"),
            )
        )
    query = query.order_by(users.c.display_name, users.c.id).limit(limit)
    with runtime().db.read() as conn:
        return [Match(row.id, row.display_name, row.username) for row in conn.execute(query)]


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_text() -> str:
    """The picker's text: `q`, or the search box's own parameter (`<key>__q`)."""
    if "q" in request.args:
        return request.args.get("q", "")
    return next((v for k, v in request.args.items() if k.endswith("__q")), "")


@records.get("/<target>/lookup")
def lookup(target: str) -> str:
    """The listbox of matches for a link picker (`key`: the link input it fills)."""
    matches = find(target, search_text())
    key = request.args.get("key", "")
    return render_template("records/_form_lookup.html", matches=matches, dom=dom_id(key))
