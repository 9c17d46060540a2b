"""Import and export pages of an entity.

    GET  /r/<entity>/import                       choose a file
    POST /r/<entity>/import                       upload it; columns are matched to fields
    GET  /r/<entity>/import/<job>                 the mapping, the check's report, the result
    POST /r/<entity>/import/<job>/check           keep the mapping, dry-run every row
    POST /r/<entity>/import/<job>/run             write (optionally leaving bad rows out)
    GET  /r/<entity>/import/<job>/status          the progress partial htmx polls
    GET  /r/<entity>/import/<job>/errors.<fmt>    the bad rows, to fix and upload again
    GET  /r/<entity>/export.<fmt>?<list URL>      the list as the user sees it, as a file

Checks and imports run in a background thread (see `transfer.jobs`) so a large file shows
its progress; everything goes through the record service as the signed-in user, so the
import permission, create and update scopes, hidden and read-only fields all apply. A file
that cannot be read or a mapping with problems is shown on the page with a 400, never a 500.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from ...metamodel.model import Entity, Field
from ...transfer import mapping as mapping_rules
from ...transfer.export import export_fields, export_rows
from ...transfer.jobs import Job, JobStore
from ...transfer.pipeline import Importer
from ...transfer.report import report_header, report_rows
from ...transfer.sources import FileProblem, Source, open_source
from ...transfer.writers import FORMATS, MEDIA_TYPES, csv_chunks, write_file, xlsx_file
from ..context import (
    actor,
    entity_or_404,
    hidden_fields,
    readonly_fields,
    runtime,
    service,
    text,
)
from ..messages import translate_error
from . import records
from .list_page import open_list
from .pages import display_for

SHOWN_ERRORS = 100
SAMPLE_ROWS = 3


def _jobs() -> JobStore:
    return JobStore(runtime().settings.instance / "imports")


def _importing(name: str) -> Entity:
    entity = entity_or_404(name)
    service().policy.check(actor(), "import", entity)
    return entity


def _job(entity: Entity, token: str) -> Job:
    user = actor()
    job = _jobs().get(token, entity.name, user.id if user else 0)
    if job is None:
        abort(404)
    return job


def _label(field: Field) -> str:
    return text(field.label, field.name)


def _targets(entity: Entity) -> dict[str, mapping_rules.Target]:
    return mapping_rules.targets(
        entity, hidden_fields(entity), readonly_fields(entity), _label, _("Record number")
    )


@records.get("/<entity>/import")
def import_start(entity: str) -> str:
    return _upload_page(_importing(entity))


@records.post("/<entity>/import")
def import_upload(entity: str) -> Any:
    ent = _importing(entity)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _upload_page(ent, _("Choose a CSV or Excel (.xlsx) file."), 400)
    user = actor()
    job = _jobs().create(upload.stream, upload.filename, ent.name, user.id if user else 0)
    try:
        source = open_source(job.source_path)
    except FileProblem as problem:
        _jobs().remove(job)
        return _upload_page(ent, str(problem), 400)
    guessed = mapping_rules.guess(ent, source.columns, _targets(ent))
    job.save(mapping={"fields": guessed, "key": None})
    return redirect(url_for("records.import_job", entity=ent.name, token=job.token), 303)


@records.get("/<entity>/import/<token>")
def import_job(entity: str, token: str) -> Any:
    ent = _importing(entity)
    return _job_page(ent, _job(ent, token))


@records.post("/<entity>/import/<token>/check")
def import_check(entity: str, token: str) -> Any:
    ent = _importing(entity)
    job = _job(ent, token)
    if job.running:
        abort(409)
    source = _source(job)
    fields = {c: request.form.get(f"map-{i}", "") for i, c in enumerate(source.columns)}
    key = request.form.get("key", "") or None
    columns = mapping_rules.check(source.columns, fields, key, _targets(ent))
    job.save(mapping={"fields": {c: f for c, f in fields.items() if f}, "key": key})
    return _start(ent, job, source, columns, "checking", dry_run=True)


@records.post("/<entity>/import/<token>/run")
def import_run(entity: str, token: str) -> Any:
    ent = _importing(entity)
    job = _job(ent, token)
    result = job.state.get("result") or {}
    ready = job.phase == "checked" or job.stale or job.phase == "failed"
    if not ready or not job.state.get("mapping"):
        abort(409)
    skip = request.form.get("skip_invalid") == "1"
    if result.get("bad_rows") and not skip:
        return _job_page(
            ent,
            job,
            problems=(_("Some rows have problems: fix them, or choose to leave them out."),),
            status=400,
        )
    source = _source(job)
    saved = job.state["mapping"]
    columns = mapping_rules.check(source.columns, saved["fields"], saved["key"], _targets(ent))
    return _start(ent, job, source, columns, "importing", skip_invalid=skip)


def _start(
    ent: Entity,
    job: Job,
    source: Source,
    columns: mapping_rules.ColumnMap,
    phase: str,
    **options: Any,
) -> Any:
    """Run the import (or its check) in the background and show its page; a mapping that no
    longer fits the file is shown instead (400)."""
    if columns.problems:
        return _job_page(ent, job, problems=columns.problems, status=400)
    importer = _importer(ent, source, columns)
    job.start(
        phase,
        lambda progress: importer.run(source, progress=progress, **options),
        _thread_context(),
    )
    return redirect(url_for("records.import_job", entity=ent.name, token=job.token), 303)


@records.get("/<entity>/import/<token>/status")
def import_status(entity: str, token: str) -> Any:
    ent = _importing(entity)
    job = _job(ent, token)
    if not job.running:  # finished: htmx loads the whole page's report instead
        url = url_for("records.import_job", entity=ent.name, token=job.token)
        if request.headers.get("HX-Request"):
            return Response(status=204, headers={"HX-Redirect": url})
        return redirect(url, 303)
    # Only what the partial shows: polled every second, it must not read the file.
    status_url = url_for("records.import_status", entity=ent.name, token=job.token)
    page_url = url_for("records.import_job", entity=ent.name, token=job.token)
    return render_template(
        "records/_import_status.html", job=job, status_url=status_url, page_url=page_url
    )


@records.get("/<entity>/import/<token>/errors.<fmt>")
def import_errors(entity: str, token: str, fmt: str) -> Any:
    ent = _importing(entity)
    job = _job(ent, token)
    if fmt not in FORMATS:
        abort(404)
    source = _source(job)
    handle = tempfile.NamedTemporaryFile(suffix=f".{fmt}")  # noqa: SIM115 (send_file closes it)
    write_file(Path(handle.name), fmt, report_header(source), report_rows(source, job.errors()))
    handle.seek(0)
    stem = Path(job.state["filename"]).stem or ent.name
    return send_file(
        handle,
        mimetype=MEDIA_TYPES[fmt],
        as_attachment=True,
        download_name=_("%(name)s-errors", name=stem) + f".{fmt}",
    )


@records.get("/<entity>/export.<fmt>")
def export(entity: str, fmt: str) -> Any:
    if fmt not in FORMATS:
        abort(404)
    ent, params = open_list(entity)
    if params.problems:
        abort(400)
    columns = export_fields(ent, hidden_fields(ent))
    rows = export_rows(service(), ent, actor(), columns, params.query(), display_for)
    header = [_label(f) for f in columns]
    name = f"{ent.name}-{dt.date.today().isoformat()}.{fmt}"
    if fmt == "xlsx":
        return send_file(
            xlsx_file(header, rows),
            mimetype=MEDIA_TYPES[fmt],
            as_attachment=True,
            download_name=name,
        )
    return Response(
        stream_with_context(csv_chunks(header, rows)),
        mimetype=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- helpers -------------------------------------------------------------------------------
def _source(job: Job) -> Source:
    try:
        return open_source(job.source_path)
    except FileProblem:  # it was readable when uploaded; gone or changed since
        abort(404)


def _importer(ent: Entity, source: Source, columns: mapping_rules.ColumnMap) -> Importer:
    return Importer(
        service(),
        ent,
        actor(),
        source.columns,
        columns,
        zone=runtime().settings.timezone,
        translate=lambda message: translate_error(ent, message),
        label=_label,
    )


def _thread_context() -> Any:
    """What a background job runs inside: this app, in this request's language."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    language = str(get_locale() or "en")

    def enter() -> ExitStack:
        stack = ExitStack()
        stack.enter_context(app.app_context())
        stack.enter_context(force_locale(language))
        return stack

    return enter


def _upload_page(ent: Entity, problem: str | None = None, status: int = 200) -> Any:
    return render_template(
        "records/import.html", entity=ent, step="upload", problems=(problem,) if problem else ()
    ), status


def _job_page(ent: Entity, job: Job, problems: tuple[str, ...] = (), status: int = 200) -> Any:
    return render_template("records/import.html", **_context(ent, job), problems=problems), status


def _context(ent: Entity, job: Job) -> dict[str, Any]:
    targets = _targets(ent)
    source = _source(job)
    saved = job.state.get("mapping") or {"fields": {}, "key": None}
    samples: list[list[Any]] = []
    if job.phase in ("uploaded", "failed") or not job.state.get("result"):
        for row in source.rows():
            samples.append(list(row.cells))
            if len(samples) >= SAMPLE_ROWS:
                break
    errors = job.errors() if job.phase in ("checked", "imported") else []
    base = {"entity": ent.name, "token": job.token}
    return {
        "entity": ent,
        "job": job,
        "step": _step(job),
        "columns": source.columns,
        "samples": samples,
        "targets": list(targets.values()),
        "keys": [t for t in targets.values() if t.key],
        "chosen": saved["fields"],
        "key": saved["key"],
        "result": job.state.get("result"),
        "errors": errors[:SHOWN_ERRORS],
        "error_count": len(errors),
        "status_url": url_for("records.import_status", **base),
        "check_url": url_for("records.import_check", **base),
        "run_url": url_for("records.import_run", **base),
        "page_url": url_for("records.import_job", **base),
        "report_urls": {f: url_for("records.import_errors", fmt=f, **base) for f in FORMATS},
        "list_url": url_for("records.list_view", entity=ent.name),
        "restart_url": url_for("records.import_start", entity=ent.name),
    }


def _step(job: Job) -> str:
    if job.running:
        return "running"
    if job.phase == "checked":
        return "checked"
    if job.phase == "imported":
        return "imported"
    return "mapping"  # uploaded, failed, or interrupted: choose and check again
