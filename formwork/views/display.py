"""Field values as people read them in pages: escaped HTML for lists, detail pages and cards.

`Display` turns one field's value into markup: option labels as coloured chips, links as the
linked record's title (fetched for a whole page in one query per target), URLs and e-mail as
safe links, rich text sanitized again on the way out, times in the configured zone. Plain
text comes from the field type's own `format`, so exports and pages agree. `cells` prepares
a column once (its chips made once per value) for pages that show many values of one field.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache, partial
from html import escape as html_escape
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from cachetools import LRUCache
from flask import url_for
from markupsafe import Markup, escape

from ..metamodel.fieldtypes.text_types import sanitize_html
from ..metamodel.model import USER_ENTITY, App, Field
from ..store.actor import Actor
from ..store.records import RecordService
from ..store.tables import USER_TABLE

#: Option colours a config may name; anything else shows neutral.
COLORS = frozenset(
    {"red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "gray", "brown"}
)
SAFE_SCHEMES = ("http://", "https://")
EMPTY = Markup('<span class="empty" aria-label="—">—</span>')
#: Field types whose markup is more than their escaped text (see `Display.html`).
MARKED_UP = frozenset(
    {"select", "multiselect", "link", "url", "email", "phone", "richtext", "longtext"}
    | {"rating", "attachment", "datetime"}
)
EXTERNAL_LINK = '<a href="{0}" rel="noopener noreferrer nofollow" target="_blank">{0}</a>'
#: The characters HTML escaping replaces.
_SPECIAL = re.compile(r"[&<>\"']")


def _empty(value: Any) -> bool:
    """None, "" or []: what pages show as an em dash. (Not `value == ""`: comparing a
    Decimal with a str or list goes through the numbers ABCs, slowly.)"""
    return value is None or (isinstance(value, str | list) and not value)


def escape_text(text: str) -> str:
    """`text` escaped for HTML (as `html.escape`, quotes included), as a plain `str`; most
    values need nothing replaced, and finding that out first is cheaper than replacing."""
    return html_escape(text) if _SPECIAL.search(text) else text


#: Up to this many users, a filter by person offers every one of them in a list; beyond, it
#: finds them as one types.
PEOPLE_LISTED = 200


class Person(NamedTuple):
    id: int
    name: str
    active: bool


class LinkTitles:
    """Titles of the records (and users) a page links to, looked up once per target entity.

    Only records the viewer may read are named; others show as a bare number, so a link never
    leaks a title the viewer's scope does not include.
    """

    def __init__(self, service: RecordService, user: Actor | None) -> None:
        self.service = service
        self.user = user
        self.titles: dict[str, dict[int, str]] = defaultdict(dict)
        self._people: list[Person] | None = None
        self._people_read = False

    def people(self) -> list[Person] | None:
        """Every user, read once, when there are at most `PEOPLE_LISTED` (a filter by person
        then offers them all, and their names serve as the titles of links to users without a
        query of their own); None when there are more, which are then found as one types, so
        that no page reads or lists thousands of users."""
        if not self._people_read:
            query = _everyone(self.service.tables.system(USER_TABLE), PEOPLE_LISTED + 1)
            with self.service.db.read() as conn:
                found = [Person(i, n, bool(a)) for i, n, a in conn.execute(query)]
            self._people_read = True
            if len(found) <= PEOPLE_LISTED:
                self._people = found
                names = self.titles[USER_ENTITY]
                names.update((p.id, p.name) for p in found if p.name is not None)
        return self._people

    def load(self, fields: Iterable[Field], rows: Iterable[Mapping[str, Any]]) -> LinkTitles:
        wanted: dict[str, set[int]] = defaultdict(set)
        links = [f for f in fields if f.type == "link"]
        for row in rows:
            for field in links:
                value = row.get(field.name)
                if isinstance(value, int) and value not in self.titles[field.setting("to")]:
                    wanted[field.setting("to")].add(value)
        for target, ids in wanted.items():
            if ids:
                self.titles[target].update(self._fetch(target, ids))
        return self

    def title(self, target: str, record_id: int) -> str | None:
        return self.titles.get(target, {}).get(record_id)

    def _fetch(self, target: str, ids: set[int]) -> dict[int, str]:
        app: App = self.service.app
        tables = self.service.tables
        if target == USER_ENTITY:
            users = tables.system(USER_TABLE)
            query = sa.select(users.c.id, users.c.display_name).where(users.c.id.in_(ids))
        else:
            entity = app.entity(target)
            table = tables[target]
            policy = self.service.policy
            title = entity.title_field
            if not title or title in policy.hidden(self.user, entity):
                return {}
            try:
                policy.check(self.user, "read", entity)
            except Exception:  # the viewer cannot read that entity at all
                return {}
            query = sa.select(table.c.id, table.c[title]).where(table.c.id.in_(ids))
            scope = policy.row_filter(self.user, "read", entity)
            if scope is not None:
                query = query.where(scope)
        with self.service.db.read() as conn:
            return {row[0]: str(row[1]) for row in conn.execute(query) if row[1] is not None}


@lru_cache(maxsize=8)
def _everyone(users: sa.Table, limit: int) -> sa.Select[Any]:
    """Up to `limit` users' id, name and whether they are active (built once per table)."""
    return sa.select(users.c.id, users.c.display_name, users.c.active).limit(limit)


class Display:
    """Renders values of one app for one request (locale, time zone, link titles)."""

    def __init__(self, locale: str, timezone: str, titles: LinkTitles | None = None) -> None:
        self.locale = locale
        self.zone = ZoneInfo(timezone)
        self.titles = titles
        #: Option chips made so far, by field (its id: fields live as long as the model) and
        #: value.
        self._chips: dict[tuple[int, Any], Markup] = {}

    def text(self, field: Field, value: Any) -> str:
        """The value as plain text (titles for links, local time for datetimes)."""
        if value is None:
            return ""
        if field.type == "datetime" and isinstance(value, dt.datetime):
            return self.local_time(value)
        if field.type == "link" and self.titles is not None:
            title = self.titles.title(field.setting("to"), value)
            if title is not None:
                return title
        return field.kind.format(value, field, self.locale)

    def local_time(self, value: dt.datetime) -> str:
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def html(self, field: Field, value: Any) -> Markup:
        """The value as markup for a page; empty values show as an em dash."""
        if _empty(value):
            return EMPTY
        kind = field.type
        if kind == "select":
            return self._chip(field, value)
        if kind == "multiselect":
            return Markup(" ").join(self._chip(field, v) for v in value)
        if kind == "link":
            return self._link(field, value)
        if kind == "url":
            return self._url(value)
        if kind == "email":
            return Markup('<a href="mailto:{0}">{0}</a>').format(value)
        if kind == "phone":
            return Markup('<a href="tel:{0}">{1}</a>').format(
                "".join(c for c in str(value) if c.isdigit() or c == "+"), value
            )
        if kind == "richtext":
            return Markup('<div class="rich">{}</div>').format(Markup(sanitize_html(value)))
        if kind == "longtext":
            return Markup('<div class="longtext">{}</div>').format(value)
        if kind == "rating":
            top = field.setting("max", 5)
            return Markup('<span class="rating" aria-label="{0}/{1}">{2}</span>').format(
                value, top, self.text(field, value)
            )
        if kind == "attachment":
            return Markup(", ").join(escape(item.get("name", "")) for item in value)
        return escape(self.text(field, value))

    def cells(self, field: Field) -> Callable[[Any], str]:
        """A function giving what `html` gives for the field's values, faster over many:
        chips are made once per value, plain values skip the dispatch and come as escaped
        text (a `str`, not `Markup`: for pages that join many cells into one piece of markup).
        """
        kind = field.type
        if kind == "select":
            shown: dict[Any, Markup] = {}  # by value, for this column

            def chip(value: Any) -> Markup:
                found = shown.get(value)
                if found is None:
                    empty = value is None or value == ""
                    found = shown[value] = EMPTY if empty else self._chip(field, value)
                return found

            return chip
        if kind == "link" and field.setting("to") == USER_ENTITY:
            return self._person
        if kind in MARKED_UP:
            return partial(self.html, field)
        plain = field.kind.format
        locale = self.locale

        def cell(value: Any) -> str:
            if _empty(value):
                return EMPTY
            return escape_text(plain(value, field, locale))

        return cell

    def _chip(self, field: Field, value: Any) -> Markup:
        key = (id(field), value)
        chip = self._chips.get(key)
        if chip is None:
            chip = self._chips[key] = _chip(field, value, self.locale)
        return chip

    def _person(self, value: Any) -> str:
        """What `html` shows for a link to a user (a name, never a link), as escaped text."""
        if value is None or value == "":
            return EMPTY
        title = self.titles.title(USER_ENTITY, value) if self.titles is not None else None
        return escape_text(title or f"#{value}")

    def _link(self, field: Field, value: Any) -> Markup:
        target = field.setting("to")
        title = self.titles.title(target, value) if self.titles is not None else None
        if target == USER_ENTITY:
            return escape(title or f"#{value}")
        if title is None:
            return escape(f"#{value}")
        href = url_for("records.detail", entity=target, id=value)
        return Markup('<a href="{}">{}</a>').format(href, title)

    def _url(self, value: str) -> Markup:
        if not value.lower().startswith(SAFE_SCHEMES):
            return escape(value)  # never a javascript: or data: link
        return Markup(EXTERNAL_LINK).format(value)


#: Chips made so far, by field (its id), value and locale, with the field they were made for:
#: the same few are shown on every page (see `_chip`).
MAX_CHIPS = 4096
_chips: LRUCache[tuple[int, Any, str], tuple[Field, Markup]] = LRUCache(MAX_CHIPS)
_chips_lock = threading.Lock()  # cachetools' caches are not thread-safe


def _chip(field: Field, value: Any, locale: str) -> Markup:
    """An option's chip: its label in its colour. Made once per field, value and locale and
    kept (a field belongs to one model and never changes; a new config has new fields)."""
    key = (id(field), value, locale)
    with _chips_lock:
        kept = _chips.get(key)
    if kept is not None and kept[0] is field:
        return kept[1]
    option = next((o for o in field.options if o.value == value), None)
    color = option.color if option is not None and option.color in COLORS else "none"
    label = option.label.get(locale, value) if option is not None else value
    chip = Markup('<span class="chip chip-{}">{}</span>').format(color, label)
    with _chips_lock:
        _chips[key] = (field, chip)
    return chip
