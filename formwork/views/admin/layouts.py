"""An entity's list and form in the admin: columns, filters, search, sort, board, page size,
and the form's sections with their fields in order.

    GET|POST /admin/config/entities/<entity>/layout

Order is changed with up and down buttons; a field is added by choosing it from the list
beside each part (which adds it at once with JS, or with the Add button without). A list
that the package leaves to its default (the first columns) is written out the first time
the admin changes it.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import abort

from ...metamodel.fieldtypes import FieldType
from ...overlay.paths import MISSING, join_path
from ..context import model
from . import bp, drafting, listops
from .drafting import Draft, Edit
from .editor import Page, handle
from .edits import changes
from .entity_fields import entity_doc
from .formulas import draft_model
from .posted import Posted, put

#: The lists of names the list page has, in the order the page shows them.
NAME_LISTS = ("columns", "filters", "search")
ADD = "__add/"
SORT_DIRECTION = "__sort/"


@bp.route("/entities/<entity>/layout", methods=["GET", "POST"])
def layout(entity: str) -> Page:
    entity_doc(drafting.current(), entity)
    base = join_path("entities", entity)
    return handle(
        "admin/layout.html",
        "admin/_layout_form.html",
        (f"{base}/list", f"{base}/form"),
        lambda draft, posted: read(LayoutView(draft, entity), posted),
        lambda draft: {"view": LayoutView(draft, entity)},
    )


class LayoutView:
    """An entity's list and form as written in the draft, with what each part may take."""

    def __init__(self, draft: Draft, entity: str) -> None:
        self.draft = draft
        self.entity = entity
        self.base = join_path("entities", entity)
        self.doc: dict[str, Any] = entity_doc(draft, entity)
        listing = self.doc.get("list")
        self.listing: dict[str, Any] = listing if isinstance(listing, dict) else {}
        form = self.doc.get("form")
        self.form: dict[str, Any] = form if isinstance(form, dict) else {}
        fields = self.doc.get("fields")
        self.fields: dict[str, Any] = fields if isinstance(fields, dict) else {}

    def path(self, relative: str) -> str:
        return f"{self.base}/{relative}"

    def label_of(self, name: str) -> Any:
        field = self.fields.get(name)
        return field.get("label") if isinstance(field, dict) else None

    def kind(self, name: str) -> FieldType | None:
        field = self.fields.get(name)
        return model().types.get(str(field.get("type"))) if isinstance(field, dict) else None

    def stored(self, name: str) -> bool:
        kind = self.kind(name)
        field = self.fields.get(name) or {}
        return kind is not None and kind.stored and not field.get("virtual")

    def names(self, key: str) -> list[str]:
        """The list part `key` as it is in effect (the model's default columns if unset)."""
        value = self.listing.get(key)
        if isinstance(value, list):
            return [str(v) for v in value]
        if key == "columns":
            return list(self.default_columns())
        return []

    def default_columns(self) -> tuple[str, ...]:
        app = draft_model()
        entity = app.entities.get(self.entity)
        return entity.list.columns if entity is not None else ()

    def is_default(self, key: str) -> bool:
        return not isinstance(self.listing.get(key), list)

    def candidates(self, key: str) -> list[str]:
        """Fields that may be added to the list part `key`."""
        taken = set(self.names(key)) if key != "sort" else {s.lstrip("-") for s in self.sort()}
        fits = {
            "columns": lambda k, n: self.stored(n),
            "filters": lambda k, n: self.stored(n) and not k.bulky,
            "search": lambda k, n: self.stored(n) and k.searchable,
            "sort": lambda k, n: self.stored(n) and k.ordered,
            "board": lambda k, n: (
                self.stored(n) and k.has_options and not k.name.startswith("multi")
            ),
        }[key]
        return [
            name
            for name in self.fields
            if name not in taken and (kind := self.kind(name)) is not None and fits(kind, name)
        ]

    def sort(self) -> list[str]:
        value = self.listing.get("sort")
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def sections(self) -> list[tuple[int, dict[str, Any]]]:
        sections = self.form.get("sections")
        if not isinstance(sections, list):
            return []
        return [(i, s) for i, s in enumerate(sections) if isinstance(s, dict)]

    @property
    def has_sections(self) -> bool:
        return isinstance(self.form.get("sections"), list)

    def unplaced(self) -> list[str]:
        placed = {str(n) for _i, s in self.sections() for n in s.get("fields") or ()}
        return [name for name in self.fields if name not in placed]


def read(view: LayoutView, posted: Posted) -> list[Edit]:
    old = {"list": view.doc.get("list", MISSING), "form": view.doc.get("form", MISSING)}
    root = {
        "list": copy.deepcopy(view.listing),
        "form": copy.deepcopy(view.form),
    }
    listing, form = root["list"], root["form"]
    put(
        listing,
        "page_size",
        posted.number(view.path("list/page_size"), listing.get("page_size", MISSING)),
    )
    put(listing, "board", posted.text(view.path("list/board"), listing.get("board", MISSING)))
    _read_sort(view, posted, listing)
    for index, section in view.sections():
        label_path = view.path(f"form/sections/{index}/label")
        label = posted.label(label_path, section.get("label", MISSING), view.draft.locales)
        put(form["sections"][index], "label", label)
    op = listops.parse(posted.raw("op"))
    added = _added(posted)
    for target in {op.list} if op is not None else set():
        _materialize(view, root, target)
    for target in added:
        _materialize(view, root, target)
    if op is not None and op.verb != "add":
        listops.apply(op, root)
    elif op is not None and op.list == "form/sections":
        listops.apply(op, root, lambda items: {"fields": []})
    for target, name in added.items():
        items = listops.node_at(root, target)
        if not isinstance(items, list):
            abort(400)
        if name not in items and f"-{name}" not in items:
            items.append(name)
    if posted.raw("arrange") == "sections" and not view.has_sections:
        form["sections"] = [{"fields": list(view.fields)}]
    new = {key: (value if value else MISSING) for key, value in root.items()}
    if old["list"] is MISSING and new["list"] is MISSING:
        new["list"] = MISSING
    edits: list[Edit] = []
    for key in ("list", "form"):
        edits += changes(view.path(key), old[key], new[key])
    return edits


def _read_sort(view: LayoutView, posted: Posted, listing: dict[str, Any]) -> None:
    sort = view.sort()
    turned = []
    for index, item in enumerate(sort):
        wanted = posted.raw(f"{SORT_DIRECTION}{index}", "")
        name = item.lstrip("-")
        if wanted == "desc":
            turned.append(f"-{name}")
        elif wanted == "asc":
            turned.append(name)
        else:
            turned.append(item)
    if turned != sort:
        listing["sort"] = turned


def _added(posted: Posted) -> dict[str, str]:
    """Names chosen in the "add" selects: list part → field name."""
    added = {}
    for key, value in posted.form.items():
        if key.startswith(ADD) and value:
            added[key[len(ADD) :]] = value
    return added


def _materialize(view: LayoutView, root: dict[str, Any], target: str) -> None:
    """Write out a list part the package leaves to its default, before it is changed."""
    if target == "list/columns" and "columns" not in root["list"]:
        root["list"]["columns"] = list(view.default_columns())
    elif target in ("list/filters", "list/search") and target[5:] not in root["list"]:
        root["list"][target[5:]] = []
    elif target == "list/sort" and not isinstance(root["list"].get("sort"), list):
        root["list"]["sort"] = view.sort()
    elif target.startswith("form/sections") and "sections" not in root["form"]:
        abort(400)
