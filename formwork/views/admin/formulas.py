"""The formula editor's endpoints, used by every editor that edits a formula.

    GET       /admin/config/formula/check?entity=&expect=&input=<name>&<name>=<formula>
              the check as the admin types (htmx): the formula's type, or the error and a hint
    GET|POST  /admin/config/formula/evaluate?entity=&expect=&input=<name>
              the formula's value on the record picked in `<name>__record` (htmx: the result;
              a plain post, from a browser without JS: a page with it)

Neither changes anything. The formula is checked against the draft's model (the live model
while the draft has problems), so fields the draft adds can be used before publishing.
"""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for

from ...auth.session import safe_next
from ...metamodel.model import App
from ..context import actor, model, service
from ..records.form_lookup import find
from . import bp, drafting
from .formula_tools import check_source, evaluate, shown

MAX_NAME = 500


@bp.get("/formula/check")
def check_formula() -> str:
    entity, expect, source = _params()
    return render_template(
        "admin/_formula_check.html", check=check_source(draft_model(), entity, source, expect)
    )


@bp.route("/formula/evaluate", methods=["GET", "POST"])
def evaluate_formula() -> Any:
    entity, expect, source = _params()
    name = request.values.get("input", "")
    app = draft_model()
    if (
        entity not in app.entities
        or entity not in model().entities
        or model().entity(entity).child_of
    ):
        abort(404)
    record_id = _record_id(entity, name)
    result = None
    if record_id is not None:
        result = evaluate(app, entity, source, expect, record_id, service(), actor())
    values = {
        "result": result,
        "check": result.check if result else check_source(app, entity, source, expect),
        "picked": record_id is not None,
        "shown": shown,
    }
    if request.headers.get("HX-Request"):
        return render_template("admin/_formula_result.html", **values)
    back = safe_next(request.referrer, url_for("admin_config.overview"))
    return render_template(
        "admin/formula_result.html", source=source, back=back, draft=drafting.current(), **values
    )


def _params() -> tuple[str, str | None, str]:
    entity = request.values.get("entity", "")
    expect = request.values.get("expect") or None
    name = request.values.get("input", "")
    if not entity or len(name) > MAX_NAME:
        abort(400)
    source = request.values.get(name, "") if name else request.values.get("formula", "")
    return entity, expect, source


def _record_id(entity: str, name: str) -> int | None:
    """The picked record: the picker's id, else (without JS) the first match of the text."""
    raw = request.values.get(f"{name}__record", "").strip()
    if raw.isdigit() and len(raw) < 19:
        return int(raw)
    text = request.values.get(f"{name}__record__q", "").strip()
    if text:
        matches = find(entity, text, 1)
        return matches[0].id if matches else None
    return None


def draft_model() -> App:
    """The draft's model, or the running one while the draft has problems."""
    app: App | None = drafting.current().candidate.app
    return app if app is not None else model()
