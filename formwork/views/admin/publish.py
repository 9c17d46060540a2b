"""The admin pages that put a config change live: preview, publish, revisions, rollback.

    GET  /admin/config/preview                       the draft's impact, and the publish form
    POST /admin/config/publish                       publish the draft (a message is required)
    GET  /admin/config/jobs/<token>                  a publish or rollback: progress, then outcome
    GET  /admin/config/jobs/<token>/status           the progress partial htmx polls
    GET  /admin/config/revisions                     every revision, newest first, with its diff
    GET  /admin/config/revisions/<n>/rollback        the impact of rolling back to n, to confirm
    POST /admin/config/revisions/<n>/rollback        roll back to n
    GET  /admin/config/revisions/<n>/overlay.yaml    revision n's overlay, as YAML
    GET  /admin/config/export/overlay.yaml           the active overlay (`?draft=1`: the draft)
    GET  /admin/config/export/merged.zip             the package with the active overlay applied

Admins only (the blueprint answers 403 to everyone else). A publish runs in the background
(`publish_job`) and the page follows its progress. Each form carries the revision it was
shown against (and the preview the draft it showed): a second click, or a publish by another
admin meanwhile, finds the site moved on and is refused with a 409 instead of publishing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale, format_decimal, get_locale, ngettext
from flask_babel import gettext as _

from ...auth.session import current_user
from ...metamodel.model import App
from ...overlay import Overlay, Revision, revision_cause
from ...overlay.impact import GradingImpact, Impact, preview_impact
from ...overlay.site import PACKAGE_REVISION
from ...store.system import GRADE_TABLE
from ..context import model, runtime, text
from ..display import Display
from ..errors import error_page
from . import bp
from .publish_job import Busy, Progress, PublishJob, PublishJobs
from .publish_text import diff_lines, failure_text, step_text

#: How long a publish may take before the page shows its progress instead of its outcome.
QUICK_SECONDS = 2.0
MESSAGE_MAX = 500


class Refused(Exception):
    """The form cannot be carried out as shown: the site moved on since (published, or the
    draft edited: 409), or what it would publish has problems (400)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


# -- preview and publish -------------------------------------------------------------------
@bp.get("/preview")
def preview() -> Any:
    return _preview_page()


@bp.post("/publish")
def publish() -> Any:
    message = request.form.get("message", "").strip()
    error = _message_error(message, required=True)
    if error:
        return _preview_page(message=message, error=error, status=400)
    site = runtime().site
    base, draft = request.form.get("base", ""), request.form.get("draft", "")

    def check() -> None:
        _check_base(base)
        current = site.draft()
        if _fingerprint(current) != draft:
            raise Refused(_("The draft changed since this preview: review its impact again."))
        if not site.candidate(current).valid:
            raise Refused(_("The draft has problems: fix them before publishing."), 400)

    author = current_user().username

    def work(progress: Progress) -> dict[str, Any]:
        return _outcome(lambda: runtime().site.publish(author, message, progress=progress))

    again = partial(_preview_page, message=message)
    return _start("publish", work, check, again, message=message)


# -- revisions and rollback ----------------------------------------------------------------
@bp.get("/revisions")
def revisions() -> str:
    site = runtime().site
    listed = site.revisions()
    shown = Display("", runtime().settings.timezone)
    rows = [
        {
            "revision": revision,
            "at": shown.local_time(revision.created_at),
            "diff": diff_lines(revision, listed[i + 1] if i + 1 < len(listed) else None),
        }
        for i, revision in enumerate(listed)
    ]
    active = site.active()
    return render_template(
        "admin/revisions.html",
        rows=rows,
        active=active.number if active else 0,
        at_package=active is None or not active.overlay.patches,
        running=_jobs().running(),
        site_status=site.status,
    )


@bp.get("/revisions/<int:number>/rollback")
def rollback_confirm(number: int) -> Any:
    return _rollback_page(_revision(number))


@bp.post("/revisions/<int:number>/rollback")
def rollback(number: int) -> Any:
    revision = _revision(number)
    message = request.form.get("message", "").strip()
    error = _message_error(message, required=False)
    if error:
        return _rollback_page(revision, message=message, error=error, status=400)
    base = request.form.get("base", "")

    def check() -> None:
        _check_base(base)
        if base == str(number):
            raise Refused(_("Revision %(number)s is the active one already.", number=number))
        if not runtime().site.candidate(revision.overlay).valid:
            raise Refused(_("This revision no longer fits the package."), 400)

    author = current_user().username

    def work(progress: Progress) -> dict[str, Any]:
        return _outcome(lambda: runtime().site.rollback(number, author, message))

    again = partial(_rollback_page, revision, message=message)
    return _start("rollback", work, check, again, message=message, target=number)


@bp.get("/revisions/<int:number>/overlay.yaml")
def revision_overlay(number: int) -> Response:
    return _download(_revision(number).overlay.to_yaml(), f"overlay-r{number}.yaml")


@bp.get("/export/overlay.yaml")
def export_overlay() -> Response:
    draft = request.args.get("draft") == "1"
    name = "overlay-draft.yaml" if draft else "overlay.yaml"
    return _download(runtime().site.export_overlay(draft=draft), name)


@bp.get("/export/merged.zip")
def export_merged() -> Response:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in sorted(runtime().site.export_merged().items()):
            archive.writestr(path, content)
    return Response(
        buffer.getvalue(),
        mimetype="application/zip",
        headers={"Content-Disposition": 'attachment; filename="package.zip"'},
    )


# -- jobs ----------------------------------------------------------------------------------
@bp.get("/jobs/<token>")
def job_page(token: str) -> str:
    job = _job(token)
    return render_template("admin/publish_job.html", job=job, **_job_context(job))


@bp.get("/jobs/<token>/status")
def job_status(token: str) -> Any:
    job = _job(token)
    if not job.running:  # ended: htmx loads the whole page with the outcome
        url = url_for("admin_config.job_page", token=token)
        if request.headers.get("HX-Request"):
            return Response(status=204, headers={"HX-Redirect": url})
        return redirect(url, 303)
    return render_template("admin/_publish_status.html", job=job, **_job_context(job))


# -- helpers -------------------------------------------------------------------------------
def _jobs() -> PublishJobs:
    return PublishJobs(runtime().settings.instance / "publish")


def _job(token: str) -> PublishJob:
    job = _jobs().get(token)
    if job is None:
        abort(404)
    return job


def _revision(number: int) -> Revision:
    if number == PACKAGE_REVISION:  # the package as shipped, to roll back to
        return Revision(
            PACKAGE_REVISION,
            None,
            dt.datetime.fromtimestamp(0, dt.UTC),
            _("The package as shipped, without any change made here"),
            Overlay(),
            (),
        )
    try:
        return runtime().site.revision(number)
    except KeyError:
        abort(404)


def _active_number() -> int:
    active = runtime().site.active()
    return active.number if active else 0


def _check_base(base: str) -> None:
    if base != str(_active_number()):
        raise Refused(_("The configuration was published meanwhile: review the new impact."))


def _fingerprint(overlay: Overlay) -> str:
    return hashlib.sha256(overlay.to_yaml().encode("utf-8")).hexdigest()[:16]


def _message_error(message: str, *, required: bool) -> str | None:
    if required and not message:
        return _("Say what this change is for: the message is kept with the revision.")
    if len(message) > MESSAGE_MAX:
        return _("Keep the message under %(max)s characters.", max=MESSAGE_MAX)
    return None


def _start(
    kind: str,
    work: Callable[[Progress], dict[str, Any]],
    check: Callable[[], None],
    again: Callable[..., Any],
    **details: Any,
) -> Any:
    """Start the job once `check` passes and show its page; when `check` refuses,
    `again(alert=…, status=…)` shows the form again, as the site is now."""
    try:
        job = _jobs().start(
            kind, current_user().id, work, _thread_context(), check=check, **details
        )
    except Busy as busy:
        if busy.job is not None:
            return redirect(url_for("admin_config.job_page", token=busy.job.token), 303)
        return error_page(409, _("A publish is running; wait for it to end."))
    except Refused as refused:
        return again(alert=str(refused), status=refused.status)
    job.wait(QUICK_SECONDS)
    return redirect(url_for("admin_config.job_page", token=job.token), 303)


def _outcome(act: Callable[[], Revision]) -> dict[str, Any]:
    """Run `act` (a publish or rollback); what the job page shows once it is done: the
    revision, and per grading how many records its re-grade moved between which grades."""
    history = runtime().tables.system(GRADE_TABLE)
    with runtime().db.read() as conn:  # the rows the publish writes come after this id
        mark = conn.execute(sa.select(sa.func.coalesce(sa.func.max(history.c.id), 0))).scalar()
    revision = act()
    with runtime().db.read() as conn:
        rows = conn.execute(
            sa.select(history.c.grading, history.c.old_grade, history.c.new_grade, sa.func.count())
            .where(
                history.c.id > mark,
                history.c.cause == revision_cause(revision.number),
                history.c.old_grade.is_distinct_from(history.c.new_grade),
            )
            .group_by(history.c.grading, history.c.old_grade, history.c.new_grade)
        ).all()
    regraded: dict[str, dict[str, Any]] = {}
    for grading, old, new, count in rows:
        line = regraded.setdefault(grading, {"grading": grading, "changed": 0, "moves": []})
        line["changed"] += count
        line["moves"].append({"old": old, "new": new, "count": count})
    return {
        "revision": revision.number,
        "message": revision.message,
        "regraded": list(regraded.values()),
    }


def _thread_context() -> Callable[[], ExitStack]:
    """What the job runs inside: this app, in this request's language."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    language = str(get_locale() or "en")

    def enter() -> ExitStack:
        stack = ExitStack()
        stack.enter_context(app.app_context())
        stack.enter_context(force_locale(language))
        return stack

    return enter


def _download(content: str, name: str) -> Response:
    return Response(
        content,
        mimetype="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _job_context(job: PublishJob) -> dict[str, Any]:
    return {
        "status_url": url_for("admin_config.job_status", token=job.token),
        "page_url": url_for("admin_config.job_page", token=job.token),
        "failure": failure_text(job.state) if job.phase == "failed" else "",
        "stale": job.stale,
        "step_text": step_text(job.state.get("step") or "", _grading_label, _entity_label),
        "grading_label": _grading_label,
    }


def _grading_label(name: str) -> str:
    grading = model().gradings.get(name)
    return text(grading.label, name) if grading else name


def _entity_label(name: str) -> str:
    entity = model().entities.get(name)
    return text(entity.plural_label or entity.label, name) if entity else name


def _preview_page(
    message: str = "", error: str | None = None, alert: str | None = None, status: int = 200
) -> Any:
    site = runtime().site
    draft = site.draft()
    impact = preview_impact(runtime(), site.candidate(draft))
    return render_template(
        "admin/publish.html",
        impact=impact,
        views=_impact_view(impact),
        unchanged=_same(draft, site.active()),
        base=_active_number(),
        draft=_fingerprint(draft),
        message=message,
        error=error,
        alert=alert,
        running=_jobs().running(),
        site_status=site.status,
    ), status


def _rollback_page(
    revision: Revision,
    message: str = "",
    error: str | None = None,
    alert: str | None = None,
    status: int = 200,
) -> Any:
    impact = preview_impact(runtime(), runtime().site.candidate(revision.overlay))
    active = _active_number()
    return render_template(
        "admin/revisions_rollback.html",
        revision=revision,
        impact=impact,
        views=_impact_view(impact),
        unchanged=revision.number == active,
        base=active,
        message=message,
        error=error,
        alert=alert,
        running=_jobs().running(),
    ), status


def _same(draft: Overlay, active: Revision | None) -> bool:
    return draft == (active.overlay if active else Overlay())


def _impact_view(impact: Impact) -> dict[str, Any]:
    """What the impact templates show beyond the impact itself: labels from the config."""
    app = impact.candidate.app or model()
    return {
        "grading_lines": {g.grading.name: _moves(app, g) for g in impact.gradings},
        "entity_label": lambda name: _entity_label(app, name),
        "field_label": lambda table, column: _field_label(app, table, column),
        "score": lambda value: "—" if value is None else format_decimal(value, "#,##0.##"),
        "count": format_decimal,
    }


def _moves(app: App, impact: GradingImpact) -> list[str]:
    """One line per pair of grades records move between: "<n> <entities> move <old> → <new>"."""
    entity = app.entities.get(impact.entity) or model().entities.get(impact.entity)
    one = text(entity.label, entity.name) if entity else impact.entity
    many = text(entity.plural_label, one) if entity and entity.plural_label else one
    return [
        ngettext(
            "%(num)s %(label)s moves %(old)s → %(new)s",
            "%(num)s %(label)s move %(old)s → %(new)s",
            count,
            label=one if count == 1 else many,
            old=old or "—",
            new=new,
        )
        for old, new, count in impact.moves()
    ]


def _entity_label(app: App, name: str) -> str:
    entity = app.entities.get(name) or model().entities.get(name)
    return text(entity.label, name) if entity else name


def _field_label(app: App, table: str, column: str) -> str:
    for source in (app, model()):
        entity = source.entities.get(table)
        if entity is not None and column in entity.fields:
            return text(entity.fields[column].label, column)
    return column
