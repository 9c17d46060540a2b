"""What every view reads per request: the runtime, the signed-in actor, the current locale.

Views never reach into `current_app.extensions` themselves; they call these, so the way a
request finds its app, user and language lives in one place.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app
from flask_babel import get_locale

from ..auth import current_actor
from ..metamodel.model import App, Entity, Label
from ..runtime import Runtime
from ..store.actor import Action, Actor
from ..store.errors import RecordError
from ..store.records import RecordService


def runtime() -> Runtime:
    return current_app.extensions["formwork"]


def model() -> App:
    return runtime().model


def service() -> RecordService:
    return runtime().records


def actor() -> Actor | None:
    return current_actor()


def locale() -> str:
    """The current UI locale as the config names it ("zh", "en", …)."""
    current = get_locale()
    return str(current) if current is not None else model().default_locale


def text(label: Label | None, fallback: str = "") -> str:
    """A config label in the current locale (the app's default locale if it has none)."""
    if label is None:
        return fallback
    return label.get(locale(), fallback) or label.get(model().default_locale, fallback)


def entity_or_404(name: str) -> Entity:
    """The entity of a URL; 404 for an unknown one or a child entity (edited via its parent)."""
    entity = model().entities.get(name)
    if entity is None or entity.child_of:
        abort(404)
    return entity


def can(action: Action, entity: Entity) -> bool:
    """Whether the signed-in user may `action` some records of `entity` (for showing buttons;
    the record service checks again, with the row scope, on every call)."""
    try:
        service().policy.check(actor(), action, entity)
    except RecordError:
        return False
    return True


def hidden_fields(entity: Entity) -> frozenset[str]:
    return service().policy.hidden(actor(), entity)


def readonly_fields(entity: Entity) -> frozenset[str]:
    return service().policy.readonly(actor(), entity)


def template_globals() -> dict[str, Any]:
    """Names every template may use: `t(label)`, `can(action, entity)`, `locale`."""
    return {"t": text, "can": can, "entity_label": entity_label}


def entity_label(entity: Entity, plural: bool = False) -> str:
    label = entity.plural_label if plural and entity.plural_label else entity.label
    return text(label, entity.name)
