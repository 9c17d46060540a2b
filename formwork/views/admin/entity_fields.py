"""An entity's fields in the admin: the list of them, and adding one of any registered type.

    GET   /admin/config/entities/<entity>/fields                 the fields, where each shows
    POST  /admin/config/entities/<entity>/fields/new             add a field (→ its editor)
    GET   /admin/config/entities/<entity>/fields/new-settings    the settings inputs of the
                                                                 type chosen (htmx)

A new field is one patch (`entities/<entity>/fields/<name>`), placed on the form section and
in the list columns the admin chose. Its type's settings and options can be given at once
or later in the field's editor; whatever the validator says about them shows there.
"""

from __future__ import annotations

import re
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...metamodel.fieldtypes import FieldType
from ...metamodel.model import SYSTEM_COLUMNS
from ...overlay.paths import MISSING, join_path
from ..context import model
from . import bp, drafting
from .drafting import Draft, Edit
from .field_settings import read_setting, setting_inputs
from .posted import Posted, put

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
NOT_ON_FORM = "none"


@bp.get("/entities/<entity>/fields")
def fields(entity: str) -> str:
    draft = drafting.current()
    doc = entity_doc(draft, entity)
    return render_template(
        "admin/fields.html", **_context(draft, entity, doc, {}, request.args.get("type", "text"))
    )


@bp.get("/entities/<entity>/fields/new-settings")
def new_field_settings(entity: str) -> str:
    draft = drafting.current()
    entity_doc(draft, entity)
    kind = _type(request.args.get("type", ""))
    if kind is None:
        abort(400)
    return render_template(
        "admin/_new_field_settings.html",
        kind=kind,
        settings=setting_inputs(kind, draft.document.get("entities") or {}, entity),
        values=request.args,
    )


@bp.post("/entities/<entity>/fields/new")
def add_field(entity: str) -> Response | tuple[str, int]:
    draft = drafting.current()
    doc = entity_doc(draft, entity)
    posted = Posted(request.form)
    errors, name, kind = _check_new(doc, posted)
    if errors or kind is None:
        page = render_template(
            "admin/fields.html", **_context(draft, entity, doc, errors, posted.raw("type"))
        )
        return page, 422
    drafting.apply(new_field_edits(draft, entity, doc, name, kind, posted))
    return redirect(url_for(".field", entity=entity, field=name), 303)


def entity_doc(draft: Draft, entity: str) -> dict[str, Any]:
    """The entity's document in the draft; 404 when the draft has no such entity."""
    doc = draft.value(join_path("entities", entity))
    if not isinstance(doc, dict):
        abort(404)
    return doc


def _type(name: str) -> FieldType | None:
    return model().types.get(name)


def _check_new(doc: dict[str, Any], posted: Posted) -> tuple[dict[str, str], str, FieldType | None]:
    errors: dict[str, str] = {}
    name = posted.raw("name").strip()
    declared = doc.get("fields") if isinstance(doc.get("fields"), dict) else {}
    if not NAME.match(name):
        errors["name"] = _(
            "Use lower_snake_case: a letter, then letters, digits or _ (at most 63)."
        )
    elif name in declared:
        errors["name"] = _("The entity already has a field named %(name)s.", name=name)
    elif name in SYSTEM_COLUMNS or name in ("parent_id", "position"):
        errors["name"] = _("%(name)s is a system column; pick another name.", name=name)
    kind = _type(posted.raw("type"))
    if kind is None:
        errors["type"] = _("Choose one of the field types.")
    return errors, name, kind


def new_field_edits(
    draft: Draft, entity: str, doc: dict[str, Any], name: str, kind: FieldType, posted: Posted
) -> list[Edit]:
    """The field's patch, and its place on the form and in the list."""
    base = join_path("entities", entity)
    field: dict[str, Any] = {"type": kind.name}
    put(field, "label", posted.label("label", MISSING, draft.locales))
    put(field, "required", posted.flag("required", MISSING))
    put(field, "default", read_default(posted, "default", kind, MISSING))
    if kind.has_options:
        options = [line.strip() for line in posted.raw("options").splitlines() if line.strip()]
        put(field, "options", list(dict.fromkeys(options)) or MISSING)
    for setting in setting_inputs(kind, draft.document.get("entities") or {}, entity):
        put(field, setting.key, read_setting(posted, f"setting/{setting.key}", setting, MISSING))
    edits = [Edit(f"{base}/fields/{join_path(name)}", field)]
    sections = (doc.get("form") or {}).get("sections")
    section = posted.raw("section")
    if isinstance(sections, list) and section.isdigit() and int(section) < len(sections):
        placed = sections[int(section)]
        if isinstance(placed, dict) and isinstance(placed.get("fields"), list):
            path = f"{base}/form/sections/{section}/fields"
            edits.append(Edit(path, [*placed["fields"], name]))
    columns = (doc.get("list") or {}).get("columns")
    if posted.flag("in_list", False) and isinstance(columns, list) and kind.stored:
        edits.append(Edit(f"{base}/list/columns", [*columns, name]))
    return edits


def read_default(posted: Posted, name: str, kind: FieldType, current: Any) -> Any:
    """A default value typed as text, read as the field type's formulas see its values."""
    if kind.value_type == "number":
        return posted.number(name, current)
    if kind.value_type == "bool":
        value = posted.text(name, current)
        return {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value
    if kind.value_type == "list":
        if not posted.has(name):
            return current
        items = [part.strip() for part in posted.raw(name).split(",") if part.strip()]
        return items or MISSING
    return posted.text(name, current)


def _context(
    draft: Draft, entity: str, doc: dict[str, Any], errors: dict[str, str], chosen: str
) -> dict[str, Any]:
    kind = _type(chosen) or _type("text")
    assert kind is not None
    return {
        "draft": draft,
        "entity": entity,
        "doc": doc,
        "rows": field_rows(doc),
        "types": sorted(model().types, key=lambda k: k.name),
        "chosen": kind,
        "settings": setting_inputs(kind, draft.document.get("entities") or {}, entity),
        "sections": _sections(doc),
        "errors": errors,
        "values": request.form if request.method == "POST" else {},
        "form_errors": {},
    }


def _sections(doc: dict[str, Any]) -> list[tuple[str, Any]]:
    sections = (doc.get("form") or {}).get("sections")
    if not isinstance(sections, list):
        return []
    return [
        (str(i), s.get("label") if isinstance(s, dict) else None) for i, s in enumerate(sections)
    ]


def field_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each field with where it shows: its form section and whether it is a list column."""
    declared = doc.get("fields") if isinstance(doc.get("fields"), dict) else {}
    sections = (doc.get("form") or {}).get("sections")
    columns = (doc.get("list") or {}).get("columns")
    placed: dict[str, Any] = {}
    if isinstance(sections, list):
        for section in sections:
            if isinstance(section, dict):
                for name in section.get("fields") or ():
                    placed[str(name)] = section.get("label") or ""
    rows = []
    for name, field in declared.items():
        field = field if isinstance(field, dict) else {}
        rows.append(
            {
                "name": name,
                "type": field.get("type", ""),
                "label": field.get("label"),
                "required": field.get("required") is True,
                "computed": "formula" in field,
                "on_form": name in placed if isinstance(sections, list) else True,
                "section": placed.get(name),
                "in_list": name in columns if isinstance(columns, list) else None,
            }
        )
    return rows
