"""Labels in every language of the app, in one place.

    GET|POST /admin/config/labels                     the app's title, roles, entities
    GET|POST /admin/config/entities/<entity>/labels   an entity's fields, help texts, options

Each label has an input per locale (the default locale first); a label written as plain
text in the package stays plain text until another language is given.
"""

from __future__ import annotations

import copy
from typing import Any

from ...overlay.paths import MISSING, join_path
from . import bp, drafting
from .drafting import Draft, Edit
from .editor import Page, handle
from .edits import changes
from .entity_fields import entity_doc
from .field_editor import FieldView, read_options
from .posted import Posted, put


@bp.route("/labels", methods=["GET", "POST"])
def labels() -> Page:
    draft = drafting.current()
    scopes = ("app", *(f"{join_path('entities', e)}/label" for e in _entities(draft)))
    return handle("admin/labels.html", "admin/_labels_form.html", scopes, read_app, _app_context)


@bp.route("/entities/<entity>/labels", methods=["GET", "POST"])
def entity_labels(entity: str) -> Page:
    entity_doc(drafting.current(), entity)
    return handle(
        "admin/entity_labels.html",
        "admin/_entity_labels_form.html",
        join_path("entities", entity, "fields"),
        lambda draft, posted: read_entity(draft, posted, entity),
        lambda draft: {
            "entity": entity,
            "doc": entity_doc(draft, entity),
            "views": _views(draft, entity),
        },
    )


def _entities(draft: Draft) -> dict[str, Any]:
    entities = draft.document.get("entities")
    return {k: v for k, v in (entities or {}).items() if isinstance(v, dict)}


def _app_context(draft: Draft) -> dict[str, Any]:
    app = draft.document.get("app") or {}
    roles = app.get("roles")
    return {
        "app_doc": app,
        "roles": {k: v for k, v in roles.items() if isinstance(v, dict)}
        if isinstance(roles, dict)
        else {},
        "entities": _entities(draft),
    }


def read_app(draft: Draft, posted: Posted) -> list[Edit]:
    locales = draft.locales
    app = draft.document.get("app") or {}
    new_app = copy.deepcopy(app)
    for key in ("title", "description"):
        put(new_app, key, posted.label(f"app/{key}", app.get(key, MISSING), locales))
    for role, doc in _app_context(draft)["roles"].items():
        path = f"app/roles/{join_path(role)}/label"
        put(new_app["roles"][role], "label", posted.label(path, doc.get("label", MISSING), locales))
    edits = changes("app", app, new_app)
    for name, doc in _entities(draft).items():
        base = join_path("entities", name)
        for key in ("label", "plural_label"):
            old = doc.get(key, MISSING)
            edits += changes(f"{base}/{key}", old, posted.label(f"{base}/{key}", old, locales))
    return edits


def _views(draft: Draft, entity: str) -> list[FieldView]:
    fields = entity_doc(draft, entity).get("fields")
    names = (
        [n for n, f in fields.items() if isinstance(f, dict)] if isinstance(fields, dict) else []
    )
    return [FieldView(draft, entity, name) for name in names]


def read_entity(draft: Draft, posted: Posted, entity: str) -> list[Edit]:
    locales = draft.locales
    edits: list[Edit] = []
    for view in _views(draft, entity):
        new = copy.deepcopy(view.doc)
        for key in ("label", "help"):
            put(new, key, posted.label(view.path(key), view.doc.get(key, MISSING), locales))
        read_options(view, posted, new, locales)
        edits += changes(view.base, view.doc, new)
    return edits
