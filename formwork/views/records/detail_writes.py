"""What a record's detail page changes: deleting the record, and its manual grade.

Delete asks first: `GET …/delete` is the page with a confirmation (a form that posts the
version the user saw), `POST …/delete` deletes. A refusal (someone changed the record since,
or other records still use it) shows the page again with the reason; nothing is deleted.
A manual grade is set with a grade, a reason and an optional last day, or cleared; errors
show next to the form's fields. Permissions are the record service's: out of scope is 404,
an action the user may not take is 403.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from ...store.errors import Conflict, Forbidden, ValidationFailed
from ...store.grade_overrides import clear_manual_grade, set_manual_grade
from ..context import actor, entity_or_404, hidden_fields, model, runtime, service, text
from . import records
from .detail_access import may
from .detail_grades import GradeForm
from .detail_page import render_detail

#: Flashed after a delete; the notice's text lives with the other notices.
DELETED = "record_deleted"
GRADE_SET = "grade_set"
GRADE_CLEARED = "grade_cleared"


@records.get("/<entity>/<int:id>/delete")
def confirm_delete(entity: str, id: int) -> str:
    ent = entity_or_404(entity)
    record = service().get(ent.name, id, actor())
    if not may("delete", ent, record.id):
        raise Forbidden("delete", text(ent.label, ent.name))
    return render_detail(ent, record, confirm_delete=True)


@records.post("/<entity>/<int:id>/delete")
def delete(entity: str, id: int) -> Response | tuple[str, int]:
    ent = entity_or_404(entity)
    record = service().get(ent.name, id, actor())
    try:
        service().delete(ent.name, record.id, request.form.get("version"), actor())
    except Conflict:
        problem = _(
            "Someone changed this record after you opened it. Check it, then delete it again "
            "if you still want to."
        )
        fresh = service().get(ent.name, record.id, actor())
        return render_detail(ent, fresh, confirm_delete=True, problems=[problem]), 409
    except ValidationFailed as exc:
        problems = [m for messages in exc.errors.values() for m in messages]
        status = 400 if "version" in exc.errors else 422
        return render_detail(ent, record, confirm_delete=True, problems=problems), status
    flash(DELETED)
    return redirect(url_for("records.list_view", entity=ent.name))


@records.post("/<entity>/<int:id>/grade")
def set_grade(entity: str, id: int) -> Response | tuple[str, int]:
    """Set (grade, reason, optional last day) or clear (`action=clear`) a manual grade."""
    ent = entity_or_404(entity)
    record = service().get(ent.name, id, actor())
    name = request.form.get("grading", "")
    grading = next((g for g in model().gradings_of(ent.name) if g.name == name), None)
    hidden = hidden_fields(ent)
    if grading is None or {grading.grade_field, grading.score_field} & hidden:
        raise BadRequest()
    if not may("update", ent, record.id):
        raise Forbidden("update", text(ent.label, ent.name))
    action = request.form.get("action", "set")
    if action == "clear":
        clear_manual_grade(service(), ent.name, record.id, grading.name, actor())
        flash(GRADE_CLEARED)
    elif action == "set":
        sent = {k: request.form.get(k, "") for k in ("grade", "reason", "expires_on")}
        errors: dict[str, list[str]] = {}
        expires_at = _last_day(sent["expires_on"], errors)
        if not errors:
            try:
                set_manual_grade(
                    service(),
                    ent.name,
                    record.id,
                    grading.name,
                    sent["grade"],
                    sent["reason"],
                    actor(),
                    expires_at,
                )
            except ValidationFailed as exc:
                errors = {_FORM_KEYS.get(k, k): v for k, v in exc.errors.items()}
        if errors:
            form = GradeForm(grading.name, sent, errors)
            return render_detail(ent, record, grade_form=form), 422
        flash(GRADE_SET)
    else:
        raise BadRequest()
    return redirect(url_for("records.detail", entity=ent.name, id=record.id) + "#grades")


#: The store names the expiry `expires_at`; the form asks for the last day, `expires_on`.
_FORM_KEYS = {"expires_at": "expires_on"}


def _last_day(raw: str, errors: dict[str, list[str]]) -> dt.datetime | None:
    """The end of the given day in the app's time zone (None when no day was given)."""
    raw = raw.strip()
    if not raw:
        return None
    zone = ZoneInfo(runtime().settings.timezone)
    try:
        day = dt.date.fromisoformat(raw)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    except (ValueError, OverflowError):
        errors["expires_on"] = [_("Not a date; use the form YYYY-MM-DD.")]
        return None
    if day < service().clock().astimezone(zone).date():
        errors["expires_on"] = [_("The last day cannot be in the past.")]
        return None
    return end
