"""What the list and board pages share: reading the URL, running queries, answering htmx.

Both pages read the same URL contract (`list_params`) and show the same filter panel; both
answer an htmx request with the region it targets (the partial template the full page
includes) and anything else — a first visit, a reload, htmx restoring history after a cache
miss — with the whole page. Responses say `Vary: HX-Request`, so a cache keeps them apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.numbers import format_decimal
from flask import current_app, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ...metamodel.model import Entity, Field
from ...store.errors import QueryError
from ...store.query import COUNT_CAP, Page, Query
from .. import memo
from ..context import actor, entity_or_404, hidden_fields, runtime, service, text
from ..messages import translate_error
from ..translate import babel_locale, ngettext
from .list_params import ListParams, filterable, parse_list_args, sortable, url

#: The id of the filter form in the templates.
FILTER_FORM = "list-filters"
#: How problems that are not about one field are named.
PROBLEM_NAMES = {"after": _l("Page"), "sort": _l("Sort"), "q": _l("Search")}


def open_list(name: str) -> tuple[Entity, ListParams]:
    """The entity of the URL (404 if none, 403 if the user may not list it) and its state."""
    entity = entity_or_404(name)
    service().policy.check(actor(), "query", entity)
    zone = runtime().settings.timezone
    hidden = hidden_fields(entity)
    # Per config and roles, as `hidden` is: made once (`memo`).
    fields = memo.per_config("filterable", entity.name, lambda: filterable(entity, hidden))
    sorts = memo.per_config("sortable", entity.name, lambda: sortable(entity, hidden))
    params = parse_list_args(entity, request.args, hidden, zone, fields=fields, sorts=sorts)
    return entity, params


def run_query(entity: Entity, query: Query, problems: dict[str, str]) -> Page | None:
    """The page of records, or None with the store's refusal added to `problems` by field."""
    try:
        return service().query(entity.name, query, actor())
    except QueryError as exc:
        for key, texts in exc.errors.items():
            problems[_problem_key(key, query)] = " ".join(translate_error(entity, t) for t in texts)
        return None


def _problem_key(key: str, query: Query) -> str:
    if key.startswith("filters[") and key.endswith("]"):
        index = key[len("filters[") : -1]
        if index.isdigit() and int(index) < len(query.filters):
            return query.filters[int(index)].field
    return key


def wants_partial() -> bool:
    """Whether to answer with the region an htmx request targets rather than the page."""
    htmx = current_app.htmx  # type: ignore[attr-defined]
    return bool(htmx) and not htmx.history_restore_request


def respond(full: str, partial: str, status: int = 200, **context: Any) -> Response:
    """The page, or for htmx its region (`partial` is true in the templates then).

    A region also sends the filter panel along (`send_panel`), so that it follows sort links,
    removed chips and pages — but not when the filter form itself asked and all is well: the
    panel shows what the user typed, and may hold what they typed since.
    """
    wanted = wants_partial()
    from_form = request.headers.get("HX-Trigger") == FILTER_FORM
    send_panel = wanted and (not from_form or status >= 400)
    html = render_template(
        partial if wanted else full, partial=wanted, send_panel=send_panel, url=url, **context
    )
    response = current_app.make_response((html, status))
    response.vary.add("HX-Request")
    return response


def count_text(total: int | None, capped: bool = False) -> str:
    """ "1,234 records", or "10,000+ records" when counting stopped at the cap."""
    if total is None:
        return ""
    if capped:
        number = _number(COUNT_CAP, babel_locale())
        return ngettext("%(count)s+ records", "%(count)s+ records", COUNT_CAP, count=number)
    number = _number(total, babel_locale())
    return ngettext("%(count)s record", "%(count)s records", total, count=number)


@lru_cache(maxsize=512)
def _number(count: int, locale: Locale | None) -> str:
    """A count as the locale writes numbers (Flask-Babel's `format_decimal`, remembered:
    Babel works the pattern out anew on every call)."""
    return format_decimal(count, locale=locale)


def select_fields(entity: Entity) -> list[Field]:
    """The select fields the user may see: what a board may be grouped by."""
    hidden = hidden_fields(entity)
    return [
        f
        for f in entity.fields.values()
        if f.type == "select" and f.stored and f.name not in hidden
    ]


def problem_list(problems: Mapping[str, str], entity: Entity) -> list[tuple[str, str]]:
    """(what, message) for each problem, naming the field by its label."""
    result = []
    for key, message in problems.items():
        field = entity.fields.get(key)
        what = text(field.label, key) if field is not None else PROBLEM_NAMES.get(key, key)
        result.append((what, message))
    return result
