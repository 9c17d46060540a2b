"""One field in the admin: its labels, rules, type settings, options, and where it shows.

    GET|POST /admin/config/entities/<entity>/fields/<field>         the field's editor
    POST     /admin/config/entities/<entity>/fields/<field>/hide    off every list and form
    POST     /admin/config/entities/<entity>/fields/<field>/remove  the field removed

Hiding keeps the field and its data but takes it off the list columns, filters, search, sort
and form sections. Removing takes the field out of the config (and those layouts): schema
sync archives its column on publish, so a rollback, or resetting the removal, restores the
field with its data.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...metamodel.fieldtypes import FieldType
from ...overlay.paths import MISSING, item_step, join_path
from ..context import model
from . import bp, drafting, listops
from .drafting import Draft, Edit
from .editor import FormError, Page, handle
from .edits import changes
from .entity_fields import entity_doc, read_default
from .field_settings import SettingInput, read_setting, setting_inputs
from .posted import Posted, put

FLAGS = ("required", "unique", "readonly", "searchable")
#: The formulas a field may have, and whether each gives the field's value (else true/false).
FORMULAS = (
    ("formula", True),
    ("default_formula", True),
    ("visible_when", False),
    ("required_when", False),
    ("readonly_when", False),
)
NEW_OPTION = "__new_option"


@bp.route("/entities/<entity>/fields/<field>", methods=["GET", "POST"])
def field(entity: str, field: str) -> Page:
    draft = drafting.current()
    entity_doc(draft, entity)
    base = field_path(entity, field)
    if not isinstance(draft.value(base), dict):
        abort(404)
    return handle(
        "admin/field.html",
        "admin/_field_form.html",
        base,
        lambda d, posted: read(FieldView(d, entity, field), posted),
        lambda d: {"view": FieldView(d, entity, field)},
    )


@bp.post("/entities/<entity>/fields/<field>/hide")
def hide_field(entity: str, field: str) -> Response:
    draft = drafting.current()
    doc = entity_doc(draft, entity)
    if not isinstance(draft.value(field_path(entity, field)), dict):
        abort(404)
    drafting.apply(layout_without(entity, doc, field))
    flash(_("The field is off every list and form in the draft; its data is kept."))
    return redirect(url_for(".field", entity=entity, field=field), 303)


@bp.post("/entities/<entity>/fields/<field>/remove")
def remove_field(entity: str, field: str) -> Response:
    draft = drafting.current()
    doc = entity_doc(draft, entity)
    if not isinstance(draft.value(field_path(entity, field)), dict):
        abort(404)
    drafting.apply([*layout_without(entity, doc, field), Edit(field_path(entity, field))])
    flash(
        _(
            "The field is removed in the draft. On publish its column is archived with its "
            "data: reset the change, or roll back, to bring it back."
        )
    )
    return redirect(url_for(".fields", entity=entity), 303)


def field_path(entity: str, field: str) -> str:
    return join_path("entities", entity, "fields", field)


def layout_without(entity: str, doc: dict[str, Any], field: str) -> list[Edit]:
    """Edits that take `field` off the entity's list (columns, filters, search, sort, board)
    and form sections."""
    base = join_path("entities", entity)
    edits: list[Edit] = []
    listing = doc.get("list") if isinstance(doc.get("list"), dict) else {}
    for key in ("columns", "filters", "search"):
        names = listing.get(key)
        if isinstance(names, list) and field in names:
            edits.append(Edit(f"{base}/list/{key}", [n for n in names if n != field]))
    sort = listing.get("sort")
    if isinstance(sort, str) and sort.lstrip("-") == field:
        edits.append(Edit(f"{base}/list/sort"))
    elif isinstance(sort, list) and any(str(s).lstrip("-") == field for s in sort):
        edits.append(Edit(f"{base}/list/sort", [s for s in sort if str(s).lstrip("-") != field]))
    if listing.get("board") == field:
        edits.append(Edit(f"{base}/list/board"))
    sections = (doc.get("form") or {}).get("sections")
    for index, section in enumerate(sections if isinstance(sections, list) else ()):
        names = section.get("fields") if isinstance(section, dict) else None
        if isinstance(names, list) and field in names:
            edits.append(
                Edit(f"{base}/form/sections/{index}/fields", [n for n in names if n != field])
            )
    return edits


class FieldView:
    """What the editor shows of one field, with the paths its inputs edit."""

    def __init__(self, draft: Draft, entity: str, name: str) -> None:
        self.draft = draft
        self.entity = entity
        self.name = name
        self.base = field_path(entity, name)
        self.doc: dict[str, Any] = draft.value(self.base)
        self.entity_doc: dict[str, Any] = draft.value(join_path("entities", entity))
        self.kind: FieldType | None = model().types.get(str(self.doc.get("type", "")))

    def path(self, key: str) -> str:
        return f"{self.base}/{key}"

    @property
    def types(self) -> list[tuple[str, str]]:
        return [(k.name, k.name) for k in sorted(model().types, key=lambda k: k.name)]

    @property
    def settings(self) -> list[SettingInput]:
        if self.kind is None:
            return []
        return setting_inputs(self.kind, self.draft.document.get("entities") or {}, self.entity)

    @property
    def formulas(self) -> list[tuple[str, str | None]]:
        """(key, the type it must give) of the field's formulas."""
        value_type = self.kind.value_type if self.kind is not None else None
        return [(key, value_type if gives_value else "bool") for key, gives_value in FORMULAS]

    def options(self) -> list[tuple[str, int, str, dict[str, Any]]]:
        """(path, index, value, option as a mapping) of each option."""
        items = self.doc.get("options")
        if not isinstance(items, list):
            return []
        rows = []
        for index, item in enumerate(items):
            option = item if isinstance(item, dict) else {"value": item}
            path = f"{self.base}/options/{join_path(item_step(items, index))}"
            rows.append((path, index, str(option.get("value", "")), option))
        return rows

    @property
    def option_values(self) -> list[str]:
        return [value for _p, _i, value, _o in self.options()]

    def placement(self) -> dict[str, Any]:
        """Where the field shows: its form section's label, the list parts that name it."""
        listing = (
            self.entity_doc.get("list") if isinstance(self.entity_doc.get("list"), dict) else {}
        )
        sections = (self.entity_doc.get("form") or {}).get("sections")
        section = None
        if isinstance(sections, list):
            for index, s in enumerate(sections):
                if isinstance(s, dict) and self.name in (s.get("fields") or ()):
                    section = (index, s.get("label"))
        sort = listing.get("sort")
        sort_names = [sort] if isinstance(sort, str) else sort if isinstance(sort, list) else []
        return {
            "has_sections": isinstance(sections, list),
            "section": section,
            "columns": self.name in (listing.get("columns") or ()),
            "filters": self.name in (listing.get("filters") or ()),
            "search": self.name in (listing.get("search") or ()),
            "sort": any(str(s).lstrip("-") == self.name for s in sort_names),
        }


def read(view: FieldView, posted: Posted) -> list[Edit]:
    old = view.doc
    new = copy.deepcopy(old)
    locales = view.draft.locales
    for key in ("label", "help"):
        put(new, key, posted.label(view.path(key), old.get(key, MISSING), locales))
    for key in FLAGS:
        put(new, key, posted.flag(view.path(key), old.get(key, MISSING)))
    put(
        new,
        "type",
        posted.choice(view.path("type"), old.get("type", MISSING), model().types.names()),
    )
    if view.kind is not None:
        put(
            new,
            "default",
            read_default(posted, view.path("default"), view.kind, old.get("default", MISSING)),
        )
    for setting in view.settings:
        current = old.get(setting.key, MISSING)
        put(new, setting.key, read_setting(posted, view.path(setting.key), setting, current))
    for key, _expect in view.formulas:
        put(new, key, posted.formula(view.path(key), old.get(key, MISSING)))
    read_options(view, posted, new, locales)
    op = listops.parse(posted.raw("op"))
    if op is not None:
        if op.list != "options":
            abort(400)
        if op.verb == "add":
            new.setdefault("options", [])
        listops.apply(op, new, lambda items: _new_option(posted, items, locales))
    return changes(view.base, old, new)


def read_options(view: FieldView, posted: Posted, new: dict[str, Any], locales: list[str]) -> None:
    for path, index, value, option in view.options():
        label = posted.label(f"{path}/label", option.get("label", MISSING), locales)
        colour = posted.text(f"{path}/color", option.get("color", MISSING))
        updated = {"value": value, **{k: v for k, v in option.items() if k != "value"}}
        put(updated, "label", label)
        put(updated, "color", colour)
        original = new["options"][index]
        if isinstance(original, dict) or set(updated) != {"value"}:
            new["options"][index] = updated


def _new_option(posted: Posted, items: list[Any], locales: list[str]) -> Any:
    value = posted.raw(f"{NEW_OPTION}/value").strip()
    existing = {str(i.get("value") if isinstance(i, dict) else i) for i in items}
    if not value:
        raise FormError({f"{NEW_OPTION}/value": _("Give the value the new option stores.")})
    if value in existing:
        raise FormError(
            {f"{NEW_OPTION}/value": _("There is an option %(value)s already.", value=value)}
        )
    option: dict[str, Any] = {"value": value}
    put(option, "label", posted.label(f"{NEW_OPTION}/label", MISSING, locales))
    put(option, "color", posted.text(f"{NEW_OPTION}/color"))
    return option if len(option) > 1 else value
