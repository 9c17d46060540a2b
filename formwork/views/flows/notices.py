"""In-app notifications: the user's list, newest first, unread ones marked, and marking them
read (one, or all) with a POST. Each says in a sentence what happened to which record and
links to it; the top bar counts the unread (see `nav`)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import redirect, render_template, request, url_for
from flask_htmx import HTMX
from werkzeug.wrappers import Response

from ...flows.notifications import Notification
from ..context import actor, runtime
from ..records.detail_access import user_names
from . import flows, text
from .nav import forget_counts
from .records import describe, record_url, titles

#: How many of the newest notifications the page lists.
SHOWN = 100

htmx = HTMX()


@dataclass(frozen=True)
class NoticeRow:
    note: Notification
    sentence: str
    url: str


def notice_rows() -> list[NoticeRow]:
    user = actor()
    assert user is not None
    notes = runtime().flows.notifications(user, limit=SHOWN)
    names = user_names([n.actor_id for n in notes])
    found = titles((n.entity, n.record_id) for n in notes)
    rows = []
    for note in notes:
        record = describe(note.entity, note.record_id, found.get((note.entity, note.record_id)))
        who = names.get(note.actor_id) if note.actor_id is not None else None
        rows.append(
            NoticeRow(
                note, text.notification(note, record, who), record_url(note.entity, note.record_id)
            )
        )
    return rows


@flows.get("/notifications")
def notifications() -> str:
    return render_template("flows/notifications.html", rows=notice_rows())


@flows.post("/notifications/read")
def mark_read() -> Response | str:
    """Mark the posted `id`s read, or every notification of the user's when none is posted."""
    user = actor()
    assert user is not None
    ids = request.form.getlist("id", type=int) if "id" in request.form else None
    runtime().flows.mark_read(user, ids)
    forget_counts()
    if htmx:
        return render_template("flows/_notifications.html", rows=notice_rows(), oob=True)
    return redirect(url_for("flows.notifications"), 303)
