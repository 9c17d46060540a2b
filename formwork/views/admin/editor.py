"""What every editor page does with a request: show, take a posted form, answer.

    GET            the page, from the draft's merged document
    POST           the form's edits (or a `reset` button's path) written into the draft;
                   htmx gets the form back (the partial the page includes), a plain post a
                   303 back to the page; either way 422 with the problems next to their
                   inputs when the part being edited has any.

Edits are saved even when the validator finds problems: the draft keeps what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from . import drafting
from .drafting import Draft, Edit
from .posted import Posted

Page = str | tuple[str, int] | Response
Reader = Callable[[Draft, Posted], list[Edit]]


class FormError(Exception):
    """Input that cannot become an edit at all (a new field's name already taken): nothing
    is saved, the form comes back with `errors` (input name → message) by its inputs."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def handle(
    template: str,
    partial: str,
    scope: str | tuple[str, ...],
    read: Reader,
    context: Callable[[Draft], dict[str, Any]] | None = None,
) -> Page:
    """Serve an editor whose inputs edit `scope` (one path or several) and below: `read`
    turns a post into edits, `context` gives the template what it shows of the draft."""
    scopes = (scope,) if isinstance(scope, str) else scope
    errors: dict[str, str] = {}
    if request.method == "POST":
        target = request.form.get("reset")
        if target is not None:
            valid = drafting.valid_path(target)
            if not valid or not any(drafting.under(target, top) for top in scopes):
                abort(400)
            drafting.reset([target])
        else:
            try:
                drafting.apply(read(drafting.current(), Posted(request.form)))
            except FormError as exc:
                errors = exc.errors
    draft = drafting.current()
    here = [p for top in scopes for p in draft.problems.at(top)]
    values = {"draft": draft, "scope_problems": here, "form_errors": errors}
    values |= context(draft) if context is not None else {}
    if request.method == "GET":
        return render_template(template, **values)
    status = 422 if here or errors else 200
    if request.headers.get("HX-Request"):
        return render_template(partial, **values), status
    if status == 422:
        return render_template(template, **values), 422
    flash(_("Saved in the draft."))
    return redirect(request.full_path.rstrip("?"), 303)
