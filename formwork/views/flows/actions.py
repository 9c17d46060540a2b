"""The approval actions, each a POST with the CSRF token:

    POST /tasks/<task>/<action>          approve, reject, return, delegate, transfer, add_approver
    POST /r/<entity>/<id>/flow/<action>  submit, withdraw

A form says where it was sent from (`from`: the inbox or the record's page). After success a
plain form is redirected back (303) with a notice; htmx from the inbox gets the task's card
replaced by the outcome, htmx from a record's page is sent to the page again (its fields
changed too). A refusal leaves everything as it was and says why, where it was asked:
422 with the error next to the comment box (a rejection needs a comment), 409 when someone
acted first (the engine's `FlowConflict`: "This task was already approved by …"), 403 / 404
when the task is not the user's or the record is out of their scope. Without htmx, bad input
and conflicts get a page of their own (with the form again for bad input), 403 and 404 the
app's error pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_htmx import HTMX
from werkzeug.wrappers import Response as BaseResponse

from ...flows.errors import FlowBroken, FlowConflict, NotAllowed
from ...flows.tables import REQUEST_TABLE, TASK_TABLE
from ...store.errors import Forbidden, NotFound, ValidationFailed
from ..context import actor, entity_or_404, model, runtime, service
from ..messages import translate_error
from . import flows, text
from .nav import forget_counts
from .pages import open_task, task_card
from .panel import build_panel
from .posted import HANDOVERS, Posted
from .records import describe, people_except, record_url, titles

TASK_ACTIONS = ("approve", "reject", "return", *HANDOVERS)
RECORD_ACTIONS = ("submit", "withdraw")

htmx = HTMX()

Answer = BaseResponse | str | tuple[str, int]


@dataclass(frozen=True, slots=True)
class Target:
    """What an action is about: a record, and for task actions the task."""

    entity: str
    record_id: int
    task_id: int | None = None


@flows.post("/tasks/<int:task_id>/<action>")
def task_action(task_id: int, action: str) -> Answer:
    if action not in TASK_ACTIONS:
        abort(404)
    posted = Posted.read(action, request.form)
    names = {"to": posted.to or None} if action in HANDOVERS else {}
    return act(posted, task_target(task_id), task=task_id, **names)


@flows.post("/r/<entity>/<int:id>/flow/<action>")
def record_action(entity: str, id: int, action: str) -> Answer:
    ent = entity_or_404(entity)
    if action not in RECORD_ACTIONS or model().flow_of(ent.name) is None:
        abort(404)
    service().get(ent.name, id, actor())  # 404 out of the user's scope
    posted = Posted.read(action, request.form)
    return act(posted, Target(ent.name, id), entity=ent.name, id=id)


def task_target(task_id: int) -> Target:
    tables = runtime().tables
    tasks, requests = tables.system(TASK_TABLE), tables.system(REQUEST_TABLE)
    query = (
        sa.select(requests.c.entity, requests.c.record_id)
        .join(tasks, tasks.c.request_id == requests.c.id)
        .where(tasks.c.id == task_id)
    )
    with runtime().db.read() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFound("task", task_id)
    return Target(row.entity, row.record_id, task_id)


def act(posted: Posted, target: Target, **names: Any) -> Answer:
    """Take the action; answer with its outcome or, having written nothing, the refusal."""
    user = actor()
    assert user is not None
    comment = posted.comment or None
    try:
        runtime().flows.act(posted.action, user, comment=comment, **names)
    except ValidationFailed as refused:
        posted.refused(refused.errors)
        return refusal(posted, target, 422)
    except (FlowConflict, FlowBroken) as conflict:
        posted.alert = translate_error(None, str(conflict))
        return refusal(posted, target, 409)
    except (Forbidden, NotFound) as error:
        if not htmx:
            raise  # the app's 403 / 404 pages
        posted.alert = _not_possible(error)
        return refusal(posted, target, 404 if isinstance(error, NotFound) else 403)
    forget_counts()
    return done(posted, target)


def _not_possible(error: Exception) -> str:
    if isinstance(error, NotAllowed):
        return translate_error(None, str(error))
    if isinstance(error, NotFound):
        return _("There is no such page or record, or it is not visible to you.")
    return _("Your roles do not allow this.")


def done(posted: Posted, target: Target) -> Answer:
    message = text.done(posted.action)
    if htmx and posted.origin == "inbox":
        return render_template(
            "flows/_task_result.html",
            task_id=target.task_id,
            message=message,
            good=True,
            name=_name(target),
            url=record_url(target.entity, target.record_id),
        )
    flash(message)
    back = back_url(posted, target)
    if htmx:  # the record's page: show it again, fields and all
        return Response(status=204, headers={"HX-Redirect": back})
    return redirect(back, 303)


def back_url(posted: Posted, target: Target) -> str:
    if posted.origin == "inbox":
        return url_for("flows.inbox")
    return record_url(target.entity, target.record_id)


def refusal(posted: Posted, target: Target, status: int) -> tuple[str, int]:
    if htmx and posted.origin == "inbox":
        return _inbox_refusal(posted, target, status), status
    if htmx:
        return _panel_refusal(posted, target), status
    return _refusal_page(posted, target, status), status


def _inbox_refusal(posted: Posted, target: Target, status: int) -> str:
    user = actor()
    assert user is not None and target.task_id is not None
    task = open_task(user, target.task_id)
    if task is not None and status == 422:  # the card again, the error by its comment box
        return render_template("flows/_task.html", card=task_card(task, user, posted))
    message = " ".join(posted.problems) or text.done(posted.action)
    return render_template(
        "flows/_task_result.html",
        task_id=target.task_id,
        message=message,
        good=False,
        name=_name(target),
        url=record_url(target.entity, target.record_id),
    )


def _panel_refusal(posted: Posted, target: Target) -> str:
    """The record's panel as it is now, with the refusal in it."""
    try:
        panel = build_panel(model().entity(target.entity), target.record_id, posted)
    except (NotFound, Forbidden):
        panel = None
    return render_template("records/_detail_flow.html", panel=panel, posted=posted, partial=True)


def _refusal_page(posted: Posted, target: Target, status: int) -> str:
    """Without htmx: the refusal on a page of its own, with the form to try again (422)."""
    retry = None
    if status == 422:
        if target.task_id is not None:
            retry = url_for("flows.task_action", task_id=target.task_id, action=posted.action)
        else:
            retry = url_for(
                "flows.record_action",
                entity=target.entity,
                id=target.record_id,
                action=posted.action,
            )
    user = actor()
    assert user is not None
    return render_template(
        "flows/act.html",
        posted=posted,
        name=_name(target),
        url=record_url(target.entity, target.record_id),
        back=back_url(posted, target),
        retry=retry,
        people=people_except(user) if retry and posted.is_handover else [],
    )


def _name(target: Target) -> str:
    title = titles([(target.entity, target.record_id)]).get((target.entity, target.record_id))
    return describe(target.entity, target.record_id, title)
