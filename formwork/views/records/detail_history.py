"""A record's audit history as people read it: who changed what, when, from what to what.

The record service hands out the audit entries newest first, without the fields the user
may not see. Here each becomes an `Entry`: the person's name, the local time, and per field
its label with the old and new value formatted like the rest of the page. Audit values are
stored JSON-safe (decimals and dates as text), so they are converted back by the field's
type first; a value the field's type no longer accepts (the config changed since) shows as
it was stored. Child tables and files are summarized (rows added, files removed …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from ...metamodel.model import Entity, Field
from ...store.audit import AuditEntry
from ..context import actor, service, text
from ..display import Display
from .detail_access import user_names
from .pages import display_for

#: Entries shown at once; "more" loads the next ones.
PAGE_SIZE = 20
MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class Change:
    label: str
    old: Markup | None = None
    new: Markup | None = None
    #: For tables and files: what happened, in words, instead of old → new.
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    at: dt.datetime
    when: str
    who: str
    action: str
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class HistoryPage:
    entries: tuple[Entry, ...]
    #: The id to continue before (the next, older entries), or None at the end.
    more_before: int | None


def history_page(
    entity: Entity, record_id: int, before: int | None = None, limit: int = PAGE_SIZE
) -> HistoryPage:
    """Up to `limit` entries older than the entry `before` (the newest when None)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    entries = service().history(entity.name, record_id, actor())
    if before is not None:
        entries = [e for e in entries if e.id < before]
    # An update whose every change is hidden from this user says nothing to them.
    entries = [e for e in entries if e.changes or e.action in ("create", "delete")]
    page, more = entries[:limit], len(entries) > limit
    fields = [f for f in entity.fields.values() if f.type == "link"]
    rows = [{k: v[i] for k, v in e.changes.items()} for e in page for i in (0, 1)]
    show = display_for(fields, rows)
    names = user_names(e.user_id for e in page)
    return HistoryPage(
        tuple(_entry(entity, e, show, names) for e in page),
        page[-1].id if more and page else None,
    )


def _entry(entity: Entity, entry: AuditEntry, show: Display, names: Mapping[int, str]) -> Entry:
    order = {name: i for i, name in enumerate(entity.fields)}
    changes = sorted(entry.changes.items(), key=lambda item: order.get(item[0], len(order)))
    return Entry(
        id=entry.id,
        at=entry.at,
        when=show.local_time(entry.at),
        who=_("System") if entry.user_id is None else names.get(entry.user_id, f"#{entry.user_id}"),
        action=entry.action,
        changes=tuple(_change(entity.fields.get(name), name, pair, show) for name, pair in changes),
    )


def _change(field: Field | None, name: str, pair: Sequence[Any], show: Display) -> Change:
    old, new = (pair[0], pair[1]) if len(pair) == 2 else (None, None)
    if field is None:  # a field the config no longer has
        return Change(name, _raw(old), _raw(new))
    label = text(field.label, name)
    if field.type == "table":
        return Change(label, summary=rows_summary(old, new))
    if field.type == "attachment":
        return Change(label, summary=files_summary(old, new))
    return Change(label, value_html(field, old, show), value_html(field, new, show))


def value_html(field: Field, value: Any, show: Display) -> Markup:
    """An audit value formatted as the field shows it, or as stored if it no longer fits."""
    if value is None:
        return show.html(field, None)
    try:
        typed = field.kind.convert_existing(value, field)
    except (ValueError, NotImplementedError):
        return _raw(value)
    return show.html(field, typed)


def _raw(value: Any) -> Markup:
    if value is None:
        return Markup('<span class="empty" aria-label="—">—</span>')
    return escape(str(value))


def rows_summary(old: Any, new: Any) -> str:
    """How a child table changed: rows added, changed and removed, by row id."""
    before = {r.get("id"): r for r in old or () if isinstance(r, Mapping)}
    after = {r.get("id"): r for r in new or () if isinstance(r, Mapping)}
    added = len(after.keys() - before.keys())
    removed = len(before.keys() - after.keys())
    changed = sum(1 for k in after.keys() & before.keys() if after[k] != before[k])
    parts = []
    if added:
        parts.append(ngettext("%(num)d row added", "%(num)d rows added", added))
    if changed:
        parts.append(ngettext("%(num)d row changed", "%(num)d rows changed", changed))
    if removed:
        parts.append(ngettext("%(num)d row removed", "%(num)d rows removed", removed))
    return ", ".join(parts) or _("Rows reordered")


def files_summary(old: Any, new: Any) -> str:
    """Which files were added and removed (by their names)."""
    before = {f.get("id"): f.get("name", "") for f in old or () if isinstance(f, Mapping)}
    after = {f.get("id"): f.get("name", "") for f in new or () if isinstance(f, Mapping)}
    added = [after[k] for k in after if k not in before]
    removed = [before[k] for k in before if k not in after]
    parts = []
    if added:
        parts.append(_("added %(names)s", names=", ".join(added)))
    if removed:
        parts.append(_("removed %(names)s", names=", ".join(removed)))
    return "; ".join(parts) or _("Files reordered")
