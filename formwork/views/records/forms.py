"""The generated create and edit forms of every entity, with live checks over htmx.

    GET|POST /r/<entity>/new               the create form; 303 to the record when saved
    GET|POST /r/<entity>/<id>/edit         the edit form (carries the version it was opened at)
    POST     /r/<entity>/form-state        live state: errors of touched inputs, conditional
                                           fields, computed values and grades (OOB swaps)
    GET      /r/<entity>/form-row/<table>  a blank row of a child table
    GET      /r/<target>/lookup?q=         the link picker's matches (see form_lookup)

Everything goes through the record service with the signed-in user: a create or update with
`dry_run` checks a form without saving it, so the live checks and the real save judge the
input the same way. Refused input comes back as the form with the errors by its fields (422);
a version conflict shows both versions side by side (409). The forms work without JS.
"""

from __future__ import annotations

import json
from typing import Any

import marshmallow as ma
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ...metamodel.model import Entity, Field
from ...store.errors import RECORD_KEY, Conflict, RecordError, ValidationFailed
from ...store.form_state import FormState, evaluate, typed_values
from ...store.record import Record
from ..context import actor, entity_or_404, model, service
from ..display import Display
from . import form_lookup, records
from .form_conflict import differences, fingerprints, take_theirs
from .form_input import PostedForm, cell_key, form_values, read_form
from .form_view import ADD_ROW, ORIGINAL, RECORD, TOUCHED, VERSION, RecordForm, dom_id
from .pages import display_for

#: Flashed after a save; their texts live in `_messages.html`.
CREATED, SAVED = "record_created", "record_saved"

Page = str | tuple[str, int] | Response


# -- routes -----------------------------------------------------------------------------------
@records.route("/<entity>/new", methods=["GET", "POST"])
def new(entity: str) -> Page:
    ent = entity_or_404(entity)
    service().policy.check(actor(), "create", ent)
    form = RecordForm(ent, None, MultiDict(), _display([], []))
    if request.method == "GET":
        defaults = {f.name: f.default for f in ent.fields.values() if f.default is not None}
        defaults |= _prefilled(form.editable_fields())
        form.values = form_values(model(), form.shown_fields(), defaults, form.zone)
        form.state = evaluate(service(), ent, typed_values(ent, defaults))
        return _page(form)
    form.values = _posted_values()
    return _submit(form)


def _prefilled(fields: list[Field]) -> dict[str, Any]:
    """Values given in the URL (`/r/task/new?project=12`, from a related list's "New"),
    for fields the user may fill in; a value that does not convert is left out."""
    values = {}
    for field in fields:
        raw = request.args.getlist(field.name)
        if not raw or field.type in ("table", "attachment"):
            continue
        try:
            value = field.kind.input_field(field).deserialize(raw if len(raw) > 1 else raw[0])
        except ma.ValidationError:
            continue
        if value is not None:
            values[field.name] = value
    return values


@records.route("/<entity>/<int:id>/edit", methods=["GET", "POST"])
def edit(entity: str, id: int) -> Page:
    ent = entity_or_404(entity)
    record = _writable(ent, id)
    form = _edit_form(ent, record)
    if request.method == "GET":
        form.values = form_values(model(), form.shown_fields(), record.values, form.zone)
        form.original = fingerprints(model(), form.editable_fields(), record.values)
        form.show = _display_of(form)
        return _page(form)
    form.values = _posted_values()
    form.original = _original(form.values)
    return _submit(form)


@records.post("/<entity>/form-state")
def form_state(entity: str) -> str:
    """The live state of a form being filled in, as out-of-band swaps of its parts."""
    ent = entity_or_404(entity)
    record_id = request.form.get(RECORD, "")
    if record_id:
        form = _edit_form(ent, service().get(entity, record_id, actor()))
    else:
        service().policy.check(actor(), "create", ent)
        form = RecordForm(ent, None, MultiDict(), _display([], []))
    form.values = _posted_values()
    posted = _read(form, with_files=False)
    _check(form, posted, dry_run=True, live=True)
    touched = set(request.form.get(TOUCHED, "").split())
    form.errors = {
        k: v for k, v in form.errors.items() if k in touched or (k == RECORD_KEY and touched)
    }
    form.show = _display_of(form)
    return render_template("records/_form_state.html", form=form)


@records.get("/<entity>/form-row/<table>")
def form_row(entity: str, table: str) -> str:
    """A blank row for a child table, and the index the next one will take."""
    ent = entity_or_404(entity)
    field = ent.fields.get(table)
    if field is None or field.kind.widget != "table":
        abort(404)
    raw = request.args.get("index") or request.args.get(f"{table}__next", "")
    index = int(raw) if raw.isdigit() and len(raw) <= 4 else 0
    form = RecordForm(ent, None, MultiDict(), _display([], []))
    form.values = MultiDict({cell_key(table, index, "id"): ""})
    return render_template(
        "records/_form_row.html", form=form, table=field, index=index, new_row=True
    )


# -- building forms ---------------------------------------------------------------------------
def _writable(ent: Entity, id: int) -> Record:
    """The record, if the user may change it: 404 when they cannot see it, 403 when they
    may only read it (a dry-run update with nothing in it runs the service's own checks)."""
    record = service().get(ent.name, id, actor())
    service().update(ent.name, id, {}, record.version, actor(), dry_run=True)
    return record


def _edit_form(ent: Entity, record: Record) -> RecordForm:
    stored = evaluate(service(), ent, {}, record.id)
    return RecordForm(
        ent,
        record,
        MultiDict(),
        _display([], []),
        state=stored,
        stored_locked=stored.readonly,
        version=record.version,
    )


def _posted_values() -> MultiDict[str, str]:
    return MultiDict(list(request.form.items(multi=True)))


def _original(values: MultiDict[str, str]) -> dict[str, str]:
    try:
        loaded = json.loads(values.get(ORIGINAL, "") or "{}")
    except ValueError:
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {str(k): str(v) for k, v in loaded.items()}


def _read(form: RecordForm, with_files: bool = True) -> PostedForm:
    files = request.files if with_files else MultiDict()
    return read_form(model(), form.entity, form.editable_fields(), form.values, files, form.zone)


def _display(fields: list[Field], rows: list[dict[str, Any]]) -> Display:
    return display_for(fields, rows)


def _display_of(form: RecordForm) -> Display:
    """A Display knowing the titles of every record the form links to (its inputs, the
    stored record and the conflicting values)."""
    links: list[Field] = []
    rows: list[dict[str, Any]] = []
    for f in form.shown_fields():
        if f.kind.widget == "table":
            columns = [c for c in form.columns(f) if c.kind.widget == "link"]
            for index in form.rows(f):
                rows.append(
                    _ids({c.name: form.one(cell_key(f.name, index, c.name)) for c in columns})
                )
            links.extend(columns)
        elif f.type == "link":
            links.append(f)
            rows.append(_ids({f.name: form.one(f.name)}))
    if form.record is not None:
        rows.append(dict(form.record.values))
        for f in form.shown_fields():
            if f.kind.widget == "table":
                rows.extend(dict(row) for row in form.record.get(f.name) or ())
    return display_for(links, rows)


def _ids(values: dict[str, str]) -> dict[str, Any]:
    return {k: int(v) for k, v in values.items() if v.isdigit() and len(v) < 19}


def _page(form: RecordForm, status: int = 200) -> tuple[str, int]:
    form.show = _display_of(form)
    return render_template("records/form.html", form=form), status


# -- saving -----------------------------------------------------------------------------------
def _submit(form: RecordForm) -> Page:
    table = form.values.get(ADD_ROW)
    if table:
        _add_row(form, table)
        form.state = _state(form, _read(form, with_files=False))
        return _page(form)
    posted = _read(form)
    _resolve_links(form, posted)
    saved = _check(form, posted, dry_run=bool(form.errors))
    if saved is not None:
        flash(CREATED if form.record is None else SAVED)
        return redirect(url_for("records.detail", entity=form.entity.name, id=saved.id), 303)
    status = 409 if form.conflict else 422
    if form.record is not None:
        form.record = service().get(form.entity.name, form.record.id, actor())
    return _page(form, status)


def _add_row(form: RecordForm, table: str) -> None:
    field = form.entity.fields.get(table)
    if field is None or field.kind.widget != "table" or not form.is_editable(field):
        return
    form.values.add(cell_key(table, form.next_row(field), "id"), "")


def _state(form: RecordForm, posted: PostedForm) -> FormState:
    record_id = form.record.id if form.record is not None else None
    return evaluate(service(), form.entity, typed_values(form.entity, posted.data), record_id)


def _check(
    form: RecordForm, posted: PostedForm, dry_run: bool, live: bool = False
) -> Record | None:
    """Create or update with the posted input (or only check it, with `dry_run`); errors,
    a conflict and the live state end up on `form`. The saved record when it was saved.

    A live check notes a conflict at the top; a save shows the conflicting values."""
    form.state = _state(form, posted)
    data = {k: v for k, v in posted.data.items() if k not in form.state.hidden}
    if form.record is not None:
        for name in take_theirs(form.values):
            data.pop(name, None)
    if live:  # live checks never upload
        data = {
            k: v
            for k, v in data.items()
            if k not in form.entity.fields or form.entity.fields[k].kind.widget != "file"
        }
    try:
        if form.record is None:
            saved = service().create(form.entity.name, data, actor(), dry_run=dry_run)
        else:
            version = form.values.get(VERSION, "")
            saved = service().update(
                form.entity.name, form.record.id, data, version, actor(), dry_run=dry_run
            )
    except ValidationFailed as exc:
        own = set(form.errors)  # a link typed as text says itself why it is empty
        for key, texts in posted.form_errors(exc.errors).items():
            if key not in own:
                form.errors.setdefault(key, []).extend(texts)
        return None
    except Conflict as exc:
        if live:
            form.errors.setdefault(RECORD_KEY, []).append(
                _("Someone else has changed this record since you opened it.")
            )
        else:
            _conflict(form, posted, exc)
        return None
    if dry_run:
        form.state = _preview(form.state, saved)
        return None
    return saved


def _preview(state: FormState, record: Record) -> FormState:
    """The state with derived values as the dry run computed them (they see child rows)."""
    computed = {k: record.values.get(k, v) for k, v in state.computed.items()}
    return FormState(state.hidden, state.required, state.readonly, computed, state.grades)


def _conflict(form: RecordForm, posted: PostedForm, exc: Conflict) -> None:
    """Show the values that differ, and move the form to the record's new version."""
    fields = form.editable_fields()
    form.show = _display_of(form)
    form.show.titles.load(fields, [exc.current, _ids_of(fields, posted.data)])
    form.conflict = differences(model(), fields, posted.data, exc.current, form.original, form.show)
    form.version = exc.actual_version
    form.values.setlist(VERSION, [str(exc.actual_version)])
    form.original = fingerprints(model(), fields, exc.current)


def _ids_of(fields: list[Field], data: dict[str, Any]) -> dict[str, Any]:
    links = {f.name for f in fields if f.type == "link"}
    return {k: int(v) for k, v in data.items() if k in links and str(v).isdigit()}


def _resolve_links(form: RecordForm, posted: PostedForm) -> None:
    """Links typed as text (no JS): one match is taken, else the input says why not."""
    for pending in posted.pending:
        try:
            matches = form_lookup.find(pending.target, pending.text)
        except RecordError:
            matches = []
        exact = [m for m in matches if m.title == pending.text]
        if len(matches) == 1 or len(exact) == 1:
            posted.resolve(pending.key, (exact or matches)[0].id)
        elif not matches:
            form.errors.setdefault(pending.key, []).append(
                _("Nothing matches “%(text)s”.", text=pending.text)
            )
        else:
            form.errors.setdefault(pending.key, []).append(
                _("Several records match “%(text)s”; pick one from the list.", text=pending.text)
            )


__all__ = ["dom_id", "edit", "form_row", "form_state", "new"]
